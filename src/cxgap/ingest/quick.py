"""Read a table for a quick command (``cxgap nps``, ``compare``, ``drivers``,
``themes``) the way ``cxgap import responses`` reads it.

The layout is detected as for an import (:func:`~cxgap.ingest.formats.read_export`),
so a Qualtrics export's label and ImportId rows, or a SurveyMonkey
sub-header row, are headers, not answers. Numbers are read with
:func:`~cxgap.ingest.tables.numeric_column`, to which a cell of
:data:`~cxgap.ingest.tables.MISSING_TOKENS` is empty. A column is named by
its name in the export (``Q1``) or by its header text ("How likely are you
to recommend us?"), compared without regard to case or runs of spaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cxgap.errors import InputError, Problem
from cxgap.ingest.formats import read_export

__all__ = ["read_quick_table", "resolve_column", "resolve_columns"]

_SPACES = re.compile(r"\s+")


def read_quick_table(path: str | Path) -> pd.DataFrame:
    """The data rows of ``path``, every cell as text (``NaN`` when empty),
    with ``attrs``: ``source``, ``first_data_row``, ``format``, ``headers``
    (column -> header text) and ``system`` (the tool's own columns: dates,
    durations, ids). A column with a blank header is named ``Unnamed:
    <position>`` (pandas' name for it), as a row index often is."""
    export = read_export(path)
    frame = export.frame
    data = frame.copy()
    renamed = {c: f"Unnamed: {i}" for i, c in enumerate(frame.columns) if c in export.unnamed}
    data = data.rename(columns=renamed)
    data.attrs.update(frame.attrs)
    data.attrs["format"] = export.format
    data.attrs["headers"] = {renamed.get(c, c): export.header(c) for c in frame.columns}
    data.attrs["system"] = [renamed.get(c, c) for c in frame.columns if c in export.system]
    return data


def _key(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def resolve_column(frame: pd.DataFrame, name: str) -> str:
    """The column of ``frame`` that ``name`` names; see :func:`resolve_columns`."""
    return resolve_columns(frame, [name])[0]


def resolve_columns(frame: pd.DataFrame, names: Sequence[str]) -> list[str]:
    """Each of ``names`` as a column of a :func:`read_quick_table` frame: the
    column of that name, else the one whose header text (or name) it is,
    case and spaces aside. Raises :class:`InputError` naming every name
    that matches no column, or several."""
    source = str(frame.attrs.get("source", "<data>"))
    headers: dict[str, str] = frame.attrs.get("headers", {})
    columns = [str(c) for c in frame.columns]
    by_key: dict[str, list[str]] = {}
    for c in columns:
        for text in {c, headers.get(c, c)}:
            by_key.setdefault(_key(text), [])
            if c not in by_key[_key(text)]:
                by_key[_key(text)].append(c)
    out: list[str] = []
    problems: list[Problem] = []
    for name in names:
        if name in columns:
            out.append(name)
            continue
        found = by_key.get(_key(name), [])
        if len(found) == 1:
            out.append(found[0])
        elif found:
            listed = ", ".join(map(repr, found[:10]))
            problems.append(
                Problem(source, None, name, None, f"one column, not several ({listed}): name it")
            )
        else:
            have = ", ".join(map(repr, columns[:20])) + (", ..." if len(columns) > 20 else "")
            problems.append(
                Problem(
                    source,
                    None,
                    name,
                    None,
                    f"a column named {name!r}, or with that header text (columns: {have})",
                )
            )
    if problems:
        raise InputError(problems)
    return out
