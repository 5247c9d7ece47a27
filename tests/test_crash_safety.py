"""Killing an import with SIGKILL leaves the database consistent, and running
it again completes it without duplicates (real subprocesses, SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from cxgap.cli import app
from cxgap.ingest.responses import import_responses
from cxgap.operations.transfer import export_study
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.study import default_study

ROWS = 1_500
FACTORS = ["personalisation", "integrity", "expectations", "resolution", "time_effort", "empathy"]
ANSWERS_PER_ROW = 1 + len(FACTORS) + 1  # ltr, the six ratings, one open answer

# The real import pipeline (read, map, validate, write_responses in one transaction),
# with smaller chunks so that rows are written, uncommitted, long before the end.
# It prints a line after each chunk; the test kills it after the first.
RESPONSES_SCRIPT = """
import sys
from functools import partial
import cxgap.store.frames as frames
from cxgap.cli import app
from cxgap.ingest.responses import import_responses
from cxgap.cli import app
from cxgap.ingest.responses import import_responses
from cxgap.settings import Settings
from cxgap.store.db import Database

frames.write_frame = partial(frames.write_frame, chunk=100)
frames.write_responses = partial(frames.write_responses, chunk=100)  # what import_responses calls
db = Database.open(Settings.load(database_url=sys.argv[1]))
result = import_responses(db, "acme", sys.argv[2], progress=lambda n: print("wrote", n, flush=True))
print("done", result.written, flush=True)
"""

STUDY_SCRIPT = """
import sys
import cxgap.operations.transfer as transfer
from cxgap.cli import app
from cxgap.ingest.responses import import_responses
from cxgap.settings import Settings
from cxgap.store.db import Database

transfer.CHUNK = 500
db = Database.open(Settings.load(database_url=sys.argv[1]))
transfer.import_study(db, sys.argv[2], progress=lambda n: print("wrote", n, flush=True))
print("done", flush=True)
"""


def _export_file(path: Path) -> Path:
    rng = np.random.default_rng(20261123)
    frame = pd.DataFrame(
        {
            "response_id": [f"R{i:05d}" for i in range(ROWS)],
            "respondent_id": [f"c{i}" for i in range(ROWS)],
            "audience": "customer",
            "segment": rng.choice(["top", "new", "defected", "other"], ROWS),
            "wave": "w1",
            "ltr": rng.integers(0, 11, ROWS),
            **{f"perf.{f}": rng.integers(1, 6, ROWS) for f in FACTORS},
            "open.improve": [f"answer {i}: <b>faster</b>, =1+1" for i in range(ROWS)],
        }
    )
    frame.to_csv(path, index=False)
    return path


def _kill_after_first_chunk(script: str, url: str, file: Path) -> str:
    """Run ``script`` in a new Python process, SIGKILL it once it reports a
    written chunk, and return what it printed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-c", script, url, str(file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        if not first.startswith("wrote"):
            proc.kill()
            pytest.fail(f"the import did not start: {first}{proc.stderr.read()}")
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert "done" not in rest, "the import ended before it was killed: use a larger file"
    return first + rest


def _count(db: Database, table: object) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _assert_consistent(db: Database) -> None:
    with db.connect() as conn:
        if db.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        orphans = conn.execute(
            select(func.count())
            .select_from(t.answer)
            .outerjoin(t.response, t.response.c.id == t.answer.c.response_id)
            .where(t.response.c.id.is_(None))
        ).scalar_one()
        assert orphans == 0


def _cli(*args: str) -> Result:
    """Run a cxgap command in this process (the killed run was the real subprocess)."""
    return CliRunner().invoke(app, list(args))


@pytest.mark.slow
def test_killed_response_import_leaves_nothing_and_a_rerun_completes(
    fresh_db: Database, db_url: str, tmp_path: Path
) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    file = _export_file(tmp_path / "responses.csv")

    _kill_after_first_chunk(RESPONSES_SCRIPT, db_url, file)
    fresh_db.engine.dispose()
    _assert_consistent(fresh_db)
    assert _count(fresh_db, t.response) == 0
    assert _count(fresh_db, t.answer) == 0
    assert _count(fresh_db, t.respondent) == 0

    done = _cli("import", "responses", str(file), "--study", "acme", "--db", db_url, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["written"] == ROWS
    again = _cli("import", "responses", str(file), "--study", "acme", "--db", db_url, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["written"] == 0

    _assert_consistent(fresh_db)
    with fresh_db.connect() as conn:
        keys = conn.execute(select(t.response.c.source_key)).scalars().all()
    assert len(keys) == len(set(keys)) == ROWS
    assert _count(fresh_db, t.answer) == ROWS * ANSWERS_PER_ROW


@pytest.mark.slow
def test_killed_study_import_leaves_nothing_and_a_rerun_completes(
    db_url: str, tmp_path: Path
) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    with Database.open(Settings.load(database_url=source_url)) as source:
        upgrade(source)
        save_study(source, default_study("acme", organisation="Acme"))
        import_responses(source, "acme", _export_file(tmp_path / "r.csv"))
    with Database.open(Settings.load(database_url=source_url)) as source:
        export_study(source, "acme", tmp_path / "acme.zip")

    _kill_after_first_chunk(STUDY_SCRIPT, db_url, tmp_path / "acme.zip")
    with Database.open(Settings.load(database_url=db_url)) as target:
        _assert_consistent(target)
        for table in (t.organisation, t.study, t.respondent, t.response, t.answer):
            assert _count(target, table) == 0, table.name

    done = _cli("import", "study", str(tmp_path / "acme.zip"), "--db", db_url, "--json")
    assert done.exit_code == 0, done.output
    with Database.open(Settings.load(database_url=db_url)) as target:
        _assert_consistent(target)
        assert _count(target, t.study) == 1
        assert _count(target, t.response) == ROWS
        assert _count(target, t.answer) == ROWS * ANSWERS_PER_ROW
