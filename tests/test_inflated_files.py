"""Inflated files (issue 15): a small upload or archive that unzips to far
more, or holds too many rows, is refused from what its zip directory
declares or within one row of the limit, with an error naming the file (and
member), what was found and the limit; nothing is written.

Every file is built here: real XLSX workbooks (openpyxl's, with the sheet
swapped for one written as text, which takes a second where openpyxl would
take a minute), CSV files, and real study exports and backups with a member
replaced or its header made to lie.
"""

from __future__ import annotations

import html
import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.contracts.limits import MAX_ARCHIVE_BYTES, MAX_TABLE_ROWS
from cxgap.contracts.unzip import BoundedReader
from cxgap.errors import InputError
from cxgap.ingest.tables import read_table
from cxgap.store.db import Database
from tests.hostile import assert_clear_cli, row_counts
from tests.test_dashboard import csrf_of
from tests.test_dashboard_invitations import PAGE, acme, owner  # noqa: F401
from tests.test_dashboard_invitations import _invitations as invitations
from tests.test_fuzz_archives import _members, _source

runner = CliRunner()

SHEET = "xl/worksheets/sheet1.xml"
EMAIL = '<c t="inlineStr"><is><t>ann@example.com</t></is></c>'


def workbook(path: Path, rows: int, cell: Callable[[int], str] = lambda _: EMAIL) -> Path:
    """A real XLSX file at ``path``: header ``email`` and ``rows`` rows of ``cell(i)``."""
    buffer = io.BytesIO()
    wb = Workbook()
    wb.active.append(["email"])  # type: ignore[union-attr]
    wb.save(buffer)
    body = "".join(f"<row>{cell(i)}</row>" for i in range(rows))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row><c t="inlineStr"><is><t>email</t></is></c></row>{body}</sheetData>'
        "</worksheet>"
    )
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            data = sheet.encode() if info.filename == SHEET else source.read(info)
            z.writestr(info.filename, data)
    return path


def declare(data: bytes, member: str, size: int) -> bytes:
    """``data`` (a zip) with the central directory saying ``member`` unzips
    to ``size`` bytes: a header that lies."""
    out = bytearray(data)
    name = member.encode()
    at = out.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46 : at + 46 + length]) == name:
            struct.pack_into("<I", out, at + 24, size)
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"no member {member}")


def zipped(members: dict[str, bytes]) -> bytes:
    """A zip of ``members``, deflated (as cxgap writes exports and backups)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def inflated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workbook of the issue: about 180 KB, a million rows, 60 MiB unzipped."""
    return workbook(tmp_path_factory.mktemp("inflated") / "contacts.xlsx", 1_000_000)


def test_the_inflated_workbook_is_small_but_unzips_past_the_limit(inflated: Path) -> None:
    assert inflated.stat().st_size < 250_000
    with zipfile.ZipFile(inflated) as z:
        assert z.getinfo(SHEET).file_size > 60_000_000


def test_a_workbook_that_unzips_past_50_mib_is_refused_naming_file_member_and_limit(
    inflated: Path,
) -> None:
    with pytest.raises(InputError) as caught:
        read_table(inflated)
    [problem] = caught.value.problems
    assert problem.file == str(inflated) and problem.row is None
    assert "unzips to at most 50 MiB" in problem.expected
    assert f"{SHEET} alone unzips to 60.1 MiB" in problem.expected


def test_the_dashboard_refuses_the_inflated_workbook_and_creates_no_link(
    acme: tuple[Database, str],  # noqa: F811
    owner: TestClient,  # noqa: F811
    inflated: Path,
) -> None:
    db, _ = acme
    before = row_counts(db)
    form = {"csrf_token": csrf_of(owner.get(PAGE).text), "audience": "customer", "wave": "w1"}
    files = {"contacts": ("contacts.xlsx", inflated.read_bytes(), "application/octet-stream")}
    r = owner.post(f"{PAGE}/invitations", data=form, files=files)
    assert r.status_code == 200
    page = one_line(html.unescape(r.text))
    assert "No link was created" in page
    assert "contacts.xlsx: " in page and "unzips to at most 50 MiB" in page
    assert invitations(db) == 0 and row_counts(db) == before


def test_the_cli_import_refuses_the_inflated_workbook_and_writes_nothing(
    fresh_db: Database, db_url: str, inflated: Path
) -> None:
    assert runner.invoke(app, ["init", "acme", "--org", "Acme", "--db", db_url]).exit_code == 0
    before = row_counts(fresh_db)
    args = ["import", "responses", str(inflated), "--study", "acme", "--audience", "customer"]
    done = runner.invoke(app, [*args, "--wave", "w1", "--db", db_url])
    assert_clear_cli(done, [inflated.name], codes=[2])
    assert "unzips to at most 50 MiB" in one_line(done.stderr)
    assert row_counts(fresh_db) == before


def test_a_workbook_that_unzips_to_over_100_times_its_size_is_refused(tmp_path: Path) -> None:
    # 200,000 equal rows: 12 MiB of sheet from some 40 KB, within 50 MiB but a bomb's ratio.
    path = workbook(tmp_path / "ratio.xlsx", 200_000)
    with pytest.raises(InputError, match=r"at most 100 times their size \(xl/worksheets"):
        read_table(path)


def test_a_workbook_is_read_no_further_than_one_row_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A million rows take openpyxl some 20 s to read: the limit is lowered to show the bound.
    monkeypatch.setattr("cxgap.ingest.tables.MAX_TABLE_ROWS", 1_000)
    numbers = lambda i: f"<c><v>{i}</v></c>"  # noqa: E731
    assert len(read_table(workbook(tmp_path / "at.xlsx", 1_000, numbers))) == 1_000
    with pytest.raises(InputError, match=r"at most 1,000 data rows \(this one has more\)"):
        read_table(workbook(tmp_path / "over.xlsx", 1_001, numbers))


def test_a_workbook_whose_header_lies_about_its_size_is_refused_as_unreadable(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path / "liar.xlsx", 100_000)
    path.write_bytes(declare(path.read_bytes(), SHEET, 500))
    with pytest.raises(InputError, match=r"liar\.xlsx: a readable XLSX file"):
        read_table(path)


def test_a_csv_past_50_mib_is_refused_unread(
    fresh_db: Database, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,name\n" + "A1,Alpha\n" * 6_000_000)
    assert runner.invoke(app, ["init", "acme", "--org", "Acme", "--db", db_url]).exit_code == 0
    before = row_counts(fresh_db)
    done = runner.invoke(app, ["import", "accounts", str(path), "--study", "acme", "--db", db_url])
    assert_clear_cli(done, [path.name], codes=[2])
    assert "a file of at most 50 MiB (this one is 51.5 MiB)" in one_line(done.stderr)
    assert row_counts(fresh_db) == before


def test_a_csv_of_more_than_a_million_rows_is_refused(
    fresh_db: Database, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    header = "respondent_id,ltr\n"
    path.write_text(header + "r1,9\n" * MAX_TABLE_ROWS)
    assert len(read_table(path)) == MAX_TABLE_ROWS  # the limit itself is fine
    path.write_text(header + "r1,9\n" * (MAX_TABLE_ROWS + 1))
    assert runner.invoke(app, ["init", "acme", "--org", "Acme", "--db", db_url]).exit_code == 0
    before = row_counts(fresh_db)
    args = ["import", "responses", str(path), "--study", "acme", "--audience", "customer"]
    done = runner.invoke(app, [*args, "--wave", "w1", "--db", db_url])
    assert_clear_cli(done, [path.name], codes=[2])
    assert "a file of at most 1,000,000 data rows" in one_line(done.stderr)
    assert row_counts(fresh_db) == before


# --- study exports and backups ----------------------------------------------------------


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A small study's export (``cxgap export``) and portable backup, as bytes."""
    return _source(tmp_path_factory.mktemp("archives"))


#: The command that reads each kind of archive.
COMMANDS = {"export": ["import", "study"], "backup": ["restore"]}
BOMB = 60 * 2**20  # bytes of one repeated character: it zips to some 60 KB


def _refused(kind: str, path: Path, db: Database, db_url: str, *extra: str) -> str:
    """Run the command that reads ``path``; it must fail clearly, writing
    nothing. Its one-line error."""
    before = row_counts(db)
    done = runner.invoke(app, [*COMMANDS[kind], str(path), "--db", db_url, *extra])
    assert_clear_cli(done, [path.name], codes=[2])
    assert row_counts(db) == before
    return one_line(done.stderr)


@pytest.mark.parametrize("kind", ["export", "backup"])
def test_an_archive_member_past_the_bound_is_refused_before_it_is_read(
    kind: str, archives: dict[str, bytes], fresh_db: Database, db_url: str, tmp_path: Path
) -> None:
    members = _members(archives[kind])
    members["tables/answer.jsonl"] = b"a" * BOMB
    path = tmp_path / f"{kind}.zip"
    path.write_bytes(zipped(members))
    assert path.stat().st_size < 200_000
    error = _refused(kind, path, fresh_db, db_url, "--max-unzipped", "0.05")
    assert "a cxgap export or backup that unzips to at most 51.2 MiB" in error
    assert "tables/answer.jsonl alone unzips to 60 MiB" in error


@pytest.mark.parametrize("kind", ["export", "backup"])
def test_members_declaring_more_than_10_gib_in_all_are_refused_by_default(
    kind: str, archives: dict[str, bytes], fresh_db: Database, db_url: str, tmp_path: Path
) -> None:
    data = archives[kind]
    # Three members each declaring almost 4 GiB (the most a zip without Zip64 says).
    for member in ("tables/answer.jsonl", "tables/response.jsonl", "tables/study.jsonl"):
        data = declare(data, member, 0xFFFF_FFF0)
    path = tmp_path / f"{kind}.zip"
    path.write_bytes(data)
    assert MAX_ARCHIVE_BYTES == 10 * 2**30
    error = _refused(kind, path, fresh_db, db_url)
    assert "unzips to at most 10 GiB (its members unzip to more, 12 GiB up to tables/" in error


@pytest.mark.parametrize("kind", ["export", "backup"])
def test_a_member_whose_header_lies_about_its_size_is_refused(
    kind: str, archives: dict[str, bytes], fresh_db: Database, db_url: str, tmp_path: Path
) -> None:
    members = _members(archives[kind])
    members["tables/answer.jsonl"] = b"a" * BOMB
    path = tmp_path / f"{kind}.zip"
    # The header says 100 bytes: no more than those are unzipped, and they do not check out.
    path.write_bytes(declare(zipped(members), "tables/answer.jsonl", 100))
    error = _refused(kind, path, fresh_db, db_url)
    assert "tables/answer.jsonl is damaged" in error


@pytest.mark.parametrize("kind", ["export", "backup"])
def test_a_manifest_past_1_mib_is_refused_unread(
    kind: str, archives: dict[str, bytes], fresh_db: Database, db_url: str, tmp_path: Path
) -> None:
    members = _members(archives[kind])
    members["manifest.json"] = members["manifest.json"] + b" " * 2**20
    path = tmp_path / f"{kind}.zip"
    path.write_bytes(zipped(members))
    error = _refused(kind, path, fresh_db, db_url)
    assert "a manifest.json of at most 1 MiB (this one unzips to 1 MiB)" in error


def test_a_member_that_holds_more_than_its_header_declares_is_cut_short_with_an_error() -> None:
    # What Python's zipfile already does is not relied on: the count is cxgap's own.
    stream = BoundedReader(io.BytesIO(b"x" * 200), 100, "b.zip", "tables/answer.jsonl")
    with pytest.raises(InputError) as caught:
        io.BufferedReader(stream).read()
    assert str(caught.value) == (
        "b.zip: a member tables/answer.jsonl of the 100 bytes its header declares (it holds more)"
    )
    assert io.BufferedReader(BoundedReader(io.BytesIO(b"x" * 100), 100, "b", "m")).read() == (
        b"x" * 100
    )
