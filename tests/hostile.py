"""Hostile input files for the fuzz tests, the properties every import and
quick analysis must keep with them, and the Hypothesis profiles they run under.

The file strategies start from a valid file (a fixture export read into rows
of cells, a YAML or JSON document) and break it the ways real files arrive
broken: cells replaced by random text, huge, negative or non-finite numbers,
decimal commas, blanks, formulas, HTML and markup; headers missing,
duplicated, renamed or reordered; rows too short or too long; the file
truncated, re-encoded (UTF-8 with or without a byte-order mark, UTF-16,
Windows-1252), split by another or by mixed delimiters, given a BOM in an
odd place or random bytes; or written as XLSX with odd cell types.

Profiles, chosen with ``CXGAP_FUZZ_PROFILE``:

- ``ci`` (the default): a moderate number of examples, derandomized and
  without an example database, so every run tries the same inputs and the
  suite's time stays bounded;
- ``deep``: many more random examples (``CXGAP_FUZZ_EXAMPLES``, default
  500), kept in Hypothesis' example database so a failure found once is
  tried first next time.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import string
import traceback
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from click.testing import Result
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from cxgap.errors import CxgapError, InputError, StudyFileError
from cxgap.store import schema as t
from cxgap.store.db import Database

# --- profiles ---------------------------------------------------------------------

_SLOW_IS_FINE = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.function_scoped_fixture,
]
settings.register_profile(
    "fuzz-ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "fuzz-deep",
    max_examples=int(os.environ.get("CXGAP_FUZZ_EXAMPLES", "500")),
    deadline=None,
    suppress_health_check=_SLOW_IS_FINE,
)
PROFILE = os.environ.get("CXGAP_FUZZ_PROFILE", "ci")
if PROFILE not in ("ci", "deep"):
    raise RuntimeError(f"CXGAP_FUZZ_PROFILE={PROFILE!r}: use ci or deep")
#: The settings of every fuzz test (a decorator).
FUZZ = settings.get_profile(f"fuzz-{PROFILE}")
#: For the tests whose examples each build a database or an archive.
FUZZ_HEAVY = settings(FUZZ, max_examples=max(FUZZ.max_examples * 3 // 5, 5))

# --- cells ------------------------------------------------------------------------

#: Cells that real exports hold and that break naive readers.
HOSTILE_CELLS: tuple[str, ...] = (
    "", " ", " \t ", "\u00a0", "NaN", "nan", "NA", "N/A", "#N/A", "null", "None", "-",
    "inf", "-inf", "Infinity", "1e308", "1e309", "-1e309", "99999999999999999999999",
    "-1", "-0", "0.5", "1,5", "4,0", "1.000,50", "1,000", "1 000", "€1.200", "$-5", "(5)",
    "=1+1", '=HYPERLINK("http://example.com","x")', "+49 30 1234", "-2+3", "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0", "<script>alert(1)</script>", "<b>5</b>", "&lt;4&gt;",
    "<img src=x onerror=alert(1)>", "[bold]4[/bold]", "[/]", "[link=http://x]y[/link]",
    "{{7*7}}", "%s%n", "${jndi:ldap://x}", "'; DROP TABLE answer; --", "\x00", "\r", "\n",
    "a\nb", '"', '""', "\ufeff", "\ufeff5", "5\ufeff", "\u202e5", "５", "٣", "Ⅻ",
    "10 - Extremely likely",
    "2026-02-30", "0000-00-00", "9999-12-31", "1899-12-31", "31/12/2025", "12/31/2025",
    "2026-13-01T25:61", "yesterday", "TRUE", "FALSE", "yes", "x", "1;2;3", "1|9", ",,,",
)  # fmt: skip

_long_cells = st.builds(
    lambda ch, n: ch * n,
    st.sampled_from(["x", "é", "字", "😀", "9", " "]),
    st.sampled_from([99, 100, 101, 199, 200, 201, 301, 321, 5001, 40_000]),
)
cells: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(HOSTILE_CELLS),
    st.text(max_size=20),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.integers(min_value=-3, max_value=14).map(str),
    st.floats().map(str),
    _long_cells,
)

# --- tables -------------------------------------------------------------------------

Rows = list[list[str]]


def read_rows(path: Path) -> Rows:
    """A CSV file as rows of cells (the starting point of a hostile file)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [list(r) for r in csv.reader(fh)]


@st.composite
def mutated_rows(draw: st.DrawFn, rows: Rows, header_rows: int = 1) -> Rows:
    """``rows`` (the first ``header_rows`` of them headers) with a few of the
    mutations real exports suffer."""
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(0, 5))):
        width = max((len(r) for r in rows), default=0)
        data_rows = list(range(header_rows, len(rows)))
        kind = draw(
            st.sampled_from(
                ["cell", "cell", "cell", "header", "drop column", "duplicate column", "reorder",
                 "drop row", "duplicate row", "short row", "long row", "blank row", "many rows",
                 "headers only", "column of one value"]
            )
        )  # fmt: skip
        if kind == "cell" and data_rows and width:
            i = draw(st.sampled_from(data_rows))
            if rows[i]:
                rows[i][draw(st.integers(0, len(rows[i]) - 1))] = draw(cells)
        elif kind == "header" and rows and rows[0]:
            j = draw(st.integers(0, len(rows[0]) - 1))
            rows[0][j] = draw(cells | st.sampled_from(rows[0]))
        elif kind == "drop column" and width > 1:
            j = draw(st.integers(0, width - 1))
            rows = [r[:j] + r[j + 1 :] for r in rows]
        elif kind == "duplicate column" and width:
            j = draw(st.integers(0, width - 1))
            rows = [[*r, r[j] if j < len(r) else ""] for r in rows]
        elif kind == "reorder" and width > 1:
            order = draw(st.permutations(range(width)))
            rows = [[r[j] if j < len(r) else "" for j in order] for r in rows]
        elif kind == "drop row" and data_rows:
            del rows[draw(st.sampled_from(data_rows))]
        elif kind == "duplicate row" and data_rows:
            i = draw(st.sampled_from(data_rows))
            rows.insert(draw(st.integers(header_rows, len(rows))), list(rows[i]))
        elif kind == "short row" and data_rows:
            i = draw(st.sampled_from(data_rows))
            rows[i] = rows[i][: draw(st.integers(0, max(len(rows[i]) - 1, 0)))]
        elif kind == "long row" and rows:
            i = draw(st.integers(0, len(rows) - 1))
            rows[i] = rows[i] + draw(st.lists(cells, min_size=1, max_size=3))
        elif kind == "blank row":
            rows.insert(draw(st.integers(0, len(rows))), [])
        elif kind == "many rows" and data_rows:
            rows += [list(rows[data_rows[k % len(data_rows)]]) for k in range(60)]
        elif kind == "headers only":
            rows = rows[:header_rows]
        elif kind == "column of one value" and data_rows and width:
            j = draw(st.integers(0, width - 1))
            value = draw(cells)
            for i in data_rows:
                if j < len(rows[i]):
                    rows[i][j] = value
    return rows


# --- files --------------------------------------------------------------------------


@dataclass
class HostileFile:
    """The bytes of one file, the suffix to give its name, and how it was made."""

    data: bytes = field(repr=False)
    suffix: str
    how: list[str]

    def write(self, folder: Path, stem: str = "export") -> Path:
        path = folder / f"{stem}{self.suffix}"
        path.write_bytes(self.data)
        return path

    def __repr__(self) -> str:
        return f"HostileFile({self.suffix!r}, {self.how}, {self.data[:300]!r})"


_ENCODINGS = ("utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _csv_text(rows: Rows, delimiter: str, quoting: int, newline: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    for r in rows:
        writer.writerow(r)
    return out.getvalue()


@st.composite
def byte_damage(draw: st.DrawFn, data: bytes, how: list[str]) -> bytes:
    """Truncation, a BOM in an odd place, random or flipped bytes."""
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["truncate", "bom", "random bytes", "flip"]))
        at = draw(st.integers(0, len(data)))
        how.append(f"{kind} at {at}")
        if kind == "truncate":
            data = data[:at]
        elif kind == "bom":
            data = data[:at] + draw(st.sampled_from(_BOMS)) + data[at:]
        elif kind == "random bytes":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif data:
            i = min(at, len(data) - 1)
            data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]
    return data


def _typed(value: str, kind: str) -> Any:
    """A cell as another type, the way spreadsheet cells arrive."""
    if kind == "number":
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            return value
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    if kind == "date":
        return datetime(2026, 3, 1, 9, 30)
    if kind == "day":
        return date(2026, 2, 28)
    if kind == "time":
        return time(12, 30)
    if kind == "bool":
        return value.strip().lower() in ("1", "true", "yes")
    if kind == "empty":
        return None
    return value


_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # docProps/core.xml: save time


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    """An XLSX workbook holding ``rows`` on its first sheet, byte for byte the
    same each time (Hypothesis replays an example and expects the same draws)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in r])
    saved = io.BytesIO()
    wb.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = _STAMP.sub(b"2026-01-01T12:00:00Z", src.read(item))
            dst.writestr(zipfile.ZipInfo(item.filename, (2026, 1, 1, 12, 0, 0)), data)
    return out.getvalue()


@st.composite
def hostile_files(draw: st.DrawFn, rows: Rows, header_rows: int = 1) -> HostileFile:
    """A hostile file made from the valid table ``rows``."""
    rows = draw(mutated_rows(rows, header_rows))
    how = [f"{len(rows)} rows"]
    kind = draw(st.sampled_from(["csv", "csv", "csv", "xlsx", "random bytes", "empty"]))
    if kind == "random bytes":
        return HostileFile(draw(st.binary(max_size=600)), draw(st.sampled_from([".csv", ".xlsx"])),
                           ["random bytes"])  # fmt: skip
    if kind == "empty":
        return HostileFile(b"", draw(st.sampled_from([".csv", ".xlsx", ".tsv"])), ["empty"])
    if kind == "xlsx":
        types = st.sampled_from(["text"] * 6 + ["number"] * 3 + ["date", "day", "time", "bool",
                                                                   "empty"])  # fmt: skip
        typed = [[_typed(c, draw(types)) if i >= header_rows else c for c in r]
                 for i, r in enumerate(rows)]  # fmt: skip
        if draw(st.booleans()):
            typed.append([float("nan"), float("inf"), -1e300, 10**20])
        how.append("xlsx")
        data = (
            draw(byte_damage(xlsx_bytes(typed), how))
            if draw(st.booleans())
            else (xlsx_bytes(typed))
        )
        return HostileFile(data, draw(st.sampled_from([".xlsx", ".XLSX", ".csv"])), how)
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    text = _csv_text(rows, delimiter, quoting, newline)
    how.append(f"delimiter {delimiter!r}")
    if draw(st.booleans()) and len(rows) > header_rows:
        # One row written with another delimiter.
        i = draw(st.integers(header_rows, len(rows) - 1))
        other = _csv_text([rows[i]], draw(st.sampled_from([",", ";", "\t"])), quoting, newline)
        lines = text.split(newline)
        if i < len(lines):
            lines[i] = other.rstrip(newline)
            text = newline.join(lines)
            how.append(f"row {i + 1} with another delimiter")
    encoding = draw(st.sampled_from(_ENCODINGS))
    how.append(encoding)
    data = text.encode(encoding, errors="replace")
    data = draw(byte_damage(data, how))
    suffix = draw(st.sampled_from([".csv", ".csv", ".txt", ".tsv", ".CSV", ".xlsx"]))
    return HostileFile(data, suffix, how)


# --- YAML and JSON documents --------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(HOSTILE_CELLS),
    _long_cells,
)


def _yaml_nodes(kids: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keys = st.one_of(st.text(max_size=8), st.integers(-5, 5))
    return st.one_of(st.lists(kids, max_size=3), st.dictionaries(keys, kids, max_size=3))


def _json_nodes(kids: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=8), kids, max_size=3)
    )


yaml_values = st.recursive(
    st.one_of(_scalars, st.dates(), st.datetimes()), _yaml_nodes, max_leaves=6
)
json_values = st.recursive(_scalars, _json_nodes, max_leaves=6)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterable[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


@st.composite
def mutated_document(draw: st.DrawFn, doc: Any, values: st.SearchStrategy[Any]) -> Any:
    """``doc`` (parsed YAML or JSON) with a few nodes replaced, deleted,
    duplicated or renamed."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(_paths(doc))))
        if not path:
            if draw(st.integers(0, 9)) == 0:
                doc = draw(values)
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        kind = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "rename"]))
        if kind == "replace":
            parent[last] = draw(values)
        elif kind == "delete":
            del parent[last]
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif kind == "rename" and isinstance(parent, dict):
            new_key = draw(st.text(max_size=10) | st.sampled_from(list(parent)))
            parent[new_key] = parent.pop(last)
    return doc


@st.composite
def hostile_yaml(draw: st.DrawFn, doc: Any) -> HostileFile:
    """A YAML file made from the valid document ``doc``."""
    how: list[str] = []
    kind = draw(st.sampled_from(["mutated"] * 6 + ["as is", "random bytes", "broken syntax"]))
    how.append(kind)
    if kind == "random bytes":
        return HostileFile(draw(st.binary(max_size=300)), ".yaml", how)
    if kind == "as is":
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    else:
        mutated = draw(mutated_document(doc, yaml_values))
        text = yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False)
    if kind == "broken syntax":
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from(["\t", ": :", "[", "{", "&a *b", "- ", "'"]))
            + (text[at:])
        )
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1252"])),
                       errors="replace")  # fmt: skip
    return HostileFile(draw(byte_damage(data, how)), ".yaml", how)


# --- the properties -----------------------------------------------------------------


def row_counts(db: Database) -> dict[str, int]:
    """The number of rows of every table: what a failed call must leave as it was."""
    present = set(db.table_names())
    with db.connect() as conn:
        return {
            tb.name: int(conn.execute(select(func.count()).select_from(tb)).scalar_one())
            for tb in t.metadata.sorted_tables
            if tb.name in present
        }


def assert_clear_error(exc: CxgapError, files: Sequence[Path | str]) -> None:
    """The error names one of ``files``; each problem of an :class:`InputError`
    names its file, and a cell problem (a row and a value) its column too."""
    names = [str(f) for f in files]
    message = str(exc)
    assert message.strip(), "an empty error message"
    assert any(n in message for n in names), f"no file named in: {message}"
    if isinstance(exc, InputError):
        for p in exc.problems:
            assert any(p.file.startswith(n) or n.startswith(p.file) for n in names), p
            if p.row is not None:
                assert p.row >= 1, p
                if p.value is not None:
                    assert p.column is not None, p
    if isinstance(exc, StudyFileError):
        assert exc.file in names


def call_or_clear_error(
    db: Database, call: Callable[[], Any], files: Sequence[Path | str]
) -> Any | None:
    """Run a library ``call``: its result, or ``None`` after checking that it
    raised one clear :class:`CxgapError` and wrote nothing."""
    before = row_counts(db)
    try:
        result = call()
    except CxgapError as exc:
        event(f"refused: {type(exc).__name__}")
        assert_clear_error(exc, files)
        assert row_counts(db) == before, "a failed call changed the database"
        return None
    event("accepted")
    return result


def assert_clear_cli(
    result: Result, files: Sequence[Path | str] | None, codes: Sequence[int] = (0, 2)
) -> None:
    """A CLI run ended with one of ``codes``, never a traceback; on exit 2
    stderr is one ``Error:`` message (naming one of ``files`` when given)."""
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        raise AssertionError(
            "unhandled exception:\n" + "".join(traceback.format_exception(exc))
        ) from exc
    output = result.stdout + result.stderr
    assert result.exit_code in codes, output
    assert "Traceback" not in output, output
    if result.exit_code == 2:
        assert result.stderr.startswith("Error: "), result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.stderr
        if files is not None:
            assert any(str(f) in result.stderr for f in files), result.stderr


def printable(text: str) -> bool:
    """Whether every character of ``text`` is printable ASCII (for file names)."""
    return all(ch in string.printable for ch in text)


def dumps(doc: Any) -> bytes:
    """JSON as the exports write it (NaN allowed: hostile files may hold it)."""
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")
