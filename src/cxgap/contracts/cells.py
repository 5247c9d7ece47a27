"""Safe spreadsheet cells: neutralising formula injection in what cxgap writes.

A spreadsheet program treats a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula, and a leading tab or carriage return can hide such a
start. Survey answers and names are written by respondents, so any CSV or
XLSX cell cxgap writes from them could carry a formula (``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``) that runs when the lead opens the file. The OWASP
advice is to prefix such cells with a single quote, which makes the program
show them as text; numbers are left as numbers.

Every CSV/XLSX writer of cxgap should pass its cells through
:func:`neutralise_cell` (or a frame through :func:`neutralise_frame`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise_cell", "neutralise_frame", "write_safe_csv"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP),
#: plus their full-width forms, which some input methods turn into the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_cell(value: Any) -> Any:
    """``value`` made safe to write into a spreadsheet cell.

    Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return (or a full-width ``＝ ＋ － ＠``) is prefixed with a single quote;
    everything else, numbers included, is returned unchanged.

    Parameters
    ----------
    value
        A cell value: text, a number, ``None``, a date, ...

    Returns
    -------
    Any
        The same value, or the text with a leading ``'``.

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
    >>> neutralise_cell(-5.0)
    -5.0
    >>> neutralise_cell("Fast and friendly")
    'Fast and friendly'
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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


def write_safe_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a UTF-8 CSV whose cells are all neutralised; return the row count.

    ``None`` is written as an empty cell.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> write_safe_csv(p, ["a"], [["=1+1"], [None]])
    2
    >>> p.read_text(encoding="utf-8").splitlines()
    ['a', "'=1+1", '""']
    """
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([neutralise_cell(h) for h in header])
        for row in rows:
            writer.writerow(["" if v is None else neutralise_cell(v) for v in row])
            n += 1
    return n
