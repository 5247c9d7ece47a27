"""Recognise and read the survey exports of other tools.

Each tool lays its CSV/XLSX export out differently; :func:`read_export`
detects which one a file is and returns the data rows with, for every column,
the text to match against the study's questions and the column that holds the
export's response id (the source key that makes re-imports idempotent).

========================  =====================================================
format                    layout (and where the tool documents it)
========================  =====================================================
``qualtrics``             three header rows: question export tags (``Q1``,
                          ``Q2_3``), question text (``... - Sub-item``), and
                          ``{"ImportId":"QID2_3"}`` JSON; system columns
                          ``StartDate ... ResponseId ...``. Qualtrics support,
                          "Data & Analysis > Export data > Understanding your
                          dataset" (the legacy two-row layout also reads, as
                          ``generic`` with one header row).
``surveymonkey``          two header rows: question text in the first column of
                          each question (blank over its other columns), and in
                          the second row ``Response`` / ``Open-Ended
                          Response`` or the option / matrix-row label;
                          ``Respondent ID`` first. SurveyMonkey help,
                          "Understanding exports" / "Individual responses
                          export (all responses data)".
``google_forms``          one header row, ``Timestamp`` first, then the
                          question text; checkbox answers joined with ``, ``
                          in one cell; grid rows as ``Question [Row]``. Google
                          Forms help, "View & manage form responses" (export to
                          Sheets, then File > Download > CSV).
``typeform``              one header row: ``#`` (the response token) first,
                          question text, one column per option of a
                          multiple-choice question, then ``Start Date (UTC)``,
                          ``Submit Date (UTC)``, ``Network ID``. Typeform help,
                          "Download your results" (CSV/XLSX).
``cxgap``                 one header row with cxgap's own column names:
                          ``respondent_id, audience, segment, team,
                          account_id, wave`` and the question keys
                          (``perf.resolution``, ``leave.price``); an optional
                          ``response_id`` or ``source_key`` column.
``generic``               any other table with one header row.
========================  =====================================================
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxgap.contracts.choices import FORMATS, ExportFormat
from cxgap.ingest.tables import detect_delimiter, parse_delimited, read_table, read_text

__all__ = ["FORMATS", "Export", "ExportFormat", "detect_format", "read_export"]


# Columns each tool adds on its own: never mapped to questions.
QUALTRICS_SYSTEM = frozenset(
    {
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "ResponseID",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "ExternalDataReference",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "UserLanguage",
    }
)
SURVEYMONKEY_SYSTEM = frozenset(
    {
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
        "Custom Data",
    }
)
GOOGLE_SYSTEM = frozenset({"Timestamp", "Email Address", "Email address", "Score"})
TYPEFORM_SYSTEM = frozenset(
    {
        "#",
        "Response Type",
        "Start Date (UTC)",
        "Stage Date (UTC)",
        "Submit Date (UTC)",
        "Network ID",
        "Tags",
        "Ending",
    }
)
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
    each row).
    """

    file: str
    format: ExportFormat
    frame: pd.DataFrame
    headers: dict[str, str]
    system: frozenset[str] = field(default_factory=frozenset)
    id_column: str | None = None

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
    return ["" if c.startswith("Unnamed:") else c for c in map(str, frame.columns)]


def _cell(frame: pd.DataFrame, row: int, col: int) -> str:
    if row >= len(frame):
        return ""
    v = frame.iat[row, col]
    return v.strip() if isinstance(v, str) else ""


def detect_format(frame: pd.DataFrame) -> ExportFormat:
    """Which tool wrote a table read with one header row.

    Examples
    --------
    >>> import pandas as pd
    >>> detect_format(pd.DataFrame({"Timestamp": ["2026/01/05 10:00:00"], "Q": ["4"]}))
    'google_forms'
    >>> detect_format(pd.DataFrame({"respondent_id": ["r1"], "perf.resolution": ["4"]}))
    'cxgap'
    """
    cols = _raw_header(frame)
    first = cols[0] if cols else ""
    if ("ResponseId" in cols or "ResponseID" in cols) and _cell(frame, 1, 0).startswith(
        '{"ImportId"'
    ):
        return "qualtrics"
    if first == "Respondent ID" and len(frame) >= 1:
        return "surveymonkey"
    if first == "#" or {"Network ID", "Submit Date (UTC)"} <= set(cols):
        return "typeform"
    if first == "Timestamp":
        return "google_forms"
    if "respondent_id" in cols and (
        {"audience", "wave"} & set(cols) or any("." in c for c in cols)
    ):
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
        names = _dedupe(row1)
        texts = [_cell(raw, 0, i) or names[i] for i in range(len(names))]
        raw.columns = names
        data = _with_data(raw, 2, 4, name)
        id_col = "ResponseId" if "ResponseId" in names else "ResponseID"
        return Export(
            name, fmt, data, dict(zip(names, texts, strict=True)), QUALTRICS_SYSTEM, id_col
        )
    if fmt == "surveymonkey":
        question = ""
        full: list[str] = []
        for i, top in enumerate(row1):
            question = top or question
            sub = _cell(raw, 0, i)
            if top in SURVEYMONKEY_SYSTEM or sub in ("", "Response", "Open-Ended Response"):
                full.append(question)
            else:
                full.append(f"{question} - {sub}")
        names = _dedupe(full)
        raw.columns = names
        data = _with_data(raw, 1, 3, name)
        return Export(name, fmt, data, {n: n for n in names}, SURVEYMONKEY_SYSTEM, "Respondent ID")
    names = _dedupe(row1)
    raw.columns = names
    data = _with_data(raw, 0, 2, name)
    headers = {n: n for n in names}
    if fmt == "typeform":
        return Export(name, fmt, data, headers, TYPEFORM_SYSTEM, "#")
    if fmt == "google_forms":
        return Export(name, fmt, data, headers, GOOGLE_SYSTEM, None)
    if fmt == "cxgap":
        own_id = next((c for c in ("source_key", "response_id") if c in names), None)
        return Export(name, fmt, data, headers, frozenset({"source_key", "response_id"}), own_id)
    return Export(name, fmt, data, headers, frozenset(), None)
