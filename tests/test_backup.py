"""Backups of the whole database restore exactly: ``cxgap backup`` / ``cxgap restore``."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import CxgapError
from cxgap.operations.backup import backup_database, database_is_empty, restore_database
from cxgap.operations.transfer import FORMAT_VERSION, export_study
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.accounts import write_accounts, write_events
from cxgap.store.actions import ActionItem, add_action
from cxgap.store.db import Database
from cxgap.store.frames import write_frame
from cxgap.store.migrate import current_revision, head_revision, upgrade
from cxgap.store.sessions import session_user_id, start_session
from cxgap.store.studies import save_study
from cxgap.study import default_study
from cxgap.study.model import Attribute
from tests.postgres import POSTGRES_SERVER

runner = CliRunner()


def _frame(n: int, start: int = 0) -> pd.DataFrame:
    ids = [f"r{i}" for i in range(start, start + n)]
    return pd.DataFrame(
        {
            "respondent_id": ids,
            "audience": ["customer"] * n,
            "segment": ["top"] * n,
            "team": [None] * n,
            "account_id": ["A1"] * n,
            "wave": ["w1"] * n,
            "source": ["individual"] * n,
            "ltr": np.arange(n, dtype=float) % 11,
            "perf.empathy": [1.0 / 3.0] * n,
            "open.improve": ["=1+1 <script>x</script> ✓"] * n,
            "attr.plan": [["Gold", "Basic", None][i % 3] for i in range(n)],
        }
    )


def _populate(db: Database) -> None:
    upgrade(db)
    plan = Attribute(key="plan", label="Plan", values=["Gold", "Basic"])
    save_study(
        db, default_study("acme", organisation="Acme").model_copy(update={"attributes": [plan]})
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "name": ["Alpha", "Beta"],
            "segment": ["top", "defected"],
            "annual_revenue": [1.5, None],
            "owner": ["Ann", None],
            "acquired_at": pd.to_datetime(["2020-01-01", "2021-01-01"]),
            "defected_at": pd.to_datetime([None, "2026-03-01"]),
        }
    )
    write_accounts(db, "acme", accounts)
    events = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "timestamp": pd.to_datetime(["2026-01-02 10:30:15", "2026-02-01 00:00:00"]),
            "touchpoint": ["support", "billing"],
            "moment": ["routine", "storming"],
            "outcome": ["met", "failed"],
            "severity": [np.nan, 3.0],
            "source_id": ["t-1", "t-2"],
            "source_system": ["zendesk", None],
            "cost": [10.0, np.nan],
            "note": ["ok", None],
        }
    )
    write_events(db, "acme", events)
    write_frame(db, "acme", _frame(25))
    add_action(db, "acme", ActionItem(title="Call =A2", evidence={"gap": -1.5}))
    with db.begin() as conn:
        user = conn.execute(
            insert(t.app_user).values(email="a@example.com", name="A", password_hash="h")
        ).inserted_primary_key[0]
        org = conn.execute(select(t.organisation.c.id)).scalar_one()
        conn.execute(insert(t.membership).values(user_id=user, organisation_id=org, role="owner"))
    start_session(db, int(user), _tomorrow())


def _tomorrow() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


def _sessions(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.session)).scalar_one())


def _normal(v: Any) -> Any:
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).replace(tzinfo=None)
    if isinstance(v, list | dict):
        return json.dumps(v, sort_keys=True)
    return v


def _everything(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ids included (a backup keeps them); but for
    dashboard sessions, which no backup holds (tested on their own)."""
    with db.connect() as conn:
        return {
            tb.name: [
                tuple(_normal(v) for v in row)
                for row in conn.execute(select(tb).order_by(tb.c.id)).all()
            ]
            for tb in t.metadata.sorted_tables
            if tb.name != "session"
        }


def _open(url: str) -> Database:
    return Database.open(Settings.load(database_url=url))


@pytest.fixture
def populated(tmp_path: Path) -> Iterator[Database]:
    """A SQLite database holding a small study, accounts, events, answers and a user."""
    db = _open(f"sqlite:///{tmp_path / 'source.db'}")
    _populate(db)
    yield db
    db.close()


@pytest.fixture
def other_postgres(postgres_url: str) -> Iterator[str]:
    """URL of a second, empty PostgreSQL database (dropped afterwards)."""
    import psycopg

    admin_url = POSTGRES_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    name = f"cxgap_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- SQLite --------------------------------------------------------------------------


def test_sqlite_backup_restores_every_row_into_an_empty_database(
    populated: Database, tmp_path: Path
) -> None:
    result = backup_database(populated, tmp_path / "b.zip")
    assert result.kind == "sqlite" and result.tables["answer"] == 75
    assert result.tables["attribute"] == 1 and result.tables["response_attribute"] == 17
    target = _open(f"sqlite:///{tmp_path / 'target.db'}")
    restored = restore_database(target, tmp_path / "b.zip")
    assert restored.tables == result.tables
    assert _everything(target) == _everything(populated)
    with target.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    target.close()


def test_sqlite_backup_is_consistent_while_another_process_writes(
    populated: Database, tmp_path: Path
) -> None:
    stop = threading.Event()
    written = []

    def writer() -> None:
        # A separate connection, as another process would use, writing in small transactions.
        with _open(populated.engine.url.render_as_string(hide_password=False)) as other:
            n = 1000
            while not stop.is_set():
                write_frame(other, "acme", _frame(5, start=n))
                written.append(5)
                n += 5

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not written:
            stop.wait(0.01)
        backup_database(populated, tmp_path / "b.zip")
        while sum(written) < 20:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        z.extract("database.sqlite", tmp_path)
        manifest = json.loads(z.read("manifest.json"))
    with sqlite3.connect(tmp_path / "database.sqlite") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        responses = copy.execute("SELECT count(*) FROM response").fetchone()[0]
        answers = copy.execute("SELECT count(*) FROM answer").fetchone()[0]
    # Every response has 3 answers and each write is one transaction of 5 responses
    # (25 at first): the copy holds whole transactions only, and the manifest counts it.
    assert responses % 5 == 0 and answers == 3 * responses
    assert manifest["tables"]["response"] == responses
    with populated.connect() as conn:
        assert len(conn.execute(select(t.response.c.id)).all()) > responses


def test_restore_refuses_a_database_with_data_unless_forced(
    populated: Database, tmp_path: Path
) -> None:
    backup_database(populated, tmp_path / "b.zip")
    before = _everything(populated)
    write_frame(populated, "acme", _frame(3, start=500))
    with pytest.raises(CxgapError, match=r"not empty.*--force"):
        restore_database(populated, tmp_path / "b.zip")
    assert len(_everything(populated)["response"]) == 28
    restore_database(populated, tmp_path / "b.zip", force=True)
    assert _everything(populated) == before


@pytest.mark.parametrize("portable", [False, True], ids=["sqlite", "portable"])
def test_a_backup_holds_no_session_and_a_restore_ends_every_one(
    populated: Database, tmp_path: Path, portable: bool
) -> None:
    user = _everything(populated)["app_user"][0][0]
    live = start_session(populated, user, _tomorrow())
    assert _sessions(populated) == 2
    result = backup_database(populated, tmp_path / "b.zip", portable=portable)
    assert "session" not in result.tables
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        assert "tables/session.jsonl" not in z.namelist()
        if not portable:
            z.extract("database.sqlite", tmp_path)
            copy = sqlite3.connect(tmp_path / "database.sqlite")
            assert copy.execute("SELECT COUNT(*) FROM session").fetchone() == (0,)
            copy.close()
    assert session_user_id(populated, live) == user  # the backup ended nothing
    with _open(f"sqlite:///{tmp_path / 'target.db'}") as target:
        restore_database(target, tmp_path / "b.zip")
        assert _sessions(target) == 0 and _everything(target) == _everything(populated)
    # Restored over itself: the sessions signed in since the backup end too.
    restore_database(populated, tmp_path / "b.zip", force=True)
    assert session_user_id(populated, live) is None and _sessions(populated) == 0


def test_sessions_in_a_backup_made_by_other_means_are_not_restored(
    populated: Database, tmp_path: Path
) -> None:
    backup_database(populated, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        z.extractall(tmp_path / "b")
    copy = sqlite3.connect(tmp_path / "b" / "database.sqlite")
    with copy:
        copy.execute(
            "INSERT INTO session (user_id, token_hash, created_at, expires_at, last_seen_at)"
            " SELECT id, 'f', '2026-01-01', '2999-01-01', '2026-01-01' FROM app_user"
        )
    copy.close()
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as z:
        for member in ("manifest.json", "database.sqlite"):
            z.write(tmp_path / "b" / member, member)
    with _open(f"sqlite:///{tmp_path / 'target.db'}") as target:
        restore_database(target, tmp_path / "c.zip")
        assert _sessions(target) == 0


def test_an_empty_schema_counts_as_empty(tmp_path: Path, populated: Database) -> None:
    backup_database(populated, tmp_path / "b.zip")
    target = _open(f"sqlite:///{tmp_path / 'target.db'}")
    upgrade(target)
    assert database_is_empty(target)
    restore_database(target, tmp_path / "b.zip")
    assert not database_is_empty(target)
    target.close()


# --- refusals --------------------------------------------------------------------------


def _with_manifest(src: Path, out: Path, **change: Any) -> Path:
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out, "w") as b:
        for item in a.infolist():
            data = a.read(item.filename)
            if item.filename == "manifest.json":
                data = json.dumps({**json.loads(data), **change}).encode()
            b.writestr(item.filename, data)
    return out


def test_future_format_unknown_revision_and_wrong_file_are_refused(
    populated: Database, tmp_path: Path
) -> None:
    backup_database(populated, tmp_path / "b.zip")
    target = _open(f"sqlite:///{tmp_path / 'target.db'}")
    future = _with_manifest(
        tmp_path / "b.zip", tmp_path / "f.zip", format_version=FORMAT_VERSION + 1
    )
    with pytest.raises(CxgapError, match=r"format version 2.*upgrade cxgap"):
        restore_database(target, future)
    newer = _with_manifest(tmp_path / "b.zip", tmp_path / "n.zip", schema_revision="9999")
    with pytest.raises(CxgapError, match="'9999', which this cxgap"):
        restore_database(target, newer)
    export_study(populated, "acme", tmp_path / "study.zip")
    with pytest.raises(CxgapError, match="'cxgap-study' file, not a 'cxgap-backup'"):
        restore_database(target, tmp_path / "study.zip")
    assert database_is_empty(target)
    target.close()


def test_a_backup_of_a_database_without_schema_is_refused(tmp_path: Path) -> None:
    with _open(f"sqlite:///{tmp_path / 'empty.db'}") as db, pytest.raises(CxgapError):
        backup_database(db, tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


def test_a_pg_dump_backup_cannot_go_into_sqlite(tmp_path: Path, populated: Database) -> None:
    backup_database(populated, tmp_path / "b.zip")
    fake = _with_manifest(tmp_path / "b.zip", tmp_path / "pg.zip", kind="pg_dump")
    target = _open(f"sqlite:///{tmp_path / 't.db'}")
    with target, pytest.raises(CxgapError, match="restore it into PostgreSQL"):
        restore_database(target, fake)


def test_a_backup_without_its_payload_is_a_clear_error(tmp_path: Path, populated: Database) -> None:
    backup_database(populated, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as a, zipfile.ZipFile(tmp_path / "c.zip", "w") as b:
        b.writestr("manifest.json", a.read("manifest.json"))
    target = _open(f"sqlite:///{tmp_path / 't.db'}")
    with target, pytest.raises(CxgapError, match=r"has no database\.sqlite"):
        restore_database(target, tmp_path / "c.zip")


# --- PostgreSQL and across engines --------------------------------------------------------


@pytest.mark.postgres
def test_pg_dump_backup_restores_into_another_postgres_database(
    postgres_url: str, other_postgres: str, tmp_path: Path
) -> None:
    from tests.postgres import reset_postgres

    reset_postgres(postgres_url)
    with _open(postgres_url) as source, _open(other_postgres) as target:
        _populate(source)
        result = backup_database(source, tmp_path / "b.zip")
        assert result.kind == "pg_dump"
        restore_database(target, tmp_path / "b.zip")
        assert _everything(target) == _everything(source)
        assert current_revision(target) == head_revision()
        assert _sessions(source) == 1 and _sessions(target) == 0  # no session in the dump
        # Sequences came along: new rows get fresh ids.
        write_frame(target, "acme", _frame(2, start=900))
        live = start_session(target, _everything(target)["app_user"][0][0], _tomorrow())
        # --force replaces what is there, in one pg_restore transaction.
        restore_database(target, tmp_path / "b.zip", force=True)
        assert _everything(target) == _everything(source)
        assert session_user_id(target, live) is None


@pytest.mark.postgres
def test_without_pg_dump_postgres_gets_a_portable_backup(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.postgres import reset_postgres

    reset_postgres(postgres_url)
    monkeypatch.setattr("cxgap.operations.backup.shutil.which", lambda _name: None)
    with _open(postgres_url) as source:
        _populate(source)
        result = backup_database(source, tmp_path / "b.zip")
        assert result.kind == "portable"
        with _open(f"sqlite:///{tmp_path / 't.db'}") as target:
            restore_database(target, tmp_path / "b.zip")
            assert _everything(target) == _everything(source)


@pytest.mark.postgres
def test_sqlite_backup_restores_into_postgres_and_ids_keep_counting(
    populated: Database, postgres_url: str, tmp_path: Path
) -> None:
    from tests.postgres import reset_postgres

    reset_postgres(postgres_url)
    backup_database(populated, tmp_path / "b.zip")
    with _open(postgres_url) as target:
        restore_database(target, tmp_path / "b.zip")
        assert _everything(target) == _everything(populated)
        write_frame(target, "acme", _frame(2, start=900))  # no duplicate key: sequences were set
        with target.connect() as conn:
            top = conn.execute(select(t.response.c.id).order_by(t.response.c.id.desc())).first()
        assert top is not None and top[0] == 27


def test_portable_backup_restores_exactly(populated: Database, db_url: str, tmp_path: Path) -> None:
    result = backup_database(populated, tmp_path / "b.zip", portable=True)
    assert result.kind == "portable"
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        assert "tables/answer.jsonl" in z.namelist() and "tables/app_user.jsonl" in z.namelist()
    with _open(db_url) as target:
        restore_database(target, tmp_path / "b.zip")
        assert _everything(target) == _everything(populated)


def test_a_failing_portable_restore_leaves_nothing(
    populated: Database, db_url: str, tmp_path: Path
) -> None:
    backup_database(populated, tmp_path / "b.zip", portable=True)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(tmp_path / "b.zip") as a, zipfile.ZipFile(broken, "w") as b:
        for item in a.infolist():
            data = a.read(item.filename)
            if item.filename == "tables/answer.jsonl":
                lines = data.decode().splitlines()
                data = "\n".join([*lines, lines[0]]).encode()  # a duplicate id, last of all
            b.writestr(item.filename, data)
    with _open(db_url) as target:
        with pytest.raises(CxgapError, match="answer: "):
            restore_database(target, broken)
        assert database_is_empty(target)


def _without(src: Path, out: Path, member: str) -> Path:
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out, "w") as b:
        for item in a.infolist():
            if item.filename != member:
                b.writestr(item.filename, a.read(item.filename))
    return out


def test_a_portable_backup_missing_a_table_is_refused_and_nothing_restored(
    populated: Database, db_url: str, tmp_path: Path
) -> None:
    backup_database(populated, tmp_path / "b.zip", portable=True)
    broken = _without(tmp_path / "b.zip", tmp_path / "broken.zip", "tables/answer.jsonl")
    with _open(db_url) as target:
        with pytest.raises(CxgapError, match=r"table answer has 0 rows restored, its manifest"):
            restore_database(target, broken)
        assert database_is_empty(target)


def test_a_sqlite_backup_whose_rows_differ_from_its_manifest_is_refused_before_restoring(
    populated: Database, tmp_path: Path
) -> None:
    backup_database(populated, tmp_path / "b.zip")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tmp_path / "b.zip") as a, zipfile.ZipFile(tampered, "w") as b:
        for item in a.infolist():
            data = a.read(item.filename)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"]["answer"] += 1
                data = json.dumps(manifest).encode()
            b.writestr(item.filename, data)
    with _open(f"sqlite:///{tmp_path / 'kept.db'}") as target:
        _populate(target)
        before = _everything(target)
        with pytest.raises(CxgapError, match=r"table answer has \d+ rows in database\.sqlite"):
            restore_database(target, tampered, force=True)
        assert _everything(target) == before


# --- the commands ------------------------------------------------------------------------


def test_cli_backup_then_restore(populated: Database, tmp_path: Path) -> None:
    source_url = populated.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "b.zip"
    done = runner.invoke(app, ["backup", "--db", source_url, "--out", str(out), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["kind"] == "sqlite"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    done = runner.invoke(app, ["restore", str(out), "--db", target])
    assert done.exit_code == 0, done.output
    assert "Restored" in done.stdout
    done = runner.invoke(app, ["restore", str(out), "--db", target])
    assert done.exit_code == 2
    assert done.stderr.startswith("Error: ") and "--force" in done.stderr
    done = runner.invoke(app, ["restore", str(out), "--db", target, "--force", "--json"])
    assert done.exit_code == 0 and json.loads(done.stdout)["tables"]["answer"] == 75


def test_cli_restore_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    done = runner.invoke(
        app, ["restore", str(tmp_path / "nope.zip"), "--db", f"sqlite:///{tmp_path / 'x.db'}"]
    )
    assert done.exit_code == 2 and "no such file" in done.stderr


def test_a_backup_with_a_corrupt_member_is_named_and_the_database_kept(
    populated: Database, tmp_path: Path
) -> None:
    backup_database(populated, tmp_path / "b.zip", portable=True)
    before = _everything(populated)
    raw = bytearray((tmp_path / "b.zip").read_bytes())
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        info = z.getinfo("tables/answer.jsonl")
    raw[info.header_offset + 30 + len(info.filename) + 40] ^= 0xFF  # inside its compressed data
    (tmp_path / "bad.zip").write_bytes(bytes(raw))
    with pytest.raises(CxgapError, match=r"bad\.zip: tables/answer\.jsonl is damaged"):
        restore_database(populated, tmp_path / "bad.zip", force=True)
    assert _everything(populated) == before
