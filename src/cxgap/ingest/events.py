"""Turn CRM and support-ticket exports into validated interaction events.

A file's columns are mapped onto the event fields (``account_id``,
``timestamp``, ``touchpoint``, ``moment``, ``outcome``, ``severity``,
``source_id``, ``source_system``, ``cost``, ``note``); its outcome words are
mapped onto ``exceeded``, ``met`` and ``failed`` (with a severity where the
word implies one, e.g. a ticket's "SLA breached" -> failed, severity 2). A
mapping file in YAML says how::

    columns:              # event field: column in the file
      account_id: Customer
      timestamp: Closed at
      outcome: Status
    outcomes:             # word in the file (any case): outcome, or outcome + severity
      SLA met: met
      SLA breached: {outcome: failed, severity: 2}
      Escalated: {outcome: failed, severity: 3}
    timestamp_format: "%d/%m/%Y %H:%M"   # optional; ISO 8601 otherwise
    source_system: helpdesk              # optional default for every row

Without a mapping the columns are found by their field names (``account`` is
accepted for ``account_id``). Every problem is collected with its row and
column and reported at once; nothing partial comes out.

Moments and touchpoints may be written as the study's keys or labels, in any
case and punctuation (``problem_resolution``, "Problem resolution",
"Problem Resolution (storming)": :func:`vocabulary`). Outcomes may be the
three keys or the words help desks and CRMs write for them
(:data:`OUTCOME_WORDS`: "solved" -> met, "SLA breached" -> failed with
severity 2, "escalated" -> failed with severity 3, ...); a mapping's
``outcomes`` add to them or override them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxgap.contracts.records import EVENT_COLUMNS, EVENT_REQUIRED, OUTCOMES
from cxgap.errors import InputError, Problem
from cxgap.ingest.mapping import normalise
from cxgap.ingest.tables import (
    file_row,
    per_distinct,
    read_yaml_file,
    unstorable,
    without_missing_tokens,
)

__all__ = [
    "OUTCOME_WORDS",
    "EventMapping",
    "OutcomeRule",
    "load_mapping",
    "parse_accounts",
    "parse_events",
    "vocabulary",
]

_ALIASES: dict[str, tuple[str, ...]] = {"account_id": ("account_id", "account")}


class OutcomeRule(BaseModel):
    """What one outcome word of a source file means."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["exceeded", "met", "failed"]
    severity: int | None = Field(default=None, ge=1, le=3)


#: The words help desks and CRMs write for an outcome, with the severity a
#: failure word implies (1 minor, 2 serious, 3 critical): what an export says
#: when it says nothing in cxgap's own terms. Matched after
#: :func:`~cxgap.ingest.mapping.normalise` (case, accents and punctuation
#: ignored). A mapping's ``outcomes`` add to these or override them.
OUTCOME_WORDS: dict[str, tuple[Literal["exceeded", "met", "failed"], int | None]] = {
    "exceeded": ("exceeded", None),
    "met": ("met", None),
    "failed": ("failed", None),
    # Kept, or more than kept.
    "satisfaction good": ("exceeded", None),
    "good": ("exceeded", None),
    "delighted": ("exceeded", None),
    "solved": ("met", None),
    "resolved": ("met", None),
    "closed": ("met", None),
    "completed": ("met", None),
    "done": ("met", None),
    "sla met": ("met", None),
    "within sla": ("met", None),
    "on time": ("met", None),
    # Broken.
    "missed": ("failed", 2),
    "sla missed": ("failed", 2),
    "sla breached": ("failed", 2),
    "sla violated": ("failed", 2),
    "breached": ("failed", 2),
    "overdue": ("failed", 1),
    "reopened": ("failed", 1),
    "satisfaction bad": ("failed", 2),
    "bad": ("failed", 2),
    "escalated": ("failed", 3),
}


class EventMapping(BaseModel):
    """How a source file's columns and words map onto interaction events.

    ``account_id``, when given, is the account of every row of a file that has
    no account column (an export filtered to one customer's tickets).
    """

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict)
    outcomes: dict[str, OutcomeRule | Literal["exceeded", "met", "failed"]] = Field(
        default_factory=dict
    )
    timestamp_format: str | None = None
    source_system: str | None = None
    account_id: str | None = Field(default=None, min_length=1, max_length=200)

    def rules(self) -> dict[str, OutcomeRule]:
        """Outcome words (normalised) with their meaning: :data:`OUTCOME_WORDS`
        and the mapping's own, which win."""
        out = {w: OutcomeRule(outcome=o, severity=sev) for w, (o, sev) in OUTCOME_WORDS.items()}
        for word, rule in self.outcomes.items():
            key = normalise(word)
            out[key] = rule if isinstance(rule, OutcomeRule) else OutcomeRule(outcome=rule)
        return out


def vocabulary(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The words that name each of a study's items (moments or touchpoints):
    its key and its label, normalised (case, accents and punctuation
    ignored), and the label without a trailing bracket. Word -> key.

    >>> v = vocabulary([("problem_resolution", "Problem resolution (storming)")])
    >>> sorted(v)
    ['problem resolution', 'problem resolution storming']
    >>> v[normalise("Problem Resolution")]
    'problem_resolution'
    """
    words: dict[str, str] = {}
    for key, label in items:
        for text in (label, _BRACKET.sub("", label), key):
            word = normalise(text)
            if word:
                words.setdefault(word, key)
    return words


_BRACKET = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*$")


def _in_vocabulary(
    values: pd.Series, known: Collection[str] | Mapping[str, str]
) -> tuple[pd.Series, str]:
    """``values`` as keys of ``known`` (missing where no word matches), and
    how the expected values read in a problem."""
    words = dict(known) if isinstance(known, Mapping) else vocabulary((k, k) for k in known)
    keys = list(dict.fromkeys(words.values()))
    mapped = _by_value(values, lambda v: words.get(normalise(v)))
    return mapped.astype("string"), f"one of {', '.join(keys)} (keys or labels)"


def _rule_of(rules: Mapping[str, OutcomeRule], value: str, field: str) -> Any:
    """``field`` of the outcome rule for the word ``value`` (normalised);
    ``None`` when no rule names it."""
    rule = rules.get(normalise(value))
    return None if rule is None else getattr(rule, field)


def _by_value(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """``fn`` of each cell of ``values`` (missing stays missing), computed
    once per distinct value: a column of a million events holds a handful.

    >>> _by_value(pd.Series(["A", None, "A", "b"]), str.lower).tolist()
    ['a', None, 'a', 'b']
    """
    return pd.Series(
        per_distinct(values, lambda u: fn(str(u)), None), index=values.index, dtype=object
    )


def load_mapping(path: str | Path) -> EventMapping:
    """Read a mapping file (YAML); an :class:`InputError` names what is wrong."""
    name = str(path)
    data = read_yaml_file(path) or {}
    try:
        mapping = EventMapping.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(name, None, ".".join(map(str, e["loc"])), e.get("input"), e["msg"])
            for e in exc.errors()
        ]
        raise InputError(problems) from None
    unknown = [k for k in mapping.columns if k not in EVENT_COLUMNS]
    if unknown:
        raise InputError(
            [
                Problem(name, None, f"columns.{k}", k, f"one of {', '.join(EVENT_COLUMNS)}")
                for k in unknown
            ]
        )
    return mapping


def _locate(frame: pd.DataFrame, mapping: EventMapping, source: str) -> dict[str, str]:
    """Event field -> column of ``frame``; problems for missing required ones."""
    lower = {c.lower(): c for c in frame.columns}
    found: dict[str, str] = {}
    problems = []
    for field in EVENT_COLUMNS:
        if field in mapping.columns:
            col = mapping.columns[field]
            if col in frame.columns:
                found[field] = col
            elif col.lower() in lower:
                found[field] = lower[col.lower()]
            else:
                problems.append(
                    Problem(source, None, col, None, f"a column {col!r} (mapped to {field})")
                )
            continue
        for alias in _ALIASES.get(field, (field,)):
            if alias in lower:
                found[field] = lower[alias]
                break
        else:
            if field in EVENT_REQUIRED and not (field == "account_id" and mapping.account_id):
                have = ", ".join(map(repr, list(frame.columns)[:20]))
                problems.append(
                    Problem(
                        source, None, field, None, f"a column named {field!r} (columns: {have})"
                    )
                )
    if problems:
        raise InputError(problems)
    return found


def _text(series: pd.Series) -> pd.Series:
    """The column as stripped text, an empty cell missing; each distinct value
    stripped once."""
    spread = per_distinct(series, lambda u: str(u).strip() or pd.NA, pd.NA)
    return pd.Series(pd.array(spread, dtype="string"), index=series.index)


def _now_utc() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").tz_localize(None)


def parse_events(
    frame: pd.DataFrame,
    *,
    mapping: EventMapping | None = None,
    as_of: Any = None,
    moments: Collection[str] | Mapping[str, str] | None = None,
    touchpoints: Collection[str] | Mapping[str, str] | None = None,
    accounts: Collection[str] | None = None,
    skipped: list[Problem] | None = None,
) -> pd.DataFrame:
    """Validate a raw events table (all text, as :func:`read_table` gives it).

    Every problem (unknown outcome word, unparseable date or one after
    ``as_of``, unknown moment, touchpoint or account, severity outside 1-3 on
    a failure, negative or non-numeric cost) is collected with its row and
    column, and an :class:`InputError` lists them all; nothing partial is
    returned. ``moments`` and ``touchpoints`` are the keys a value may name,
    or a :func:`vocabulary` (word -> key) so labels count too. Rows with a
    ``source_id`` seen earlier in the file are dropped
    (imports are idempotent by source id); the count is in
    ``result.attrs["duplicates_dropped"]``.

    With a ``skipped`` list, the rows with a problem are left out instead
    (``result.attrs["invalid_rows"]`` counts them) and their problems are
    appended to it; problems with the whole table (a missing column, no row)
    still raise.

    ``as_of`` defaults to now (UTC); timestamps are returned as naive UTC.
    """
    mapping = mapping or EventMapping()
    source = str(frame.attrs.get("source", "<events>"))
    cols = _locate(frame, mapping, source)
    if len(frame) == 0:
        raise InputError([Problem(source, None, None, None, "at least one event row")])
    problems: list[Problem] = []
    invalid = np.zeros(len(frame), dtype=bool)

    def bad(mask: np.ndarray, field: str, values: pd.Series, expected: str) -> None:
        invalid[np.asarray(mask, dtype=bool)] = True
        for i in np.flatnonzero(mask):
            problems.append(
                Problem(source, file_row(frame, int(i)), cols[field], values.iloc[int(i)], expected)
            )

    def col(field: str) -> pd.Series:
        if field in cols:
            return _text(frame[cols[field]]).reset_index(drop=True)
        return pd.Series(pd.NA, index=range(len(frame)), dtype="string")

    account = col("account_id")
    if mapping.account_id and "account_id" not in cols:
        account = account.fillna(mapping.account_id)
    bad(account.isna().to_numpy(), "account_id", account, "an account id")
    if accounts is not None:
        known = set(map(str, accounts))
        # a missing id is reported above
        listed = per_distinct(account, lambda n: n in known, True, dtype=bool)
        bad(~listed, "account_id", account, "an account listed in the accounts file")

    raw_ts = col("timestamp")
    fmt = mapping.timestamp_format or "ISO8601"
    try:
        ts = pd.to_datetime(raw_ts, errors="coerce", format=fmt, utc=True)
    except (ValueError, TypeError):
        ts = pd.Series(pd.NaT, index=raw_ts.index, dtype="datetime64[ns, UTC]")
    ts = ts.dt.tz_convert(None)
    expected_date = f"a date and time ({mapping.timestamp_format or 'ISO 8601, e.g. 2025-03-31'})"
    bad(ts.isna().to_numpy(), "timestamp", raw_ts, expected_date)
    limit = _now_utc() if as_of is None else pd.Timestamp(as_of)
    if limit.tzinfo is not None:
        limit = limit.tz_convert("UTC").tz_localize(None)
    late = (ts > limit).fillna(False).to_numpy(dtype=bool)
    bad(late, "timestamp", raw_ts, f"a date on or before {limit:%Y-%m-%d %H:%M}")
    early = (ts < pd.Timestamp("1900-01-01")).fillna(False).to_numpy(dtype=bool)
    bad(early, "timestamp", raw_ts, "a date from 1900 on")

    raw_touchpoint = col("touchpoint")
    touchpoint = raw_touchpoint.str.lower()
    bad(touchpoint.isna().to_numpy(), "touchpoint", raw_touchpoint, "a touchpoint")
    if touchpoints is not None:
        touchpoint, expected_tp = _in_vocabulary(raw_touchpoint, touchpoints)
        off = raw_touchpoint.notna() & touchpoint.isna()
        bad(off.to_numpy(), "touchpoint", raw_touchpoint, expected_tp)
    raw_moment = col("moment")
    moment = raw_moment.str.lower()
    if moments is not None:
        moment, expected_moment = _in_vocabulary(raw_moment, moments)
        bad(moment.isna().to_numpy(), "moment", raw_moment, expected_moment)
    else:
        bad(moment.isna().to_numpy(), "moment", raw_moment, "a moment")

    rules = mapping.rules()
    raw_outcome = col("outcome")
    outcome = _by_value(raw_outcome, lambda v: _rule_of(rules, v, "outcome"))
    implied = _by_value(raw_outcome, lambda v: _rule_of(rules, v, "severity"))
    others = ", ".join(sorted(w for w in rules if w not in OUTCOMES))
    bad(
        outcome.isna().to_numpy(),
        "outcome",
        raw_outcome,
        f"one of {', '.join(OUTCOMES)}, or a word for one ({others})",
    )

    failed = (outcome == "failed").fillna(False).to_numpy(dtype=bool)
    raw_sev = without_missing_tokens(col("severity"))
    sev = pd.to_numeric(raw_sev, errors="coerce").astype(float)
    sev = sev.where(sev.notna(), pd.to_numeric(implied, errors="coerce").astype(float))
    sev_ok = sev.between(1, 3) & (np.floor(sev) == sev)
    if "severity" in cols:
        bad(failed & ~sev_ok.to_numpy(), "severity", raw_sev, "a severity 1, 2 or 3 for a failure")
    elif failed.any():
        for i in np.flatnonzero(failed & ~sev_ok.to_numpy()):
            invalid[i] = True
            problems.append(
                Problem(
                    source,
                    file_row(frame, int(i)),
                    "severity",
                    None,
                    "a severity 1-3 for a failure",
                )
            )
    severity = sev.where(failed)

    raw_cost = without_missing_tokens(col("cost"))
    cost = pd.to_numeric(raw_cost, errors="coerce").astype(float)
    bad(
        (raw_cost.notna() & (cost.isna() | (cost < 0))).to_numpy(),
        "cost",
        raw_cost,
        "a cost of 0 or more",
    )

    for field in ("account_id", "touchpoint", "moment", "source_id", "source_system", "note"):
        if field in cols:
            values = col(field)
            bad(unstorable(values), field, values, "text without NUL characters or lone surrogates")

    if problems and skipped is None:
        raise InputError(problems)
    if skipped is not None:
        skipped.extend(problems)

    source_system = col("source_system")
    if mapping.source_system:
        source_system = source_system.fillna(mapping.source_system)
    out = pd.DataFrame(
        {
            "account_id": account.astype(object),
            "timestamp": ts.dt.as_unit("ns"),
            "touchpoint": touchpoint.astype(object),
            "moment": moment.astype(object),
            "outcome": outcome.astype(object),
            "severity": severity.astype(float),
            "source_id": col("source_id").astype(object),
            "source_system": source_system.astype(object),
            "cost": cost.astype(float),
            "note": col("note").astype(object),
        }
    )
    out = out.loc[~invalid].reset_index(drop=True)
    out["source_id"] = _with_derived_ids(out)
    dup = out["source_id"].duplicated(keep="first")
    out = out.loc[~dup.to_numpy()].reset_index(drop=True)
    out.attrs["source"] = source
    out.attrs["duplicates_dropped"] = int(dup.sum())
    out.attrs["invalid_rows"] = int(invalid.sum())
    return out


def _with_derived_ids(events: pd.DataFrame) -> pd.Series:
    """The ``source_id`` column with every missing id derived from the event
    itself: ``row-`` and a 64-bit hash of its account, time, touchpoint,
    moment, outcome, severity, cost and note. Importing the same file again
    then adds nothing, and two different events never share an id (the same
    event written twice does, and is dropped as a duplicate).

    >>> ev = pd.DataFrame({"account_id": ["A", "A"], "timestamp": pd.to_datetime(
    ...     ["2026-01-05", "2026-01-06"]), "touchpoint": ["support"] * 2,
    ...     "moment": ["routine"] * 2, "outcome": ["met"] * 2, "severity": [float("nan")] * 2,
    ...     "source_id": [None, "T-9"], "cost": [float("nan")] * 2, "note": [None, None]})
    >>> ids = _with_derived_ids(ev).tolist()
    >>> ids[0].startswith("row-") and len(ids[0]) == 20, ids[1]
    (True, 'T-9')
    """
    ids = events["source_id"].astype(object)
    missing = ids.isna().to_numpy()
    if not missing.any():
        return ids
    # Spelled out, not derived from EVENT_COLUMNS: a field added to the contract
    # must not change the ids of events already stored.
    content = events.loc[missing, list(_ID_FIELDS)]
    # Each event's text is its fields' str() (missing values as "nan", "None" or
    # "NaT": one fixed text each) joined by U+001F, exactly as the row-by-row
    # version built it; the columns are turned into text whole (_column_text),
    # the rows only joined and hashed.
    texts = [_column_text(content[name]) for name in _ID_FIELDS]
    rows = map("\x1f".join, zip(*texts, strict=True))
    # BLAKE2b (hashlib) rather than pandas' hashing: the ids must stay the same
    # across library versions, or a later re-import would add the events again.
    blake2b = hashlib.blake2b
    ids = ids.copy()
    ids[missing] = [
        "row-" + blake2b(r.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        for r in rows
    ]
    return ids


#: The fields a derived event id hashes, in this order (see _with_derived_ids).
_ID_FIELDS = (
    "account_id",
    "timestamp",
    "touchpoint",
    "moment",
    "outcome",
    "severity",
    "cost",
    "note",
)


def _column_text(column: pd.Series) -> list[str]:
    """``str()`` of every value of ``column`` as ``column.astype(object)`` holds
    it, for a whole column at once.

    Objects go through :func:`str` in one C-level ``map``. Floats and times
    without a timezone (the events' timestamps) are turned into text once per
    distinct value (by their bits, so 0.0 and -0.0 stay apart), times by NumPy
    the way :class:`pandas.Timestamp` prints them, ``YYYY-MM-DD HH:MM:SS``;
    the rare ones with a fraction of a second, and NaT, keep
    ``str(Timestamp)`` itself.

    >>> stamps = ["2026-01-05 10:00:00", None, "2026-01-05 10:00:00.5"]
    >>> _column_text(pd.Series(pd.to_datetime(stamps, format="ISO8601")))
    ['2026-01-05 10:00:00', 'NaT', '2026-01-05 10:00:00.500000']
    >>> _column_text(pd.Series([1.0, float("nan"), 1e20, -0.0, 0.0]))
    ['1.0', 'nan', '1e+20', '-0.0', '0.0']
    """
    if column.dtype == np.dtype("datetime64[ns]"):
        return _text_by_value(column.to_numpy(), _stamps_text)
    if column.dtype == np.dtype("float64"):
        return _text_by_value(column.to_numpy(), lambda u: list(map(str, u.tolist())))
    return list(map(str, column.astype(object).to_numpy()))


def _text_by_value(values: np.ndarray, text_of: Callable[[np.ndarray], list[str]]) -> list[str]:
    """``text_of`` applied to each distinct value of ``values`` (told apart by
    their 64 bits), spread back over every row: a column of repeated dates or
    severities costs its distinct values."""
    codes, unique_bits = pd.factorize(values.view("i8"))
    texts = np.array(text_of(unique_bits.view(values.dtype)), dtype=object)
    result: list[str] = texts[codes].tolist()
    return result


def _stamps_text(stamps: np.ndarray) -> list[str]:
    """``str(pandas.Timestamp)`` of datetime64[ns] values."""
    text: list[str] = np.char.replace(np.datetime_as_string(stamps, unit="s"), "T", " ").tolist()
    # str(Timestamp) adds .ffffff or .fffffffff: leave those to it (and NaT).
    odd = (stamps.view("i8") % 1_000_000_000 != 0) | np.isnat(stamps)
    for i in np.flatnonzero(odd).tolist():
        text[i] = str(pd.Timestamp(stamps[i]))
    return text


def parse_accounts(frame: pd.DataFrame, *, as_of: Any = None) -> pd.DataFrame:
    """Validate an accounts table: ``account`` (or ``account_id``), optional
    ``defected_at`` (a date, on or before ``as_of``), ``revenue`` (or
    ``annual_revenue``, a number of at least 0), ``owner`` and ``name``.

    Returns ``account_id, name, owner, annual_revenue, defected_at`` (NaT when
    not defected); an :class:`InputError` lists every problem.
    """
    source = str(frame.attrs.get("source", "<accounts>"))
    lower = {c.lower(): c for c in frame.columns}

    def find(*names: str) -> str | None:
        for n in names:
            if n in lower:
                return lower[n]
        return None

    acc_col = find("account", "account_id")
    if acc_col is None:
        raise InputError([Problem(source, None, "account", None, "a column named 'account'")])
    problems: list[Problem] = []
    account = _text(frame[acc_col]).reset_index(drop=True)
    for i in np.flatnonzero(account.isna().to_numpy()):
        problems.append(Problem(source, file_row(frame, int(i)), acc_col, None, "an account id"))
    for i in np.flatnonzero((account.notna() & account.duplicated()).to_numpy()):
        problems.append(
            Problem(source, file_row(frame, int(i)), acc_col, account.iloc[int(i)], "each once")
        )
    n = len(frame)
    defected = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    d_col = find("defected_at")
    if d_col is not None:
        raw = _text(frame[d_col]).reset_index(drop=True)
        parsed = pd.to_datetime(raw, errors="coerce", format="ISO8601", utc=True).dt.tz_convert(
            None
        )
        for i in np.flatnonzero((raw.notna() & parsed.isna()).to_numpy()):
            problems.append(
                Problem(
                    source, file_row(frame, int(i)), d_col, raw.iloc[int(i)], "a date (ISO 8601)"
                )
            )
        limit = _now_utc() if as_of is None else pd.Timestamp(as_of)
        for i in np.flatnonzero((parsed < pd.Timestamp("1900-01-01")).fillna(False).to_numpy()):
            problems.append(
                Problem(
                    source, file_row(frame, int(i)), d_col, raw.iloc[int(i)], "a date from 1900"
                )
            )
        for i in np.flatnonzero((parsed > limit).fillna(False).to_numpy(dtype=bool)):
            problems.append(
                Problem(
                    source,
                    file_row(frame, int(i)),
                    d_col,
                    raw.iloc[int(i)],
                    f"a date on or before {limit:%Y-%m-%d}",
                )
            )
        if not problems:
            defected = parsed.dt.as_unit("ns")
    revenue = pd.Series(np.nan, index=range(n))
    r_col = find("revenue", "annual_revenue")
    if r_col is not None:
        raw = without_missing_tokens(_text(frame[r_col]).reset_index(drop=True))
        revenue = pd.to_numeric(raw, errors="coerce").astype(float)
        for i in np.flatnonzero((raw.notna() & (revenue.isna() | (revenue < 0))).to_numpy()):
            problems.append(
                Problem(
                    source,
                    file_row(frame, int(i)),
                    r_col,
                    raw.iloc[int(i)],
                    "a number of 0 or more",
                )
            )
    if problems:
        raise InputError(problems)
    o_col, n_col = find("owner"), find("name")
    return pd.DataFrame(
        {
            "account_id": account.astype(object),
            "name": _text(frame[n_col]).reset_index(drop=True).astype(object)
            if n_col
            else account.astype(object),
            "owner": _text(frame[o_col]).reset_index(drop=True).astype(object) if o_col else None,
            "annual_revenue": revenue,
            "defected_at": defected,
        }
    )
