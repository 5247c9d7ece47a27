"""Read CSV, TSV and XLSX files the way users' tools write them.

Excel and survey tools write UTF-8 with or without a byte-order mark, UTF-16
(Excel's "Unicode text") and Windows-1252; all are read here. Every problem is
reported as a :class:`~cxgap.errors.Problem` naming file, row and column, with
rows numbered as a spreadsheet shows them (header = row 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cxgap.errors import InputError, Problem

_ENCODINGS = ("utf-8-sig", "utf-16", "cp1252")


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
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
    head = "\n".join(text.splitlines()[:20])
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
        try:
            frame = pd.read_excel(p, dtype=str, header=header_rows - 1, engine="openpyxl")
        except (ValueError, OSError, KeyError) as exc:
            raise InputError(
                [Problem(name, None, None, None, f"a readable XLSX file ({exc})")]
            ) from None
    else:
        text = _decode(p.read_bytes(), name)
        if not text.strip():
            raise InputError([Problem(name, None, None, None, "a header row and data rows")])
        sep = "\t" if p.suffix.lower() == ".tsv" else detect_delimiter(text)
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                header=header_rows - 1,
                skip_blank_lines=True,
            )
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(
                [Problem(name, None, None, None, f"a well-formed delimited file ({exc})")]
            ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["source"] = name
    frame.attrs["first_data_row"] = header_rows + 1
    return frame


def file_row(frame: pd.DataFrame, position: int) -> int:
    """Spreadsheet row number of the row at 0-based ``position``."""
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

    Returns the column as floats with ``NaN`` for empty cells (and for invalid
    cells when ``drop_invalid``), and the number of invalid cells dropped.
    Without ``drop_invalid``, any invalid cell raises :class:`InputError`
    listing every bad cell with its row.
    """
    require_columns(frame, [column])
    source = frame.attrs.get("source", "<data>")
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = raw.notna() & values.isna()
    if bad.any():
        # Only the cells that did not parse are checked for being blank.
        blank = raw[bad].astype(str).str.strip() == ""
        bad[blank[blank].index] = False
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
