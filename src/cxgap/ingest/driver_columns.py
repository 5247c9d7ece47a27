"""Which columns of an outside file can be drivers, and how a two-level text
outcome becomes numbers (``cxgap drivers FILE --outcome COL``).

Without ``--factors``, every numeric column but the outcome was a driver, so a
passenger ``id`` or a row number entered the regression. :func:`screen_columns`
leaves out, and says why:

* columns with no header (a row index written by pandas or a spreadsheet);
* the survey tools' own columns (Qualtrics, SurveyMonkey, Google Forms,
  Typeform, the cxgap frame's meta columns: ``ingest.formats``);
* names that say identifier: a word ``id``, ``uuid``, ``guid``, ``index`` or
  ``row`` in the header (``id``, ``Respondent ID``, ``ResponseId``, ``row_no``);
* whole numbers that rise by one on every row (a row counter);
* whole numbers that differ on every row, in a file of at least
  ``UNIQUE_MIN_ROWS`` rows (an identifier: a rating or an amount repeats);
* columns that are dates or times, text, or empty.

:func:`code_two_levels` codes an outcome with exactly two text levels as 1/0.
Which level is 1: the one named by ``positive``; else, when exactly one level
reads as a negative answer (``no``, ``not``, ``neutral``, ``dissatisfied``,
``false``...: :mod:`cxgap.contracts.levels`), the other; else, when exactly
one reads as a positive one (``yes``, ``satisfied``, ``true``...), that one; else the later in
alphabetical order. The result names both levels so the caller can say it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxgap.contracts.levels import reads_as_no, reads_as_yes, words
from cxgap.errors import AnalysisError
from cxgap.ingest.formats import (
    CXGAP_META,
    GOOGLE_SYSTEM,
    QUALTRICS_SYSTEM,
    SURVEYMONKEY_SYSTEM,
    TYPEFORM_SYSTEM,
)
from cxgap.ingest.tables import numeric_column

__all__ = ["UNIQUE_MIN_ROWS", "LeftOut", "Screen", "TwoLevels", "code_two_levels", "screen_columns"]

UNIQUE_MIN_ROWS = 20
SYSTEM_COLUMNS = (
    QUALTRICS_SYSTEM | SURVEYMONKEY_SYSTEM | GOOGLE_SYSTEM | TYPEFORM_SYSTEM | CXGAP_META
)
_UNNAMED = re.compile(r"^Unnamed: \d+$")  # pandas' name for an empty header
_ID_WORDS = frozenset({"id", "ids", "uuid", "guid", "index", "row", "rowid"})


@dataclass(frozen=True)
class LeftOut:
    """A column not used as a driver, and why."""

    column: str
    reason: str


@dataclass
class Screen:
    """The numeric driver columns of a table and the columns left out."""

    factors: dict[str, pd.Series] = field(default_factory=dict)
    left_out: list[LeftOut] = field(default_factory=list)


@dataclass(frozen=True)
class TwoLevels:
    """A two-level text outcome coded as numbers: ``one`` is 1, ``zero`` is 0."""

    values: pd.Series
    one: str
    zero: str
    n_one: int
    n_zero: int
    rule: str


def _id_like(values: pd.Series) -> str | None:
    """Why a numeric column is an identifier or a row counter, or None."""
    v = values.dropna().to_numpy(dtype=float)
    if len(v) < 3 or not np.all(np.floor(v) == v):
        return None
    if len(values.dropna()) == len(values) and np.all(np.diff(v) == 1):
        return "a row counter (whole numbers rising by one on every row)"
    if len(v) >= UNIQUE_MIN_ROWS and len(np.unique(v)) == len(v):
        return "an identifier (a different whole number on every row)"
    return None


def _is_dates(raw: pd.Series) -> bool:
    text = raw.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty or not text.str.contains(r"\d", regex=True).all():
        return False
    sample = text.head(200)
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def screen_columns(table: pd.DataFrame, exclude: set[str]) -> Screen:
    """The columns of ``table`` (cells as text) that can be drivers, as floats.

    ``exclude`` (the outcome) is skipped without being reported. Every other
    column is either a factor or listed in ``left_out`` with its reason (see
    the module docstring for the rules).

    Examples
    --------
    >>> t = pd.DataFrame({"id": [str(i) for i in range(30)], "speed": ["1", "2"] * 15,
    ...                   "y": ["3", "4"] * 15})
    >>> s = screen_columns(t, {"y"})
    >>> list(s.factors), [(x.column, x.reason[:13]) for x in s.left_out]
    (['speed'], [('id', 'an identifier')])
    """
    out = Screen()
    # The export's own system columns (cxgap.ingest.quick.read_quick_table), too.
    system = SYSTEM_COLUMNS | set(table.attrs.get("system", ()))
    for name in table.columns:
        name = str(name)
        if name in exclude:
            continue
        if not name.strip() or _UNNAMED.match(name):
            out.left_out.append(LeftOut(name, "no header (a row index)"))
            continue
        if name in system:
            out.left_out.append(LeftOut(name, "a column the survey tool adds"))
            continue
        if _ID_WORDS & words(name):
            out.left_out.append(LeftOut(name, "an identifier (its name says so)"))
            continue
        values, invalid = numeric_column(table, name, drop_invalid=True)
        if values.notna().sum() == 0 and invalid == 0:
            out.left_out.append(LeftOut(name, "empty"))
            continue
        if invalid:
            reason = "dates or times" if _is_dates(table[name]) else "text, not numbers"
            out.left_out.append(LeftOut(name, reason))
            continue
        why = _id_like(values)
        if why:
            out.left_out.append(LeftOut(name, why))
            continue
        out.factors[name] = values
    return out


def code_two_levels(
    raw: pd.Series, column: str, source: str, *, positive: str | None = None
) -> TwoLevels:
    """Code a text column with exactly two levels as 1/0 (empty cells: NaN).

    Levels are compared without surrounding blanks and case. Raises
    :class:`AnalysisError` naming the file and column when the column has
    other than two levels, or when ``positive`` is not one of them.

    Examples
    --------
    >>> s = pd.Series(["satisfied", "neutral or dissatisfied", None, "satisfied"])
    >>> c = code_two_levels(s, "satisfaction", "f.csv")
    >>> c.one, c.zero, c.values.tolist()
    ('satisfied', 'neutral or dissatisfied', [1.0, 0.0, nan, 1.0])
    """
    text = raw.astype("string").str.strip()
    text = text.where(text != "")
    keys = text.str.casefold()
    levels = sorted(keys.dropna().unique().tolist())
    if len(levels) != 2:
        shown = ", ".join(repr(x) for x in levels[:5])
        more = ", ..." if len(levels) > 5 else ""
        raise AnalysisError(
            f"{source}: column {column!r} is not numeric and has {len(levels)} "
            f"distinct text value(s) ({shown}{more}), not two; code it as numbers first"
        )
    shown_of = {k: str(text[keys == k].iloc[0]) for k in levels}
    if positive is not None:
        one = positive.strip().casefold()
        if one not in levels:
            raise AnalysisError(
                f"{source}: --positive {positive!r} is not a value of column {column!r} "
                f"(its values: {', '.join(repr(shown_of[k]) for k in levels)})"
            )
        rule = "chosen with --positive"
    else:
        neg = [k for k in levels if reads_as_no(k)]
        pos = [k for k in levels if reads_as_yes(k) and k not in neg]
        if len(neg) == 1:
            one, rule = next(k for k in levels if k != neg[0]), f"{shown_of[neg[0]]!r} reads as no"
        elif len(pos) == 1:
            one, rule = pos[0], f"{shown_of[pos[0]]!r} reads as yes"
        else:
            one, rule = levels[1], "the later in alphabetical order"
    zero = next(k for k in levels if k != one)
    is_one = (keys == one).fillna(False).to_numpy(bool)
    is_zero = (keys == zero).fillna(False).to_numpy(bool)
    coded = pd.Series(np.where(is_one, 1.0, np.where(is_zero, 0.0, np.nan)), index=raw.index)
    return TwoLevels(
        values=coded,
        one=shown_of[one],
        zero=shown_of[zero],
        n_one=int(is_one.sum()),
        n_zero=int(is_zero.sum()),
        rule=rule,
    )
