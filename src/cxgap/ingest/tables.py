"""Read CSV, TSV and XLSX files the way users' tools write them.

Excel and survey tools write UTF-8 with or without a byte-order mark, UTF-16
(Excel's "Unicode text") and Windows-1252; all are read here. Every problem is
reported as a :class:`~cxgap.errors.Problem` naming file, row and column, with
rows numbered as a spreadsheet shows them (header = row 1).

What a file may cost is bounded before it is parsed
(:mod:`cxgap.contracts.limits`): a text file by its bytes, a workbook by what
its zip directory says it unzips to, and both by their rows, counted while
reading and read no further than one past the limit.
"""

from __future__ import annotations

import csv
import io
import itertools
import warnings
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd
import yaml
from openpyxl.utils.exceptions import InvalidFileException

from cxgap.contracts.limits import MAX_TABLE_BYTES, MAX_TABLE_ROWS, MAX_XLSX_RATIO, RATIO_FREE_BYTES
from cxgap.contracts.unzip import check_unzipped_size, human_size
from cxgap.errors import InputError, Problem

_ENCODINGS = ("utf-8-sig", "utf-16", "cp1252")

#: Cells that mean "no value" where a number, a date or an answer is read:
#: R's and pandas' ``NA``/``NaN``/``<NA>``, SPSS and Stata string exports'
#: ``NA``, Excel's ``#N/A``, and the ``N/A`` people type. Not ``None`` or
#: ``null`` (an answer: "none of them"), nor ``.``, ``-99`` or ``999``
#: (numeric codes whose meaning differs from file to file; ``cxgap compare
#: --na-value`` names them), nor anything in a label field (segment, team,
#: account id), where ``NA`` may be North America.
MISSING_TOKENS = frozenset(
    {"NA", "na", "N/A", "n/a", "N/a", "N.A.", "N.A", "n.a.", "NaN", "nan", "#N/A", "<NA>"}
)


def per_distinct(
    values: pd.Series, fn: Callable[[Any], Any], missing: Any, dtype: Any = object
) -> np.ndarray:
    """``fn`` of each cell of ``values``, computed once per distinct value and
    spread back over the rows (a column of a million events holds a few
    thousand values); a missing cell (NaN, None, NA) gets ``missing``."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))  # missing: code -1
    return np.array([*(fn(u) for u in uniques), missing], dtype=dtype)[codes]


def without_missing_tokens(values: pd.Series) -> pd.Series:
    """``values`` with every cell that is one of :data:`MISSING_TOKENS`
    (spaces around it aside) made empty (``NaN``).

    >>> list(without_missing_tokens(pd.Series(["4", " NA ", "N/A", None, "Nadia"])))
    ['4', nan, nan, nan, 'Nadia']
    """
    return values.mask(
        per_distinct(values, lambda u: str(u).strip() in MISSING_TOKENS, False, dtype=bool)
    )


#: What a damaged or mislabelled XLSX file makes openpyxl raise.
_XLSX_ERRORS = (
    ValueError,
    OSError,
    KeyError,
    TypeError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    ParseError,
    InvalidFileException,
)


def _decode(raw: bytes, name: str) -> str:
    """The text of a file in one of the encodings Excel writes.

    Text never holds a NUL character (no cell can): NULs at every other byte
    are UTF-16 without its byte-order mark, read as such; any other NUL is
    refused, naming its line.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(
                [
                    Problem(
                        name,
                        None,
                        None,
                        None,
                        f"text in UTF-16, as its byte-order mark says ({exc.reason})",
                    )
                ]
            ) from None
    elif b"\x00" in raw and (
        raw[1::2].count(0) > len(raw) // 4 or raw[0::2].count(0) > len(raw) // 4
    ):
        encoding = "utf-16-le" if raw[1::2].count(0) > raw[0::2].count(0) else "utf-16-be"
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    else:
        text = _decode_8bit(raw, name)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(
            [Problem(name, None, None, None, f"text without NUL characters (line {line} has one)")]
        )
    return text


def _decode_8bit(raw: bytes, name: str) -> str:
    for enc in _ENCODINGS:
        if enc == "utf-16":
            continue
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError([Problem(name, None, None, None, "text in UTF-8, UTF-16 or Windows-1252")])


def detect_delimiter(text: str) -> str:
    r"""The delimiter that splits the first lines into the most, equal, fields.

    Quoted headers often hold commas ("(1 = not at all, 5 = excellent)"), so
    each candidate is tried with a real CSV parser rather than counted.

    Examples
    --------
    >>> detect_delimiter('"a, b";c\n1;2\n')
    ';'
    """
    # The first 20 lines, without splitting the whole file (a million lines) into lines.
    head = "\n".join(text[: 1 << 20].splitlines()[:20])
    best, best_score = ",", (0, 0)
    for sep in (",", ";", "\t", "|"):
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(head), delimiter=sep) if r]
        except csv.Error:
            continue
        if not widths:
            continue
        score = (sum(w == widths[0] for w in widths), widths[0]) if widths[0] > 1 else (0, 0)
        if score > best_score:
            best, best_score = sep, score
    return best


def read_table(path: str | Path, *, header_rows: int = 1) -> pd.DataFrame:
    """Read a CSV/TSV/XLSX file into a DataFrame of strings.

    Every cell is kept as text (empty cells become ``NaN``) so that validation,
    not the parser, decides what a value means. The delimiter of a text file is
    sniffed among comma, semicolon, tab and pipe.

    Raises :class:`~cxgap.errors.InputError` when the file is missing, empty or
    unreadable, naming the file.
    """
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise InputError([Problem(name, None, None, None, "an existing file")])
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        frame = _read_workbook(p, name, header_rows)
    else:
        text = read_text(p, name)
        sep = "\t" if p.suffix.lower() == ".tsv" else detect_delimiter(text)
        frame = parse_delimited(text, name, sep=sep, header_rows=header_rows)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["source"] = name
    frame.attrs["first_data_row"] = header_rows + 1
    return frame


def read_text(path: Path, name: str) -> str:
    """The text of a CSV/TSV file ``path`` (called ``name`` in problems), in
    one of the encodings Excel writes; refused, unread, when it is larger than
    :data:`~cxgap.contracts.limits.MAX_TABLE_BYTES`, or when it is empty."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        # One byte past the limit: enough to know, should the file grow meanwhile.
        raw = fh.read(MAX_TABLE_BYTES + 1) if size <= MAX_TABLE_BYTES else b""
    if size > MAX_TABLE_BYTES or len(raw) > MAX_TABLE_BYTES:
        found = human_size(max(size, len(raw)))
        expected = f"a file of at most {human_size(MAX_TABLE_BYTES)} (this one is {found})"
        raise InputError([Problem(name, None, None, None, expected)])
    text = _decode(raw, name)
    if not text.strip():
        raise InputError([Problem(name, None, None, None, "a header row and data rows")])
    return text


def _read_workbook(path: Path, name: str, header_rows: int) -> pd.DataFrame:
    """The first sheet of an XLSX workbook, every cell as text; refused before
    parsing when its zip directory says it unzips to too much, and read no
    further than one row past :data:`~cxgap.contracts.limits.MAX_TABLE_ROWS`."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_unzipped_size(
                archive,
                name,
                max_bytes=MAX_TABLE_BYTES,
                what="an XLSX workbook",
                max_ratio=MAX_XLSX_RATIO,
                ratio_free=RATIO_FREE_BYTES,
            )
        # openpyxl's read-only mode, which pandas uses, reads rows one at a time.
        # Cells are kept as written ("N/A", "None"), as in a CSV file; only empty ones are NaN.
        frame = pd.read_excel(
            path,
            dtype=str,
            header=header_rows - 1,
            engine="openpyxl",
            nrows=MAX_TABLE_ROWS + 1,
            keep_default_na=False,
            na_values=[""],
        )
    except _XLSX_ERRORS as exc:
        expected = f"a readable XLSX file ({exc})"
        raise InputError([Problem(name, None, None, None, expected)]) from None
    return _bounded_rows(frame, name)


def _bounded_rows(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame``, read with ``nrows = MAX_TABLE_ROWS + 1``; refused when it has that extra row."""
    if len(frame) > MAX_TABLE_ROWS:
        expected = f"a file of at most {MAX_TABLE_ROWS:,} data rows (this one has more)"
        raise InputError([Problem(name, None, None, None, expected)])
    return frame


def parse_delimited(text: str, name: str, *, sep: str, header_rows: int = 1) -> pd.DataFrame:
    """Parse delimited text into a DataFrame of strings (empty cells ``NaN``).

    A row holding more cells than the header row is refused, naming the row:
    pandas would otherwise take its first cells as an index and shift every
    value into the column on its left. Empty cells past the header's width
    (trailing delimiters) are dropped. More than
    :data:`~cxgap.contracts.limits.MAX_TABLE_ROWS` data rows are refused,
    parsing no further than one past the limit.
    """
    options: dict[str, object] = {
        "nrows": MAX_TABLE_ROWS + 1,
        "sep": sep,
        "dtype": str,
        "keep_default_na": False,
        "na_values": [""],
        "header": header_rows - 1,
        "skip_blank_lines": True,
        "index_col": False,
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            try:
                frame = pd.read_csv(io.StringIO(text), **options)  # type: ignore[call-overload]
                return _bounded_rows(frame, name)
            except pd.errors.ParserWarning:
                long = _long_row(text, sep, header_rows)
                if long is not None:
                    row, width, cells = long
                    raise InputError(
                        [
                            Problem(
                                name,
                                row,
                                None,
                                None,
                                f"at most {width} cells, as many as the header row "
                                f"(this row has {cells})",
                            )
                        ]
                    ) from None
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), **options)  # type: ignore[call-overload]
            return _bounded_rows(frame, name)
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(
            [Problem(name, None, None, None, f"a well-formed delimited file ({exc})")]
        ) from None


def _long_row(text: str, sep: str, header_rows: int) -> tuple[int, int, int] | None:
    """(row, header width, cells) of the first row with a filled cell past the
    header's width, or ``None``."""
    # Rows are read one at a time, no further than the row limit.
    rows = itertools.islice(csv.reader(io.StringIO(text), delimiter=sep), MAX_TABLE_ROWS + 1)
    try:
        head = list(itertools.islice(rows, header_rows))
        if len(head) < header_rows:
            return None
        width = len(head[-1])
        for number, cells in enumerate(rows, start=header_rows + 1):
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                return number, width, len(cells)
    except csv.Error:
        return None
    return None


def parse_yaml(text: str, name: str, *, row: int | None = None) -> Any:
    """The YAML document in ``text`` (of file ``name``); an :class:`InputError`
    names the file when it is not valid YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, row, None, None, f"valid YAML ({exc})")]) from None
    except ValueError as exc:  # PyYAML's constructors: an impossible date such as 2026-13-01
        raise InputError([Problem(name, row, None, None, f"valid YAML values ({exc})")]) from None


def read_yaml_file(path: str | Path) -> Any:
    """The YAML document of a mapping file; an :class:`InputError` names the
    file when it is missing, not UTF-8 text, or not valid YAML."""
    name = str(path)
    p = Path(path)
    if not p.is_file():
        raise InputError([Problem(name, None, None, None, "an existing mapping file")])
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(name, None, None, None, "a UTF-8 text file")]) from None
    return parse_yaml(text, name)


def unstorable(values: pd.Series) -> np.ndarray:
    """Which text cells no database can store: a NUL character (PostgreSQL
    refuses it) or an unpaired surrogate (not UTF-8; a JSON body can hold one).

    Each distinct value is looked at once (an events file's touchpoint,
    moment and account columns repeat a few values a million times)."""

    def bad(v: object) -> bool:
        if not isinstance(v, str):
            return False
        if "\x00" in v:
            return True
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False

    return per_distinct(values, bad, False, dtype=bool)


def file_row(frame: pd.DataFrame, position: int) -> int:
    """Spreadsheet row number of the row at 0-based ``position``: from
    ``frame.attrs["file_rows"]`` where a reader left rows out (a preset
    skipping open tickets), else counted from ``first_data_row``."""
    rows = frame.attrs.get("file_rows")
    if rows is not None:
        return int(rows[position])
    return int(frame.attrs.get("first_data_row", 2)) + position


def require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise an :class:`InputError` naming every missing column."""
    source = frame.attrs.get("source", "<data>")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(repr, frame.columns[:20]))
        raise InputError(
            [
                Problem(source, None, c, None, f"a column named {c!r} (columns: {have})")
                for c in missing
            ]
        )


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    *,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    drop_invalid: bool = False,
) -> tuple[pd.Series, int]:
    """Validate one column as numbers within ``[low, high]``.

    Returns the column as floats with ``NaN`` for empty cells and cells of
    :data:`MISSING_TOKENS` (and for invalid cells when ``drop_invalid``),
    and the number of invalid cells dropped.
    Without ``drop_invalid``, any invalid cell raises :class:`InputError`
    listing every bad cell with its row.
    """
    require_columns(frame, [column])
    source = frame.attrs.get("source", "<data>")
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    unparsed = (raw.notna() & values.isna()).to_numpy().copy()
    if unparsed.any():
        # Only the cells that did not parse (a few, in a clean export) are
        # stripped and checked for being blank or a missing-value token;
        # "NaN" and "nan" parse as NaN and are caught here too.
        at = np.flatnonzero(unparsed)
        text = raw.iloc[at].astype("string").str.strip()
        empty = (text.isin(MISSING_TOKENS) | (text == "")).fillna(True).to_numpy(dtype=bool)
        unparsed[at[empty]] = False
    bad = pd.Series(unparsed, index=values.index)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    if integer:
        bad |= values.notna() & (np.floor(values) != values)
    expected = "a number"
    if integer:
        expected = "a whole number"
    if low is not None and high is not None:
        expected += f" from {low:g} to {high:g}"
    elif low is not None:
        expected += f" of at least {low:g}"
    positions = np.flatnonzero(bad.to_numpy())
    if len(positions) and not drop_invalid:
        raise InputError(
            [
                Problem(source, file_row(frame, int(i)), column, raw.iloc[int(i)], expected)
                for i in positions
            ]
        )
    values = values.mask(bad)
    return values, len(positions)
