"""Safe spreadsheet cells: neutralising formula injection in what cxgap writes.

A spreadsheet program treats a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula, and a leading tab or carriage return can hide such a
start. Survey answers and names are written by respondents, so any CSV or
XLSX cell cxgap writes from them could carry a formula (``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``) that runs when the lead opens the file. The OWASP
advice is to prefix such cells with a single quote, which makes the program
show them as text; numbers are left as numbers.

A line break inside a cell is a second start: a reader that ends a row at a
bare carriage return (old Mac line ends, some importers) or at a Unicode line
separator starts a new row, and so a new first cell, right after it. So a
formula start after any line break is prefixed too, and every CSV cxgap
writes quotes each cell that holds a CR or an LF (see :data:`CSV_LINE_END`).

Every CSV writer of cxgap goes through :class:`SafeCsvWriter` (or
:func:`write_safe_csv`, :func:`safe_csv_text`, :func:`frame_csv_text`); the
XLSX writer passes its cells through :func:`neutralise_cell`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

__all__ = [
    "CSV_LINE_END",
    "FORMULA_STARTS",
    "LINE_BREAKS",
    "SafeCsvWriter",
    "frame_csv_text",
    "neutralise_cell",
    "neutralise_frame",
    "safe_csv_text",
    "write_safe_csv",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP),
#: plus their full-width forms, which some input methods turn into the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: Characters some reader ends a line at: CR and LF (every CSV reader), and the
#: others :meth:`str.splitlines` knows (vertical tab, form feed, the file, group
#: and record separators, NEL U+0085, LINE and PARAGRAPH SEPARATOR U+2028/U+2029).
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

#: The line end of every CSV cxgap writes: CRLF, as RFC 4180 says. It matters
#: for safety, not only taste: with ``QUOTE_MINIMAL`` the csv module quotes a
#: cell holding the delimiter, the quote or *a character of the line
#: terminator*, so with ``"\n"`` alone (pandas' and many writers' default) a
#: cell holding a bare CR is written unquoted and a reader that ends rows at CR
#: starts a row inside it. With CRLF, CR and LF both force quotes.
#: ``QUOTE_ALL`` would do as well, but would quote every number too, which
#: some programs then read as text; minimal quoting keeps numbers numbers.
CSV_LINE_END = "\r\n"

_BREAK_CLASS = re.escape(LINE_BREAKS)
_STARTS_CLASS = re.escape("".join(c for c in FORMULA_STARTS if c not in LINE_BREAKS))
# A run of line breaks followed by a formula start: the quote goes between them.
_AFTER_BREAK = re.compile(f"([{_BREAK_CLASS}]+)(?=[{_STARTS_CLASS}])")


def neutralise_cell(value: Any) -> Any:
    """``value`` made safe to write into a spreadsheet cell.

    Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return (or a full-width ``＝ ＋ － ＠``) is prefixed with a single quote,
    and so is each such start right after a line break inside the text (any
    of :data:`LINE_BREAKS`); everything else, numbers included, is returned
    unchanged.

    Parameters
    ----------
    value
        A cell value: text, a number, ``None``, a date, ...

    Returns
    -------
    Any
        The same value, or the text with a ``'`` before each formula start.

    References
    ----------
    OWASP, "CSV Injection",
    https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> neutralise_cell("=HYPERLINK(\\"http://evil\\")")
    '\\'=HYPERLINK("http://evil")'
    >>> neutralise_cell("-5 stars")
    "'-5 stars"
    >>> neutralise_cell("Good service\\r=cmd|' /C calc'!A0")
    "Good service\\r'=cmd|' /C calc'!A0"
    >>> neutralise_cell(-5.0)
    -5.0
    >>> neutralise_cell("Fast and friendly")
    'Fast and friendly'
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    return _AFTER_BREAK.sub(r"\1'", value)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and header) neutralised.

    Numeric columns are left as they are; missing text cells become ``None``.

    Examples
    --------
    >>> f = pd.DataFrame({"name": ["@admin", "Ann"], "score": [-1.0, 2.0]})
    >>> neutralise_frame(f)["name"].tolist(), neutralise_frame(f)["score"].tolist()
    (["'@admin", 'Ann'], [-1.0, 2.0])
    """
    columns: dict[Any, pd.Series] = {}
    for col in frame.columns:
        series = frame[col]
        if not pd.api.types.is_numeric_dtype(series.dtype):
            cells = [None if pd.isna(v) else neutralise_cell(v) for v in series.astype(object)]
            series = pd.Series(cells, index=series.index, dtype=object)
        columns[col] = series
    out = pd.DataFrame(columns, index=frame.index)
    out.columns = pd.Index([neutralise_cell(str(c)) for c in frame.columns], dtype=object)
    return out


class SafeCsvWriter:
    """A CSV writer whose every cell is neutralised, ``None`` written empty,
    rows ended by :data:`CSV_LINE_END` and any cell holding CR or LF quoted.

    Examples
    --------
    >>> out = io.StringIO()
    >>> SafeCsvWriter(out).writerow(["ok\\r=1+1", None, 3])
    >>> out.getvalue()
    '"ok\\r\\'=1+1",,3\\r\\n'
    """

    def __init__(self, fh: TextIO) -> None:
        self._writer = csv.writer(fh, lineterminator=CSV_LINE_END, quoting=csv.QUOTE_MINIMAL)

    def writerow(self, cells: Iterable[Any]) -> None:
        """Write one row of cells."""
        self._writer.writerow(["" if c is None else neutralise_cell(c) for c in cells])


def write_safe_csv(
    path: str | Path,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    encoding: str = "utf-8",
) -> int:
    """Write a CSV (UTF-8 unless ``encoding``) whose cells are all neutralised;
    return the row count. ``None`` is written as an empty cell.

    ``encoding="utf-8-sig"`` adds the byte-order mark Excel needs to read the
    file as UTF-8.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> write_safe_csv(p, ["a"], [["=1+1"], [None]])
    2
    >>> p.read_text(encoding="utf-8").splitlines()
    ['a', "'=1+1", '""']
    """
    with open(path, "w", encoding=encoding, newline="") as fh:
        return _write(SafeCsvWriter(fh), header, rows)


def safe_csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    r"""The text of a CSV whose cells are all neutralised (as :func:`write_safe_csv`).

    >>> safe_csv_text(["name"], [["@admin"]])
    "name\r\n'@admin\r\n"
    """
    buffer = io.StringIO()
    _write(SafeCsvWriter(buffer), header, rows)
    return buffer.getvalue()


def frame_csv_text(frame: pd.DataFrame) -> str:
    r"""``frame`` (header and cells, no index) as neutralised CSV text;
    missing values are empty cells, numbers are written as numbers.

    >>> frame_csv_text(pd.DataFrame({"@q": ["-1", None], "n": [2.5, float("nan")]}))
    "'@q,n\r\n'-1,2.5\r\n,\r\n"
    """
    return safe_csv_text([str(c) for c in frame.columns], _frame_rows(frame))


def _frame_rows(frame: pd.DataFrame) -> Iterator[list[Any]]:
    for row in frame.itertuples(index=False, name=None):
        yield [None if _missing(v) else v for v in row]


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _write(writer: SafeCsvWriter, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> int:
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n
