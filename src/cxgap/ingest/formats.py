"""Recognise and read the survey exports of other tools.

Each tool lays its CSV/XLSX export out differently; :func:`read_export`
detects which one a file is and returns the data rows with, for every column,
the text to match against the study's questions, the tool's own (system)
columns, and the column that holds the export's response id (the source key
that makes re-imports idempotent).

========================  =====================================================
format                    layout (and where the tool documents it)
========================  =====================================================
``qualtrics``             three header rows: question export tags (``Q1``,
                          ``Q2_3``), question text (``... - Sub-item``), and
                          ``{"ImportId":"QID2_3"}`` JSON (older exports write
                          ``{'ImportId': 'QID2'}``); system columns
                          ``StartDate ... ResponseId ...``. The *legacy*
                          layout has two header rows: ``V1 ... V10`` then the
                          export tags, over ``ResponseID, ResponseSet, ...``
                          and the question text; the response id is ``V1``.
                          Qualtrics support, "Data & Analysis > Export data >
                          Understanding your dataset".
``surveymonkey``          two header rows: question text in the first column of
                          each question (blank, or merged in XLSX, over its
                          other columns), and in the second row ``Response`` /
                          ``Open-Ended Response`` or the option / matrix-row
                          label; ``Respondent ID`` (older: ``RespondentID``)
                          first. A file with one header row (the sub-header
                          row deleted) is read with one. SurveyMonkey help,
                          "Understanding exports".
``google_forms``          one header row, ``Timestamp`` first, then the
                          question text; checkbox answers joined with ``, ``
                          in one cell; grid rows as ``Question [Row]``. Google
                          Forms help, "View & manage form responses".
``typeform``              one header row: ``#`` (the response token) first,
                          question text, one column per option of a
                          multiple-choice question, then ``Start Date (UTC)``,
                          ``Submit Date (UTC)``, ``Network ID``. Typeform help,
                          "Download your results" (CSV/XLSX).
``limesurvey``            one header row, question codes (``q1``,
                          ``q2[SQ001]``) after ``id, submitdate, lastpage,
                          startlanguage`` (or their texts, ``Response ID,
                          Date submitted, ...``); the remote-control API
                          writes ``;`` between fields. LimeSurvey manual,
                          "Export responses".
``ms_forms``              one header row: ``ID, Start time, Completion time,
                          Email, Name`` (and ``Last modified time``), then the
                          question text. Microsoft Forms support, "View
                          results in Excel".
``cxgap``                 one header row with cxgap's own column names:
                          ``respondent_id, audience, segment, team,
                          account_id, wave`` and the question keys
                          (``perf.resolution``, ``leave.price``); an optional
                          ``response_id`` or ``source_key`` column.
``generic``               any other table with one header row.
========================  =====================================================

A cell holding only ``NA``, ``N/A``, ``NaN`` or another token of
:data:`~cxgap.ingest.tables.MISSING_TOKENS` is an unanswered cell wherever
an answer is read (the frame keeps the text as written).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxgap.contracts.choices import FORMATS, ExportFormat
from cxgap.ingest._export_columns import (
    GOOGLE_SYSTEM,
    LIMESURVEY_SYSTEM,
    MS_FORMS_SYSTEM,
    QUALTRICS_SYSTEM,
    SURVEYMONKEY_SYSTEM,
    TYPEFORM_SYSTEM,
    system_columns,
)
from cxgap.ingest.tables import detect_delimiter, parse_delimited, read_table, read_text

__all__ = [
    "CXGAP_META",
    "FORMATS",
    "GOOGLE_SYSTEM",
    "LIMESURVEY_SYSTEM",
    "MS_FORMS_SYSTEM",
    "QUALTRICS_SYSTEM",
    "SURVEYMONKEY_SYSTEM",
    "TYPEFORM_SYSTEM",
    "Export",
    "ExportFormat",
    "detect_format",
    "read_export",
]

CXGAP_META = frozenset(
    {"respondent_id", "audience", "segment", "team", "account_id", "wave", "source"}
)


@dataclass
class Export:
    """The data rows of one export, with what is known about its columns.

    ``frame`` holds the data rows only, every cell as text (``NaN`` when
    empty), with ``attrs["first_data_row"]`` set so that
    :func:`cxgap.ingest.tables.file_row` gives the row a spreadsheet shows.
    ``headers`` gives, for each column, the text to match against question
    text (Qualtrics' second header row; SurveyMonkey's question and
    sub-answer). ``system`` lists the tool's own columns (dates, IP
    addresses), which are never mapped. ``id_column`` holds the response id,
    or ``None`` when the tool writes none (then :attr:`response_ids` hashes
    each row). ``variant`` names an older layout of the format (Qualtrics'
    ``"legacy"``), else ``None``. ``unnamed`` lists the columns whose
    header cell was blank (named ``column``, ``column (2)``, ...).
    """

    file: str
    format: ExportFormat
    frame: pd.DataFrame
    headers: dict[str, str]
    system: frozenset[str] = field(default_factory=frozenset)
    id_column: str | None = None
    variant: str | None = None
    unnamed: frozenset[str] = field(default_factory=frozenset)

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def response_ids(self, id_column: str | None = None) -> pd.Series:
        """The export's response id of every row, as text.

        With no id column, a row's id is a hash of its cells (plus a counter
        among identical rows), so re-reading the same file gives the same
        ids and an export with rows appended keeps the ids of the old ones.
        """
        col = id_column or self.id_column
        if col is not None and col in self.frame.columns:
            return self.frame[col].astype("string").str.strip().astype(object)
        cells = [self.frame[c].astype(object).where(self.frame[c].notna(), "").astype(str)
                 for c in self.frame.columns]  # fmt: skip
        joined = cells[0]
        for more in cells[1:]:
            joined = joined + "\x1f" + more
        digests = joined.map(lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest()[:16])
        counter = digests.groupby(digests).cumcount()
        return (digests + "-" + counter.astype(str)).astype(object)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        base = name or "column"
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append(base if n == 0 else f"{base} ({n + 1})")
    return out


def _raw_header(frame: pd.DataFrame) -> list[str]:
    """Row-1 headers as written (pandas names blank ones ``Unnamed: 3``)."""
    names = ["" if c.startswith("Unnamed:") else c for c in map(str, frame.columns)]
    return [n.lstrip("\ufeff").strip() for n in names]


def _cell(frame: pd.DataFrame, row: int, col: int) -> str:
    if row >= len(frame) or col >= frame.shape[1]:
        return ""
    v = frame.iat[row, col]
    return v.strip() if isinstance(v, str) else ""


def _row(frame: pd.DataFrame, row: int) -> list[str]:
    return [_cell(frame, row, i) for i in range(frame.shape[1])]


#: A SurveyMonkey second header row's cells over a single answer column.
_SM_SUBHEADERS = frozenset({"Response", "Open-Ended Response"})
_SM_FIRST = ("Respondent ID", "RespondentID")
_LIME_CODES = frozenset({"id", "submitdate", "lastpage", "startlanguage"})
_LIME_TEXTS = frozenset({"Response ID", "Date submitted", "Last page", "Start language"})
#: The first header Google Forms writes, in the languages of its largest markets.
_GOOGLE_FIRST = frozenset(
    {"Timestamp", "Marca temporal", "Horodateur", "Zeitstempel", "Carimbo de data/hora"}
)


def _is_import_id(cell: str) -> bool:
    return cell.startswith(('{"ImportId"', "{'ImportId'"))


def detect_format(frame: pd.DataFrame) -> ExportFormat:
    """Which tool wrote a table read with one header row.

    Examples
    --------
    >>> import pandas as pd
    >>> detect_format(pd.DataFrame({"Timestamp": ["2026/01/05 10:00:00"], "Q": ["4"]}))
    'google_forms'
    >>> detect_format(pd.DataFrame({"respondent_id": ["r1"], "perf.resolution": ["4"]}))
    'cxgap'
    >>> detect_format(pd.DataFrame({"V1": ["ResponseID", "R_1"], "Q1": ["Rate us", "4"]}))
    'qualtrics'
    """
    cols = _raw_header(frame)
    first = cols[0] if cols else ""
    names = set(cols)
    if first == "V1" and _cell(frame, 0, 0) in ("ResponseID", "ResponseId"):
        return "qualtrics"  # the legacy layout
    if ({"ResponseId", "ResponseID"} & names) and any(_is_import_id(c) for c in _row(frame, 1)):
        return "qualtrics"
    if first in _SM_FIRST:
        return "surveymonkey"
    if first == "#" or {"Network ID", "Submit Date (UTC)"} <= names:
        return "typeform"
    if names >= _LIME_CODES or names >= _LIME_TEXTS:
        return "limesurvey"
    if first in ("ID", "Id") and {"Start time", "Completion time"} <= names:
        return "ms_forms"
    if first in _GOOGLE_FIRST:
        return "google_forms"
    if "respondent_id" in cols and ({"audience", "wave"} & names or any("." in c for c in cols)):
        return "cxgap"
    return "generic"


def _with_data(frame: pd.DataFrame, skip: int, first_data_row: int, source: str) -> pd.DataFrame:
    data = frame.iloc[skip:].reset_index(drop=True)
    data.attrs["source"] = source
    data.attrs["first_data_row"] = first_data_row
    return data


def _read_raw(path: str | Path) -> pd.DataFrame:
    """Read a CSV/TSV/XLSX export with one header row, every cell as text."""
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm") or not p.is_file():
        return read_table(path, header_rows=1)
    name = str(path)
    text = read_text(p, name)
    frame = parse_delimited(text, name, sep=detect_delimiter(text))
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["source"] = name
    frame.attrs["first_data_row"] = 2
    return frame


def _has_subheader(raw: pd.DataFrame, row1: list[str]) -> bool:
    """Whether a SurveyMonkey export's second row is its sub-header row.

    A respondent's row is not: it starts with the respondent's id (a
    number), and holds answers rather than ``Response`` / ``Open-Ended
    Response`` or option labels under blank question cells.
    """
    sub = _row(raw, 0)
    if not sub:
        return False
    first = sub[0]
    if first and (first.isdigit() or first not in ("", *_SM_FIRST)):
        return False
    filled = [i for i, c in enumerate(sub) if c]
    if not filled:
        return False
    labels = sum(1 for i in filled if sub[i] in _SM_SUBHEADERS)
    under_blank = sum(1 for i in filled if not row1[i])
    return labels > 0 or under_blank * 2 >= len(filled)


def _surveymonkey_names(row1: list[str], sub: list[str]) -> list[str]:
    """``<question> - <option>`` for each column of a two-row header.

    A question's text stands over its first column only (the others are
    blank, or merged cells in XLSX). A system column (``Respondent ID``) is
    no question: a blank cell after it takes its sub-header alone.
    """
    question = ""
    full: list[str] = []
    for top, below in zip(row1, sub, strict=True):
        if top in SURVEYMONKEY_SYSTEM:
            question = ""
            full.append(top)
            continue
        question = top or question
        if below in ("", *_SM_SUBHEADERS):
            full.append(question or below)
        else:
            full.append(f"{question} - {below}" if question else below)
    return full


def _drop_empty_columns(
    frame: pd.DataFrame, names: list[str], blank: list[bool]
) -> tuple[pd.DataFrame, list[str]]:
    """Drop the columns with no header text and no value (a trailing comma)."""
    keep = [i for i, b in enumerate(blank) if not (b and frame.iloc[:, i].isna().all())]
    if len(keep) == len(names):
        return frame, names
    kept = frame.iloc[:, keep].copy()
    kept.attrs.update(frame.attrs)
    return kept, [names[i] for i in keep]


def _export(
    name: str,
    fmt: ExportFormat,
    data: pd.DataFrame,
    headers: dict[str, str],
    id_col: str | None,
    variant: str | None = None,
) -> Export:
    """The export, with its system columns; an id column with no id at all
    (the tool's ids removed) is no id column."""
    names = list(data.columns)
    if id_col is not None and (id_col not in names or data[id_col].isna().all()):
        id_col = None
    return Export(name, fmt, data, headers, system_columns(fmt, names), id_col, variant)


def read_export(path: str | Path, *, format: ExportFormat | None = None) -> Export:
    """Read a survey export (CSV, TSV or XLSX) and recognise its layout.

    ``format`` forces a layout instead of detecting it. Encodings Excel
    writes (UTF-8 with or without BOM, UTF-16, Windows-1252) are read.
    Raises :class:`~cxgap.errors.InputError` for a missing, empty or
    unreadable file.
    """
    name = str(path)
    raw = _read_raw(path)
    fmt = format or detect_format(raw)
    row1 = _raw_header(raw)
    if fmt == "qualtrics":
        return _qualtrics(name, raw, row1)
    if fmt == "surveymonkey":
        if _has_subheader(raw, row1):
            sub = _row(raw, 0)
            full = _surveymonkey_names(row1, sub)
            blank = [not t and not b for t, b in zip(row1, sub, strict=True)]
            raw, names = _drop_empty_columns(raw, _dedupe(full), blank)
            raw.columns = names
            data = _with_data(raw, 1, 3, name)
        else:
            # One header row: a blank cell is another column of the question before it.
            names = _dedupe(_surveymonkey_names(row1, [""] * len(row1)))
            raw.columns = names
            data = _with_data(raw, 0, 2, name)
        id_col = next((c for c in _SM_FIRST if c in names), None)
        return _export(name, fmt, data, {n: n for n in names}, id_col)
    deduped = _dedupe(row1)
    blank_named = {n for n, c in zip(deduped, row1, strict=True) if not c}
    raw, names = _drop_empty_columns(raw, deduped, [not c for c in row1])
    raw.columns = names
    data = _with_data(raw, 0, 2, name)
    headers = {n: n for n in names}
    own_id: dict[ExportFormat, str | None] = {
        "typeform": "#",
        "limesurvey": "id" if "id" in names else "Response ID",
        "ms_forms": "ID" if "ID" in names else "Id",
        "cxgap": next((c for c in ("source_key", "response_id") if c in names), None),
    }
    export = _export(name, fmt, data, headers, own_id.get(fmt))
    export.unnamed = frozenset(blank_named & set(names))
    return export


def _qualtrics(name: str, raw: pd.DataFrame, row1: list[str]) -> Export:
    """Qualtrics: export tags, question text, then (current layout) the
    ImportId row; the legacy layout's tags are ``V1 ... V10`` over the
    system fields' names."""
    legacy = bool(row1) and row1[0] == "V1"
    if legacy:
        blank = [not t and not x for t, x in zip(row1, _row(raw, 0), strict=True)]
        raw, names = _drop_empty_columns(raw, _dedupe(row1), blank)
        texts = _row(raw, 0)
        raw.columns = names
        data = _with_data(raw, 1, 3, name)
        headers = {n: (t or n) for n, t in zip(names, texts, strict=True)}
        return _export(name, "qualtrics", data, headers, "V1", "legacy")
    raw, names = _drop_empty_columns(raw, _dedupe(row1), [not c for c in row1])
    texts = _row(raw, 0)
    raw.columns = names
    data = _with_data(raw, 2, 4, name)
    headers = {n: (t or n) for n, t in zip(names, texts, strict=True)}
    id_col = "ResponseId" if "ResponseId" in names else "ResponseID"
    return _export(name, "qualtrics", data, headers, id_col)
