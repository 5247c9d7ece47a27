"""Disclosure control shared by every output: which groups are withheld, how
a withheld cell is worded, and which answers count toward the threshold.

A table of a protected audience (staff by team) is published beside its
total (the audience's own cell). Withholding only the groups below the
anonymity threshold (*primary* suppression) is not enough: the total minus
the shown groups gives the hidden ones back. So groups are also withheld as
*complements* (*secondary* suppression) until what is hidden together — the
total minus every shown group — is either nothing or at least the threshold
of counted respondents. No aggregate smaller than the threshold can then be
derived from the shown cells and the margin, whatever is subtracted from
what. This is the rule of the (n, k)-threshold with complementary
suppression for frequency and magnitude tables (Hundepool, A. et al. (2012).
*Statistical Disclosure Control*. Wiley, sections 4.2-4.3 and 5.3), applied
with the smallest shown groups chosen as complements, which loses the least.

Only answers that came through a personal link, an import or a workshop
count toward the threshold: an answer through an open link
(:data:`OPEN_LINK`) may come from anyone, as often as they like, so padding a
team with such answers can never unlock it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "OPEN_LINK",
    "counted_rows",
    "group_withholding",
    "secondary_reason",
    "suppression_reason",
    "team_withholding",
    "withheld_groups",
]

#: The ``source`` of a response given through an open (anonymous) link.
OPEN_LINK = "open-link"

Withheld = Literal["primary", "secondary"]


def suppression_reason(group: str, threshold: int) -> str:
    """The reason shown in place of a withheld cell.

    >>> suppression_reason("staff team billing", 5)
    'fewer than 5 answers from staff team billing: withheld to protect anonymity (threshold 5)'
    """
    return (
        f"fewer than {threshold} answers from {group}: withheld to protect "
        f"anonymity (threshold {threshold})"
    )


def secondary_reason(threshold: int) -> str:
    """The reason shown in place of a cell withheld as a complement."""
    return (
        f"withheld so that a smaller suppressed team cannot be worked out (threshold {threshold})"
    )


def counted_rows(frame: pd.DataFrame) -> np.ndarray:
    """``True`` for the rows whose answers count toward the anonymity
    threshold: every row but those from an open link (column ``source``)."""
    if "source" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return (frame["source"].astype(object) != OPEN_LINK).to_numpy(dtype=bool)


def withheld_groups(
    sizes: Mapping[str, int],
    *,
    total: int,
    threshold: int,
    counted: Mapping[str, int] | None = None,
    total_counted: int | None = None,
    always: Collection[str] = (),
) -> dict[str, Withheld]:
    """The groups to withhold from a table whose ``total`` is published.

    Parameters
    ----------
    sizes : mapping of str to int
        Answers (or respondents) in each group.
    total : int
        Answers in the whole table: the groups and any rows in no group.
    threshold : int
        The anonymity threshold.
    counted, total_counted : optional
        Those of ``sizes`` and ``total`` that count toward the threshold
        (:func:`counted_rows`); default: all of them.
    always : collection of str
        Groups withheld whatever their size here (withheld in a table that
        this one can be set against, such as the respondents of a wave).

    Returns
    -------
    dict
        ``group -> "primary" | "secondary"`` for every withheld group.

    Examples
    --------
    Billing (3) alone would be the total minus the others; the smallest shown
    team goes with it:

    >>> withheld_groups({"billing": 3, "sales": 6, "support": 40}, total=49, threshold=5)
    {'billing': 'primary', 'sales': 'secondary'}
    >>> withheld_groups({"billing": 3, "sales": 6}, total=12, threshold=5)
    {'billing': 'primary'}

    (12 - 6 leaves billing's 3 and 3 answers in no team: 6 hidden together.)
    Answers through an open link do not count:

    >>> withheld_groups({"billing": 5, "sales": 9, "support": 9}, total=23, threshold=5,
    ...                 counted={"billing": 3, "sales": 9, "support": 9}, total_counted=21)
    {'billing': 'primary', 'sales': 'secondary'}
    """
    counted = dict(sizes) if counted is None else dict(counted)
    total_counted = total if total_counted is None else total_counted
    out: dict[str, Withheld] = {}
    for g, n in sizes.items():
        if n > 0 and counted.get(g, 0) < threshold:
            out[g] = "primary"
        elif g in always and n > 0:
            out[g] = "secondary"
    shown = sorted(
        (g for g, n in sizes.items() if n > 0 and g not in out),
        key=lambda g: (counted.get(g, 0), sizes[g], g),
    )
    hidden = total - sum(sizes[g] for g in shown)
    hidden_counted = total_counted - sum(counted.get(g, 0) for g in shown)
    while hidden > 0 and hidden_counted < threshold and shown:
        g = shown.pop(0)
        out[g] = "secondary"
        hidden += sizes[g]
        hidden_counted += counted.get(g, 0)
    return out


def team_withholding(staff: pd.DataFrame, threshold: int) -> dict[str, Withheld]:
    """The staff teams of one wave to withhold, counted in distinct
    respondents: ``staff`` holds that wave's staff rows, with ``team`` (and
    ``respondent_id``, ``source`` where known); staff in no team count in the
    total that the teams are set against.

    >>> staff = pd.DataFrame({"respondent_id": range(12),
    ...                       "team": ["billing"] * 3 + ["sales"] * 6 + ["support"] * 3})
    >>> team_withholding(staff, 5)
    {'billing': 'primary', 'support': 'primary'}
    """
    return group_withholding(staff, "team", threshold)


def group_withholding(rows: pd.DataFrame, column: str, threshold: int) -> dict[str, Withheld]:
    """The groups of ``column`` (a team, a respondent attribute's level) to
    withhold from a table of ``rows`` whose total is published, counted in
    distinct respondents (``respondent_id`` where known; open-link answers do
    not count, :func:`counted_rows`). Rows with no group count in the total.

    >>> rows = pd.DataFrame({"respondent_id": range(9),
    ...                      "attr.class": ["Eco"] * 6 + ["Business"] * 2 + [None]})
    >>> group_withholding(rows, "attr.class", 5)
    {'Business': 'primary', 'Eco': 'secondary'}
    """
    if rows.empty or column not in rows.columns:
        return {}
    ids = (
        rows["respondent_id"]
        if "respondent_id" in rows.columns
        else pd.Series(range(len(rows)), index=rows.index)
    )
    teams = rows[column]
    known = teams.notna().to_numpy(dtype=bool)
    counts = counted_rows(rows)
    names = teams[known].astype(str)
    sizes = ids[known].groupby(names.to_numpy()).nunique()
    counted = ids[known & counts].groupby(names[counts[known]].to_numpy()).nunique()
    return withheld_groups(
        {str(g): int(n) for g, n in sizes.items()},
        total=int(ids.nunique()),
        counted={str(g): int(n) for g, n in counted.items()},
        total_counted=int(ids[counts].nunique()),
        threshold=threshold,
    )
