"""Validate a survey export cell by cell and turn it into the wide frame.

Every cell of a mapped column is checked against its question: ratings and
NPS are whole numbers within the question's scale, shares are numbers within
0-100, ranks whole numbers 1..k used once per row, multi-select cells name the
question's options (or say 1/0, yes/no), choices name an item, text is kept
as written. Words become numbers through the mapping file's vocabularies and
a few built-in, unambiguous anchor sets (agreement and importance scales as
in Vagias 2006; the NPS end labels "Not at all likely" = 0 and "Extremely
likely" = 10). Segment, team, account and wave are checked against the
study and the imported accounts. :func:`parse_responses` reads as its steps
(columns mapped; audience and wave; segment, team and account; response ids;
answers); the cells of each kind of question are read by
:mod:`cxgap.ingest._answer_cells`, with the rules of :mod:`cxgap.study.answers`.

Every problem is collected with its file, row, column, value and what was
expected; :func:`import_responses` writes nothing unless all rows are valid,
or, with ``skip_invalid``, writes the valid rows and reports the others. The
export's response id becomes the ``source_key``, so importing the same
export again adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from cxgap.contracts.cells import write_safe_csv
from cxgap.errors import InputError, Problem
from cxgap.ingest._answer_cells import answer_cells, cell_text
from cxgap.ingest.formats import Export, ExportFormat, read_export
from cxgap.ingest.mapping import (
    ColumnMatch,
    ResponseMapping,
    Target,
    attribute_targets,
    load_response_mapping,
    match_columns,
    normalise,
    response_mapping_from_text,
    study_targets,
    with_na_values,
)
from cxgap.ingest.tables import file_row, without_missing_tokens
from cxgap.store.db import Database
from cxgap.study.model import AUDIENCES, Audience, Item, StudyDefinition, Wave

__all__ = [
    "ParsedResponses",
    "ResponsesImport",
    "import_responses",
    "parse_responses",
    "problem_records",
    "store_parsed",
    "write_problem_report",
]


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
    updated: int | None = None
    mapping: str | None = None
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
    """Collects the problems of one export: cell by cell (``flag``), and with
    the whole file (``file_problems``); ``by_target`` names the export column
    mapped onto each target."""

    def __init__(self, export: Export, by_target: dict[str, str]) -> None:
        self.export = export
        self.frame = export.frame
        self.n = len(export.frame)
        self.by_target = by_target
        self.problems: list[Problem] = []
        self.file_problems: list[Problem] = []
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

    def file_problem(self, column: str | None, value: object, expected: str) -> None:
        self.file_problems.append(Problem(self.export.file, None, column, value, expected))

    def column(self, target: str) -> pd.Series | None:
        """The stripped cells of the column mapped onto ``target``, if any."""
        col = self.by_target.get(target)
        return None if col is None else cell_text(self.frame[col]).reset_index(drop=True)

    def empty(self) -> pd.Series:
        """A column with no value on any row."""
        return pd.Series([None] * self.n, dtype=object)


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
    matches = match_columns(
        list(export.frame.columns),
        export.headers,
        study,
        audience=audience,
        mapping=mapping,
        system=export.system,
        file=export.file,
    )
    targets = study_targets(study, audience)
    check = _Checker(export, {m.target: m.column for m in matches if m.target is not None})
    _check_questions_mapped(check, targets, allowed)
    audiences = _audiences(check, audience)
    waves = _waves(check, study, wave)
    wide = _people(check, study, mapping, audiences, accounts)  # the answers join them
    attributes = _attributes(check, study)
    keys, respondents = _response_keys(check, waves)
    sources = _sources(check, source)
    answered = _answers(check, study, targets, mapping, audiences, wide)
    expected = "an answer to at least one mapped question"
    check.flag(~answered & ~check.bad, "<row>", check.empty(), expected)
    # The wide frame: who answered, when and how, then the answers.
    frame = pd.DataFrame(
        {
            "respondent_id": respondents.astype(object),
            "audience": audiences.astype(object),
            "segment": wide.pop("segment"),
            "team": wide.pop("team"),
            "account_id": wide.pop("account_id"),
            "wave": waves.astype(object),
            "source": sources.astype(object),
            "source_key": keys.astype(object),
        }
    )
    if wide:
        frame = pd.concat([frame, pd.DataFrame(wide)], axis=1)
    if attributes:
        frame = pd.concat([frame, pd.DataFrame(attributes)], axis=1)
    return ParsedResponses(
        file=export.file,
        format=export.format,
        frame=frame,
        bad=check.bad,
        columns=matches,
        problems=_in_row_order(check.problems),
        file_problems=check.file_problems,
    )


def _in_row_order(problems: list[Problem]) -> list[Problem]:
    """The cell problems by row, each row's in the order found; a problem of
    a whole row ("<row>", not a column) is shown without a column."""
    shown = [
        Problem(p.file, p.row, None, p.value, p.expected) if p.column == "<row>" else p
        for p in problems
    ]
    return sorted(shown, key=lambda p: p.row or 0)


def _check_questions_mapped(
    check: _Checker, targets: Mapping[str, Target], allowed: Collection[str] | None
) -> None:
    """The file maps at least one question column, and only ``allowed`` ones."""
    if allowed is not None:
        for t, col in check.by_target.items():
            if t in targets and t not in allowed:
                check.file_problem(col, t, "one of the columns " + ", ".join(allowed))
    if not any(t in targets for t in check.by_target):
        check.file_problem(
            None,
            None,
            "at least one column matching a question of the study "
            "(check the headers with --dry-run, or map them in a --mapping file)",
        )


def _audiences(check: _Checker, audience: Audience | None) -> pd.Series:
    """Each row's audience: its audience column ("Customers" will do), else
    the option for every row."""
    given = check.column("audience")
    if given is None:
        if audience is None:
            check.file_problem("audience", None, "an --audience option or an audience column")
        return pd.Series([audience] * check.n, dtype=object)
    norm = given.map(lambda v: normalise(v).rstrip("s") if isinstance(v, str) else v)
    norm = norm.fillna(audience) if audience else norm
    ok = norm.isin(AUDIENCES)
    expected = "one of " + ", ".join(AUDIENCES)
    check.flag(~ok.to_numpy(dtype=bool), check.by_target["audience"], given, expected)
    return norm.where(ok, None)


def _waves(check: _Checker, study: StudyDefinition, wave: str | None) -> pd.Series:
    """Each row's wave key: its wave column (key or label), else the option
    for every row."""
    expected = "one of " + ", ".join(study.wave_keys())
    given = check.column("wave")
    if given is None:
        if wave is None:
            check.file_problem("wave", None, "a --wave option or a wave column")
        elif wave not in study.wave_keys():
            check.file_problem("wave", wave, expected)
        return pd.Series([wave] * check.n, dtype=object)
    keys = _names(study.waves, {})
    filled = given.fillna(wave) if wave else given
    values = filled.map(lambda v: keys.get(normalise(v)) if isinstance(v, str) else None)
    check.flag(values.isna().to_numpy(dtype=bool), check.by_target["wave"], given, expected)
    return values


def _names(items: Sequence[Item | Wave], words: Mapping[str, str]) -> dict[str, str]:
    """Normalised key, label or mapping-file word -> key (later ones win)."""
    names = {normalise(x.key): x.key for x in items}
    names |= {normalise(x.label): x.key for x in items}
    return names | {normalise(k): v for k, v in words.items()}


def _people(
    check: _Checker,
    study: StudyDefinition,
    mapping: ResponseMapping,
    audiences: pd.Series,
    accounts: Collection[str] | None,
) -> dict[str, pd.Series]:
    """Each row's segment and account (customers) and team (staff and
    leadership); left empty for the other audiences."""
    is_customer = (audiences == "customer").to_numpy(dtype=bool)
    inside = audiences.isin(["staff", "leadership"]).to_numpy(dtype=bool)
    segments = _names(study.segments, mapping.segments)
    expected = "a segment: " + ", ".join(s.key for s in study.segments)
    segment = _looked_up(check, "segment", segments, is_customer, expected)
    teams = _names(study.touchpoints, mapping.teams)
    expected = "a team (touchpoint): " + ", ".join(x.key for x in study.touchpoints)
    team = _looked_up(check, "team", teams, inside, expected)
    account_id, segment = _accounts(check, accounts, is_customer, segment)
    return {"segment": segment, "team": team, "account_id": account_id}


def _looked_up(
    check: _Checker, target: str, names: Mapping[str, str], applies: np.ndarray, expected: str
) -> pd.Series:
    """The key each cell of ``target``'s column names, on the rows it applies to."""
    given = check.column(target)
    if given is None:
        return check.empty()
    values = given.map(lambda v: names.get(normalise(v)) if isinstance(v, str) else None)
    unknown = applies & given.notna().to_numpy() & values.isna().to_numpy()
    check.flag(unknown, check.by_target[target], given, expected)
    return values.where(pd.Series(applies), None)


def _accounts(
    check: _Checker, accounts: Collection[str] | None, is_customer: np.ndarray, segment: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Each customer row's account id (one of ``accounts``, when given) and
    its segment, which the account's fills when the export has none."""
    given = check.column("account_id")
    if given is None:
        return check.empty(), segment
    if accounts is not None:
        known = set(accounts)
        unknown = is_customer & given.notna().to_numpy() & ~given.isin(known).to_numpy()
        expected = "the id of an imported account (cxgap import accounts)"
        check.flag(unknown, check.by_target["account_id"], given, expected)
    account_id = given.where(pd.Series(is_customer), None)
    if isinstance(accounts, Mapping):
        # A customer with no segment in the export takes their account's.
        segments = accounts
        from_account = account_id.map(lambda a: segments.get(a) if isinstance(a, str) else None)
        segment = segment.where(segment.notna(), from_account)
    return account_id, segment


def _attributes(check: _Checker, study: StudyDefinition) -> dict[str, pd.Series]:
    """Each row's value of every attribute the file maps (``attr.<key>``):
    the cell's text, stripped, ``None`` where empty. Where the attribute
    lists its ``values``, a cell must name one of them (compared as
    :func:`normalise` does, kept as the study writes it)."""
    out: dict[str, pd.Series] = {}
    by_key = {a.key: a for a in study.attributes}
    for column, key in attribute_targets(study).items():
        given = check.column(column)
        if given is None:
            continue
        allowed = by_key[key].values
        if not allowed:
            out[column] = given.astype(object)
            continue
        names = {normalise(v): v for v in allowed}
        values = pd.Series(
            [names.get(normalise(v)) if isinstance(v, str) else None for v in given],
            dtype=object,
        )
        unknown = given.notna().to_numpy(dtype=bool) & values.isna().to_numpy(dtype=bool)
        expected = f"a {by_key[key].label} value: one of " + ", ".join(allowed)
        check.flag(unknown, check.by_target[column], given, expected)
        out[column] = values.astype(object)
    return out


def _response_keys(check: _Checker, waves: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each row's ``source_key`` and respondent id.

    The key is the export's response id (after the format's name), else a
    hash of the row; in cxgap's format without a response id column it is
    ``respondent_id:wave``. A response id is given once in the file; the
    respondent id defaults to the key.
    """
    export = check.export
    id_col = check.by_target.get("response_id") or export.id_column
    rid = check.column("respondent_id")
    if export.format == "cxgap" and id_col is None and rid is not None:
        ids = (rid.fillna("") + ":" + waves.fillna("")).astype(object)
        keys = ids
    else:
        ids = cell_text(export.response_ids(id_col)).reset_index(drop=True)
        prefix = "" if export.format == "cxgap" else f"{export.format}:"
        keys = (prefix + ids.fillna("")).astype(object)
        if id_col is not None:
            check.flag(ids.isna().to_numpy(dtype=bool), id_col, ids, "a response id")
    dup = keys.duplicated(keep="first").to_numpy(dtype=bool) & pd.notna(ids).to_numpy()
    # In cxgap's format without an id column, the id is respondent_id:wave: name that column.
    id_source = id_col or check.by_target.get("respondent_id") or "<row>"
    check.flag(dup, id_source, ids, "each response id once in the file")
    if rid is None:
        return keys, keys
    check.flag(
        rid.isna().to_numpy(dtype=bool), check.by_target["respondent_id"], rid, "a respondent id"
    )
    return keys, rid.fillna(keys)


def _sources(check: _Checker, source: str) -> pd.Series:
    """Each row's source: its source column, else ``source``."""
    given = check.column("source")
    if given is None:
        return pd.Series([source] * check.n, dtype=object)
    values = given.fillna(source)
    ok = values.isin(["individual", "workshop"]).to_numpy(dtype=bool)
    check.flag(~ok, check.by_target["source"], given, "individual or workshop")
    return values


def _answers(
    check: _Checker,
    study: StudyDefinition,
    targets: Mapping[str, Target],
    mapping: ResponseMapping,
    audiences: pd.Series,
    out: dict[str, pd.Series],
) -> np.ndarray:
    """Read every question column into ``out``; return the rows that answer
    at least one question."""
    answered = np.zeros(check.n, dtype=bool)
    option_columns: dict[str, list[str]] = {}  # multi question -> its option columns
    for name, col in check.by_target.items():
        if name not in targets:
            continue
        target = targets[name]
        text = cell_text(without_missing_tokens(check.frame[col])).reset_index(drop=True)
        cells = answer_cells(text, target, study, mapping)
        check.flag(cells.bad, col, text, cells.expected)
        out.update(cells.values)
        answered |= cells.answered
        if target.question.kind == "multi" and target.item:
            option_columns.setdefault(target.question.key, []).append(name)
    _flag_unasked(check, targets, out, audiences)
    for columns in option_columns.values():
        _fill_not_chosen(out, columns)
    _flag_repeated_ranks(check, out)
    return answered


def _flag_unasked(
    check: _Checker, targets: Mapping[str, Target], out: dict[str, pd.Series], audiences: pd.Series
) -> None:
    """In a file of several audiences, a question not asked of a row's
    audience stays empty."""
    for column, values in out.items():
        if column in ("segment", "team", "account_id") or (
            column not in targets and "." not in column
        ):
            continue
        base = column if column in targets else column.rsplit(".", 1)[0]
        if base not in targets:
            continue
        q = targets[base].question
        off = values.notna().to_numpy() & ~audiences.isin(q.audiences).to_numpy(dtype=bool)
        off &= audiences.notna().to_numpy(dtype=bool)
        if off.any():
            col = check.by_target.get(column) or check.by_target.get(q.key, column)
            shown = cell_text(check.frame[col]).reset_index(drop=True)
            check.flag(off, col, shown, f"no answer: {q.key} is not asked of this row's audience")


def _fill_not_chosen(out: dict[str, pd.Series], columns: list[str]) -> None:
    """A multi-select question in one column per option: on a row that
    answers any option, an empty option was not chosen (0)."""
    any_answer = pd.DataFrame({c: out[c] for c in columns}).notna().any(axis=1)
    for c in columns:
        out[c] = out[c].where(~(any_answer & out[c].isna()), 0.0)


def _flag_repeated_ranks(check: _Checker, out: dict[str, pd.Series]) -> None:
    """Each rank is used once per row."""
    rank_cols = [c for c in out if c.startswith("rank.")]
    if len(rank_cols) < 2:
        return
    ranks = pd.DataFrame({c: out[c] for c in rank_cols})
    ordered = np.sort(ranks.to_numpy(), axis=1)  # NaN sorts last
    repeated = (np.diff(ordered, axis=1) == 0).any(axis=1)
    listed: list[str | None] = [None] * check.n
    for i in np.flatnonzero(repeated):
        listed[int(i)] = "/".join(f"{x:g}" for x in ranks.iloc[int(i)].dropna())
    shown = pd.Series(listed, dtype=object)
    column = check.by_target.get(rank_cols[0], rank_cols[0])
    check.flag(repeated, column, shown, "each rank once per row")


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
    na_values: Sequence[str] = (),
    update: bool = False,
    stored_mapping: bool = True,
) -> ResponsesImport:
    """Read, map, validate and store one survey export, in one transaction.

    Without ``skip_invalid`` any problem raises :class:`InputError` listing
    every problem, and nothing is written. With it, the valid rows are written
    and the others listed in the result. A dry run writes nothing and returns
    the mapping and every problem. ``on_parsed(n_valid)`` is called once the
    file is validated (to size a progress bar); ``progress(n)`` as rows are
    written.

    With no ``mapping``, the mapping stored with the study (``cxgap init
    --from``) is used, unless ``stored_mapping`` is false. ``na_values`` mean
    "no answer" in every column. A row already stored (same response id)
    whose answers now read differently (a changed mapping) raises
    :class:`~cxgap.errors.ConflictError` saying what differs, unless
    ``update``, which replaces the stored answers of those responses.
    """
    from cxgap.store.accounts import load_accounts
    from cxgap.store.frames import write_responses
    from cxgap.store.mappings import load_mapping_text
    from cxgap.store.studies import load_study

    study = load_study(db, slug)
    used: str | None = None
    if mapping is not None and not isinstance(mapping, ResponseMapping):
        used = str(mapping)
        mapping = load_response_mapping(mapping)
    elif mapping is None and stored_mapping:
        stored = load_mapping_text(db, slug)
        if stored is not None:
            used = f"the mapping stored with study {slug}" + (
                f" (inferred from {stored.source})" if stored.source else ""
            )
            mapping = response_mapping_from_text(stored.yaml, f"mapping of study {slug!r}")
    if na_values:
        mapping = with_na_values(mapping, list(na_values))
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
    counts: dict[str, int] = {}

    def write(db: Database, slug: str, frame: pd.DataFrame, **kw: Any) -> int:
        written, updated = write_responses(db, slug, frame, update=update, **kw)
        counts["updated"] = updated
        return written

    result = store_parsed(
        db,
        slug,
        parsed,
        audience=audience,
        wave=wave,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        progress=progress,
        on_parsed=on_parsed,
        write=write,
    )
    return result.model_copy(update={"mapping": used, "updated": counts.get("updated")})


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
