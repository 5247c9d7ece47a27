"""Validate a survey export cell by cell and turn it into the wide frame.

Every cell of a mapped column is checked against its question: ratings and
NPS are whole numbers within the question's scale, shares are numbers within
0-100, ranks whole numbers 1..k used once per row, multi-select cells name the
question's options (or say 1/0, yes/no), choices name an item, text is kept
as written. Words become numbers through the mapping file's vocabularies and
a few built-in, unambiguous anchor sets (agreement and importance scales as
in Vagias 2006; the NPS end labels "Not at all likely" = 0 and "Extremely
likely" = 10). Segment, team, account and wave are checked against the
study and the imported accounts.

Every problem is collected with its file, row, column, value and what was
expected; :func:`import_responses` writes nothing unless all rows are valid,
or, with ``skip_invalid``, writes the valid rows and reports the others. The
export's response id becomes the ``source_key``, so importing the same
export again adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from cxgap.contracts.cells import write_safe_csv
from cxgap.errors import InputError, Problem
from cxgap.ingest.formats import Export, ExportFormat, read_export
from cxgap.ingest.mapping import (
    ColumnMatch,
    ResponseMapping,
    Target,
    item_labels,
    load_response_mapping,
    match_columns,
    normalise,
    study_targets,
)
from cxgap.ingest.tables import file_row
from cxgap.store.db import Database
from cxgap.study.model import AUDIENCES, Audience, StudyDefinition

__all__ = [
    "ParsedResponses",
    "ResponsesImport",
    "import_responses",
    "parse_responses",
    "problem_records",
    "write_problem_report",
]

AGREEMENT = {
    "strongly disagree": 1.0,
    "disagree": 2.0,
    "neither agree nor disagree": 3.0,
    "neutral": 3.0,
    "agree": 4.0,
    "strongly agree": 5.0,
}
IMPORTANCE = {
    "not at all important": 1.0,
    "slightly important": 2.0,
    "moderately important": 3.0,
    "very important": 4.0,
    "extremely important": 5.0,
}
NPS_ANCHORS = {"not at all likely": 0.0, "extremely likely": 10.0}
CHOSEN = frozenset({"1", "yes", "y", "true", "x", "selected", "checked"})
NOT_CHOSEN = frozenset({"0", "no", "n", "false", "not selected", "unchecked"})
_LEADING_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:[-–=:.)]\s*\S.*)?$")
_MULTI_SPLIT = re.compile(r"\s*[;,|]\s*")


class ProblemRecord(BaseModel):
    """One problem, as JSON."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str


class ColumnRecord(BaseModel):
    """How one column was mapped, as JSON."""

    column: str
    header: str
    target: str | None
    how: str


class ResponsesImport(BaseModel):
    """What ``cxgap import responses`` did (or, in a dry run, would do)."""

    file: str
    format: str
    study: str
    audience: str | None
    wave: str | None
    dry_run: bool
    rows: int
    valid: int
    skipped: int
    written: int | None
    already_stored: int | None
    columns: list[ColumnRecord]
    unmapped: list[str]
    problems: list[ProblemRecord]

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def problem_records(problems: Collection[Problem]) -> list[ProblemRecord]:
    return [
        ProblemRecord(
            file=p.file,
            row=p.row,
            column=p.column,
            value=None if p.value is None else str(p.value),
            expected=p.expected,
        )
        for p in problems
    ]


def write_problem_report(problems: Collection[Problem], path: str | Path) -> None:
    """Write problems as CSV (file, row, column, value, expected), UTF-8 with a
    BOM so that Excel opens it as UTF-8."""
    # The values come from the user's file: the writer never lets a cell run as a formula.
    rows = ([p.file, p.row or "", p.column or "", p.value, p.expected] for p in problems)
    write_safe_csv(path, ["file", "row", "column", "value", "expected"], rows, encoding="utf-8-sig")


@dataclass
class ParsedResponses:
    """The validated rows of one export.

    ``frame`` has one row per data row of the file (valid or not), with the
    wide-frame columns and ``source_key``; ``bad`` marks the rows with a
    problem; ``problems`` lists every cell problem; ``file_problems`` are
    problems with the whole file (no row can be imported).
    """

    file: str
    format: ExportFormat
    frame: pd.DataFrame
    bad: np.ndarray
    columns: list[ColumnMatch]
    problems: list[Problem] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)

    @property
    def valid_frame(self) -> pd.DataFrame:
        return self.frame.loc[~self.bad].reset_index(drop=True)

    @property
    def unmapped(self) -> list[str]:
        return [m.column for m in self.columns if m.target is None and m.how == "no match"]


class _Checker:
    """Collects problems cell by cell for one export."""

    def __init__(self, export: Export) -> None:
        self.export = export
        self.frame = export.frame
        self.problems: list[Problem] = []
        self.bad = np.zeros(len(export.frame), dtype=bool)

    def flag(self, mask: np.ndarray, column: str, values: pd.Series, expected: str) -> None:
        for i in np.flatnonzero(mask):
            v = values.iloc[int(i)]
            self.problems.append(
                Problem(
                    self.export.file,
                    file_row(self.frame, int(i)),
                    column,
                    None if pd.isna(v) else v,
                    expected,
                )
            )
        self.bad |= mask


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped text, ``None`` when empty; each distinct value is
    stripped once (exports repeat the same few answers many times)."""
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    stripped = np.array([str(u).strip() or None for u in uniques] + [None], dtype=object)
    return pd.Series(stripped[codes], index=series.index, dtype=object)


def _number(raw: str, vocab: dict[str, float]) -> float | None:
    key = normalise(raw)
    if key in vocab:
        return vocab[key]
    m = _LEADING_NUMBER.match(raw)
    if m is None:
        return None
    try:
        return float(m.group(1).replace(",", "."))
    except ValueError:
        return None


def _numeric(
    text: pd.Series, target: Target, mapping: ResponseMapping
) -> tuple[pd.Series, np.ndarray, str]:
    q = target.question
    vocab: dict[str, float] = {}
    if q.kind == "nps":
        vocab.update(NPS_ANCHORS)
    elif q.kind == "rating" and (q.scale_min, q.scale_max) == (1, 5):
        vocab.update(AGREEMENT)
        vocab.update(IMPORTANCE)
    own = mapping.vocabulary(target.column)
    vocab.update(own)
    missing = mapping.missing_for(target.column)
    if q.kind == "rank":
        low, high, integer = 1.0, float(len(q.items)), True
        expected = f"a whole number from 1 to {len(q.items)} (a rank)"
    else:
        low, high = float(q.scale_min or 0), float(q.scale_max or 0)
        integer = q.kind in ("rating", "nps")
        expected = f"{'a whole number' if integer else 'a number'} from {low:g} to {high:g}"
        if own:
            expected += " or one of: " + ", ".join(sorted(own)[:8])
    codes, uniques = pd.factorize(text.to_numpy(dtype=object), use_na_sentinel=True)
    numbers = np.full(len(uniques) + 1, np.nan)  # the last slot: empty cells
    invalid = np.zeros(len(uniques) + 1, dtype=bool)
    for i, raw in enumerate(uniques):
        if normalise(raw) in missing:
            continue
        v = _number(str(raw), vocab)
        if v is None or not (low <= v <= high) or (integer and v != np.floor(v)):
            invalid[i] = True
        else:
            numbers[i] = v
    values = pd.Series(numbers[codes], index=text.index, dtype=float)
    bad = invalid[codes]
    return values, bad, expected


def _choices(study: StudyDefinition, target: Target, mapping: ResponseMapping) -> dict[str, str]:
    """Normalised label, key or code -> item key.

    The codes 1..k stand for the items in the study's order (Qualtrics'
    "numeric values" export with its default recode values); the mapping's
    ``options`` for the question win over everything.
    """
    labels = item_labels(study, target.question)
    out = {str(i + 1): k for i, k in enumerate(labels)}
    out.update({normalise(k): k for k in labels})
    out.update({normalise(v): k for k, v in labels.items()})
    out.update({normalise(w): k for w, k in mapping.options.get(target.question.key, {}).items()})
    return out


def parse_responses(
    export: Export,
    study: StudyDefinition,
    *,
    audience: Audience | None = None,
    wave: str | None = None,
    mapping: ResponseMapping | None = None,
    accounts: Collection[str] | None = None,
    source: str = "individual",
    allowed: Collection[str] | None = None,
) -> ParsedResponses:
    """Map and validate an export; nothing is written.

    ``audience`` and ``wave`` apply to every row unless the file has an
    ``audience``/``wave`` column (cxgap's format). ``accounts``, when given,
    are the account ids a customer row may name; when they map each id to
    its segment, a customer row without a segment takes its account's.
    ``allowed`` restricts the
    question columns that may be filled (workshop sheets: the four open
    questions).
    """
    mapping = mapping or ResponseMapping()
    file = export.file
    frame = export.frame
    n = len(frame)
    matches = match_columns(
        list(frame.columns),
        export.headers,
        study,
        audience=audience,
        mapping=mapping,
        system=export.system,
        file=file,
    )
    targets = study_targets(study, audience)
    by_target = {m.target: m.column for m in matches if m.target is not None}
    file_problems: list[Problem] = []
    if allowed is not None:
        for t, col in by_target.items():
            if t in targets and t not in allowed:
                file_problems.append(
                    Problem(file, None, col, t, "one of the columns " + ", ".join(allowed))
                )
    if not any(t in targets for t in by_target):
        file_problems.append(
            Problem(
                file,
                None,
                None,
                None,
                "at least one column matching a question of the study "
                "(check the headers with --dry-run, or map them in a --mapping file)",
            )
        )
    check = _Checker(export)

    def meta(name: str) -> pd.Series | None:
        col = by_target.get(name)
        return None if col is None else _text(frame[col]).reset_index(drop=True)

    # Audience and wave: a column, or the option for every row.
    aud = meta("audience")
    if aud is None:
        if audience is None:
            file_problems.append(
                Problem(file, None, "audience", None, "an --audience option or an audience column")
            )
        aud_values = pd.Series([audience] * n, dtype=object)
    else:
        norm = aud.map(lambda v: normalise(v).rstrip("s") if isinstance(v, str) else v)
        norm = norm.fillna(audience) if audience else norm
        ok = norm.isin(AUDIENCES)
        check.flag(
            ~ok.to_numpy(dtype=bool), by_target["audience"], aud, "one of " + ", ".join(AUDIENCES)
        )
        aud_values = norm.where(ok, None)
    wave_col = meta("wave")
    waves = {normalise(w.key): w.key for w in study.waves} | {
        normalise(w.label): w.key for w in study.waves
    }
    if wave_col is None:
        if wave is None:
            file_problems.append(
                Problem(file, None, "wave", None, "a --wave option or a wave column")
            )
        elif wave not in study.wave_keys():
            file_problems.append(
                Problem(file, None, "wave", wave, "one of " + ", ".join(study.wave_keys()))
            )
        wave_values = pd.Series([wave] * n, dtype=object)
    else:
        filled = wave_col.fillna(wave) if wave else wave_col
        wave_values = filled.map(lambda v: waves.get(normalise(v)) if isinstance(v, str) else None)
        check.flag(
            wave_values.isna().to_numpy(dtype=bool),
            by_target["wave"],
            wave_col,
            "one of " + ", ".join(study.wave_keys()),
        )
    is_customer = (aud_values == "customer").to_numpy(dtype=bool)
    inside = aud_values.isin(["staff", "leadership"]).to_numpy(dtype=bool)

    out: dict[str, pd.Series] = {}
    seg = meta("segment")
    segments = {normalise(s.key): s.key for s in study.segments}
    segments |= {normalise(s.label): s.key for s in study.segments}
    segments |= {normalise(k): v for k, v in mapping.segments.items()}
    if seg is None:
        out["segment"] = pd.Series([None] * n, dtype=object)
    else:
        val = seg.map(lambda v: segments.get(normalise(v)) if isinstance(v, str) else None)
        check.flag(
            (is_customer & seg.notna().to_numpy() & val.isna().to_numpy()),
            by_target["segment"],
            seg,
            "a segment: " + ", ".join(s.key for s in study.segments),
        )
        out["segment"] = val.where(pd.Series(is_customer), None)
    team = meta("team")
    teams = {normalise(x.key): x.key for x in study.touchpoints}
    teams |= {normalise(x.label): x.key for x in study.touchpoints}
    teams |= {normalise(k): v for k, v in mapping.teams.items()}
    if team is None:
        out["team"] = pd.Series([None] * n, dtype=object)
    else:
        val = team.map(lambda v: teams.get(normalise(v)) if isinstance(v, str) else None)
        check.flag(
            (inside & team.notna().to_numpy() & val.isna().to_numpy()),
            by_target["team"],
            team,
            "a team (touchpoint): " + ", ".join(x.key for x in study.touchpoints),
        )
        out["team"] = val.where(pd.Series(inside), None)
    acc = meta("account_id")
    if acc is None:
        out["account_id"] = pd.Series([None] * n, dtype=object)
    else:
        if accounts is not None:
            known = set(accounts)
            unknown = is_customer & acc.notna().to_numpy() & ~acc.isin(known).to_numpy()
            check.flag(
                unknown,
                by_target["account_id"],
                acc,
                "the id of an imported account (cxgap import accounts)",
            )
        out["account_id"] = acc.where(pd.Series(is_customer), None)
        if isinstance(accounts, Mapping):
            # A customer with no segment in the export takes their account's.
            from_account = out["account_id"].map(
                lambda a: accounts.get(a) if isinstance(a, str) else None
            )
            out["segment"] = out["segment"].where(out["segment"].notna(), from_account)

    # Response ids: the export's, else a hash of the row.
    id_col = by_target.get("response_id") or export.id_column
    own_rid = meta("respondent_id")
    if export.format == "cxgap" and id_col is None and own_rid is not None:
        ids = (own_rid.fillna("") + ":" + wave_values.fillna("")).astype(object)
        keys = ids
    else:
        ids = _text(export.response_ids(id_col)).reset_index(drop=True)
        prefix = "" if export.format == "cxgap" else f"{export.format}:"
        keys = (prefix + ids.fillna("")).astype(object)
        if id_col is not None:
            check.flag(ids.isna().to_numpy(dtype=bool), id_col, ids, "a response id")
    dup = keys.duplicated(keep="first").to_numpy(dtype=bool) & pd.notna(ids).to_numpy()
    # In cxgap's format without an id column, the id is respondent_id:wave: name that column.
    id_source = id_col or by_target.get("respondent_id") or "<row>"
    check.flag(dup, id_source, ids, "each response id once in the file")
    rid = meta("respondent_id")
    respondent = keys if rid is None else rid.fillna(keys)
    if rid is not None:
        check.flag(
            rid.isna().to_numpy(dtype=bool), by_target["respondent_id"], rid, "a respondent id"
        )
    src = meta("source") if "source" in by_target else None
    if src is None:
        src_values = pd.Series([source] * n, dtype=object)
    else:
        src_values = src.fillna(source)
        check.flag(
            ~src_values.isin(["individual", "workshop"]).to_numpy(dtype=bool),
            by_target["source"],
            src,
            "individual or workshop",
        )

    # Question columns.
    answered = np.zeros(n, dtype=bool)
    multi_groups: dict[str, list[str]] = {}
    for target_name, col in by_target.items():
        if target_name not in targets:
            continue
        target = targets[target_name]
        q = target.question
        text = _text(frame[col]).reset_index(drop=True)
        if q.kind in ("rating", "nps", "share", "rank"):
            values, bad, expected = _numeric(text, target, mapping)
            check.flag(bad, col, text, expected)
            out[target_name] = values
            answered |= values.notna().to_numpy()
        elif q.kind == "text":
            out[target_name] = text
            answered |= text.notna().to_numpy()
        elif q.kind == "choice":
            choices = _choices(study, target, mapping)
            val = text.map(lambda v, c=choices: c.get(normalise(v)) if isinstance(v, str) else None)
            check.flag(
                (text.notna() & val.isna()).to_numpy(dtype=bool),
                col,
                text,
                "one of " + ", ".join(q.items),
            )
            out[target_name] = val
            answered |= val.notna().to_numpy()
        elif q.kind == "multi" and target.item:
            labels = {normalise(target.item), normalise(item_labels(study, q)[target.item])}
            vocab = mapping.vocabulary(target_name)

            def chosen(
                v: object, labels: set[str] = labels, vocab: dict[str, float] = vocab
            ) -> float | None:
                if not isinstance(v, str):
                    return np.nan
                k = normalise(v)
                if k in vocab:
                    return vocab[k] if vocab[k] in (0.0, 1.0) else None
                if k in CHOSEN or k in labels:
                    return 1.0
                if k in NOT_CHOSEN:
                    return 0.0
                return None

            uniq = {v: chosen(v) for v in text.dropna().unique()}
            val = text.map(uniq)
            bad = (text.notna() & val.isna()).to_numpy(dtype=bool)
            check.flag(
                bad,
                col,
                text,
                f"the option label {item_labels(study, q)[target.item]!r}, 1/0 or yes/no",
            )
            out[target_name] = pd.to_numeric(val, errors="coerce").astype(float)
            multi_groups.setdefault(q.key, []).append(target_name)
        elif q.kind == "multi":
            choices = _choices(study, target, mapping)
            option_labels = item_labels(study, q)
            parsed: dict[str, tuple[set[str], bool]] = {}
            for raw in text.dropna().unique():
                parts = [p for p in _MULTI_SPLIT.split(str(raw)) if p]
                picked = {choices.get(normalise(p)) for p in parts}
                parsed[raw] = ({p for p in picked if p}, None not in picked)
            ok = text.map(lambda v, ps=parsed: ps[v][1] if isinstance(v, str) else True)
            check.flag(
                ~ok.to_numpy(dtype=bool),
                col,
                text,
                "options separated by commas or semicolons, from: "
                + "; ".join(option_labels.values()),
            )
            for item in q.items:
                out[f"{q.key}.{item}"] = text.map(
                    lambda v, it=item, ps=parsed: (
                        (1.0 if it in ps[v][0] else 0.0) if isinstance(v, str) else np.nan
                    )
                ).astype(float)
            answered |= text.notna().to_numpy()
    # In a file of several audiences, a question not asked of a row's audience stays empty.
    for column, values in out.items():
        if column in ("segment", "team", "account_id") or (
            column not in targets and "." not in column
        ):
            continue
        base = column if column in targets else column.rsplit(".", 1)[0]
        if base not in targets:
            continue
        q = targets[base].question
        off = values.notna().to_numpy() & ~aud_values.isin(q.audiences).to_numpy(dtype=bool)
        off &= aud_values.notna().to_numpy(dtype=bool)
        if off.any():
            col = by_target.get(column) or by_target.get(q.key, column)
            check.flag(
                off,
                col,
                _text(frame[col]).reset_index(drop=True),
                f"no answer: {q.key} is not asked of this row's audience",
            )
    for cols in multi_groups.values():
        block = pd.DataFrame({c: out[c] for c in cols})
        any_answer = block.notna().any(axis=1)
        for c in cols:
            out[c] = out[c].where(~(any_answer & out[c].isna()), 0.0)
        answered |= any_answer.to_numpy()

    # Ranks are used once per row.
    rank_cols = [c for c in out if c.startswith("rank.")]
    if len(rank_cols) > 1:
        ranks = pd.DataFrame({c: out[c] for c in rank_cols})
        ordered = np.sort(ranks.to_numpy(), axis=1)  # NaN sorts last
        dup_rank = (np.diff(ordered, axis=1) == 0).any(axis=1)
        listed: list[str | None] = [None] * n
        for i in np.flatnonzero(dup_rank):
            listed[int(i)] = "/".join(f"{x:g}" for x in ranks.iloc[int(i)].dropna())
        shown = pd.Series(listed, dtype=object)
        check.flag(
            dup_rank, by_target.get(rank_cols[0], rank_cols[0]), shown, "each rank once per row"
        )

    check.flag(
        ~answered & ~check.bad,
        "<row>",
        pd.Series([None] * n, dtype=object),
        "an answer to at least one mapped question",
    )
    # "<row>" is not a column: show those problems without one.
    problems = [
        Problem(p.file, p.row, None, p.value, p.expected) if p.column == "<row>" else p
        for p in check.problems
    ]
    problems.sort(key=lambda p: p.row or 0)

    result = pd.DataFrame(
        {
            "respondent_id": respondent.astype(object),
            "audience": aud_values.astype(object),
            "segment": out.pop("segment"),
            "team": out.pop("team"),
            "account_id": out.pop("account_id"),
            "wave": wave_values.astype(object),
            "source": src_values.astype(object),
            "source_key": keys.astype(object),
        }
    )
    if out:
        result = pd.concat([result, pd.DataFrame(out)], axis=1)
    return ParsedResponses(
        file=file,
        format=export.format,
        frame=result,
        bad=check.bad,
        columns=matches,
        problems=problems,
        file_problems=file_problems,
    )


def import_responses(
    db: Database,
    slug: str,
    path: str | Path,
    *,
    audience: Audience | None = None,
    wave: str | None = None,
    mapping: str | Path | ResponseMapping | None = None,
    format: ExportFormat | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    on_parsed: Callable[[int], None] | None = None,
) -> ResponsesImport:
    """Read, map, validate and store one survey export, in one transaction.

    Without ``skip_invalid`` any problem raises :class:`InputError` listing
    every problem, and nothing is written. With it, the valid rows are written
    and the others listed in the result. A dry run writes nothing and returns
    the mapping and every problem. ``on_parsed(n_valid)`` is called once the
    file is validated (to size a progress bar); ``progress(n)`` as rows are
    written.
    """
    from cxgap.store.accounts import load_accounts
    from cxgap.store.frames import write_frame
    from cxgap.store.studies import load_study

    study = load_study(db, slug)
    if mapping is not None and not isinstance(mapping, ResponseMapping):
        mapping = load_response_mapping(mapping)
    known = load_accounts(db, slug)
    accounts = dict(
        zip(
            known["account_id"], known["segment"].where(known["segment"].notna(), None), strict=True
        )
    )
    export = read_export(path, format=format)
    parsed = parse_responses(
        export, study, audience=audience, wave=wave, mapping=mapping, accounts=accounts
    )
    return store_parsed(
        db,
        slug,
        parsed,
        audience=audience,
        wave=wave,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        progress=progress,
        on_parsed=on_parsed,
        write=write_frame,
    )


def store_parsed(
    db: Database,
    slug: str,
    parsed: ParsedResponses,
    *,
    audience: str | None,
    wave: str | None,
    dry_run: bool,
    skip_invalid: bool,
    progress: Callable[[int], None] | None,
    on_parsed: Callable[[int], None] | None,
    write: Callable[..., int],
) -> ResponsesImport:
    """Write the valid rows of ``parsed`` (shared by responses and workshops)."""
    if parsed.file_problems and not dry_run:
        raise InputError(parsed.file_problems)
    if parsed.problems and not (skip_invalid or dry_run):
        raise InputError(parsed.problems)
    valid = parsed.valid_frame
    written: int | None = None
    if not dry_run:
        if on_parsed:
            on_parsed(len(valid))
        written = write(db, slug, valid, file=parsed.file, progress=progress) if len(valid) else 0
    all_problems = parsed.file_problems + parsed.problems
    return ResponsesImport(
        file=parsed.file,
        format=parsed.format,
        study=slug,
        audience=audience,
        wave=wave,
        dry_run=dry_run,
        rows=len(parsed.frame),
        valid=0 if parsed.file_problems else len(valid),
        skipped=len(parsed.frame) if parsed.file_problems else int(parsed.bad.sum()),
        written=written,
        already_stored=None if written is None else len(valid) - written,
        columns=[ColumnRecord(**m.__dict__) for m in parsed.columns],
        unmapped=parsed.unmapped,
        problems=problem_records(all_problems),
    )
