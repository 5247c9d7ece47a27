"""Fuzzing ``cxgap import study`` and ``cxgap restore``: a damaged or hostile
export or backup file gets a result or one clear error naming the file, never
a traceback, and a refused file leaves the target database holding no row.

Each example starts from a valid study export or portable backup of a small
study and damages it: a member dropped, a JSON lines row or the manifest
mutated (hostile values, keys deleted or renamed), a member's bytes truncated
or flipped, or the whole zip damaged. Profiles: ``CXGAP_FUZZ_PROFILE``.
"""

from __future__ import annotations

import io
import json
import random
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import CxgapError
from cxgap.operations.backup import backup_database, restore_database
from cxgap.operations.transfer import export_study, import_study
from cxgap.settings import Settings
from cxgap.store.accounts import write_accounts, write_events
from cxgap.store.db import Database
from cxgap.store.frames import write_frame
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.study import default_study
from tests.hostile import FUZZ, assert_clear_cli, assert_clear_error, row_counts

runner = CliRunner()


def _source(folder: Path) -> dict[str, bytes]:
    """A small study's export and portable backup, as bytes."""
    url = f"sqlite:///{folder / 'source.db'}"
    with Database.open(Settings.load(database_url=url)) as db:
        upgrade(db)
        save_study(db, default_study("small", organisation="Small <Co>"))
        write_accounts(
            db,
            "small",
            pd.DataFrame(
                {
                    "account_id": ["A1", "A2"],
                    "name": ["=Alpha", "Beta <b>"],
                    "segment": ["top", "defected"],
                    "annual_revenue": [1000.0, 250.0],
                    "owner": ["Sam", None],
                    "acquired_at": [pd.Timestamp("2024-01-01")] * 2,
                    "defected_at": [pd.NaT, pd.Timestamp("2026-03-01")],
                }
            ),
        )
        write_events(
            db,
            "small",
            pd.DataFrame(
                {
                    "account_id": ["A1", "A2"],
                    "timestamp": pd.to_datetime(["2026-01-05", "2026-02-05"]),
                    "touchpoint": ["support", "billing"],
                    "moment": ["problem_resolution", "routine"],
                    "outcome": ["failed", "met"],
                    "severity": [2.0, np.nan],
                    "source_id": ["T-1", "B-1"],
                    "source_system": ["helpdesk", None],
                    "cost": [90.0, np.nan],
                    "note": ["late <script>", None],
                }
            ),
        )
        write_frame(
            db,
            "small",
            pd.DataFrame(
                {
                    "respondent_id": ["c1", "s1"],
                    "audience": ["customer", "staff"],
                    "segment": ["top", None],
                    "team": [None, "support"],
                    "account_id": ["A1", None],
                    "wave": ["w1", "w1"],
                    "source": ["individual"] * 2,
                    "ltr": [9.0, 7.0],
                    "perf.empathy": [4.0, 2.0],
                    "open.improve": ["Faster =fixes", "Tools"],
                }
            ),
        )
        export_study(db, "small", folder / "export.zip")
        backup_database(db, folder / "backup.zip", portable=True)
    return {
        "export": (folder / "export.zip").read_bytes(),
        "backup": (folder / "backup.zip").read_bytes(),
    }


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _source(tmp_path_factory.mktemp("archives"))


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            # A fixed time stamp: the same draws must give the same bytes.
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def _parses(data: bytes | None) -> bool:
    """Whether ``data`` is UTF-8 JSON (lines): only then is a row mutated."""
    if not data:
        return False
    try:
        for line in data.decode("utf-8").splitlines():
            json.loads(line)
    except ValueError:
        return False
    return True


_HOSTILE_VALUES: list[object] = [
    None,
    "",
    " ",
    "x" * 300,
    "=HYPERLINK(1)",
    "<script>alert(1)</script>",
    "\x00",
    -1,
    0,
    2**63,
    1e308,
    float("nan"),
    True,
    [],
    {},
    {"a": [1, {"b": None}]},
    "2026-13-45T99:99:99",
    "9999-12-31T23:59:59",
]


def _mutate(rnd: random.Random, node: object) -> object:
    """``node`` (parsed JSON) with one value replaced, deleted or renamed."""
    if isinstance(node, dict) and node and rnd.random() < 0.8:
        key = rnd.choice(sorted(node, key=str))
        kind = rnd.choice(["replace", "replace", "delete", "rename", "deeper"])
        out = dict(node)
        if kind == "replace":
            out[key] = rnd.choice(_HOSTILE_VALUES)
        elif kind == "delete":
            del out[key]
        elif kind == "rename":
            out[key + rnd.choice(["_", "X", " "])] = out.pop(key)
        else:
            out[key] = _mutate(rnd, out[key])
        return out
    if isinstance(node, list) and node and rnd.random() < 0.8:
        out_list = list(node)
        i = rnd.randrange(len(out_list))
        out_list[i] = _mutate(rnd, out_list[i])
        return out_list
    return rnd.choice(_HOSTILE_VALUES)


def damaged(rnd: random.Random, data: bytes) -> tuple[bytes, list[str]]:
    """``data`` (a zip) with one or two kinds of damage, and what was done.
    Every choice comes from ``rnd`` (drawn by Hypothesis), so a failing
    example replays exactly."""
    how: list[str] = []
    members = _members(data)
    for _ in range(rnd.randint(1, 2)):
        if not members:
            break
        kind = rnd.choice(["drop", "row", "row", "manifest", "truncate", "flip", "as is"])
        name = rnd.choice(sorted(members))
        how.append(f"{kind} {name}")
        if kind == "drop":
            members.pop(name)
        elif kind == "row" and name.endswith(".jsonl") and _parses(members[name]):
            lines = members[name].decode("utf-8").splitlines()
            if lines:
                i = rnd.randrange(len(lines))
                lines[i] = json.dumps(_mutate(rnd, json.loads(lines[i])), ensure_ascii=False)
                members[name] = ("\n".join(lines) + "\n").encode("utf-8")
        elif kind == "manifest" and _parses(members.get("manifest.json")):
            doc = json.loads(members["manifest.json"])
            members["manifest.json"] = json.dumps(_mutate(rnd, doc)).encode()
        elif kind == "truncate":
            members[name] = members[name][: rnd.randint(0, len(members[name]))]
        elif kind == "flip" and members[name]:
            raw = bytearray(members[name])
            at = rnd.randrange(len(raw))
            raw[at] ^= rnd.randint(1, 255)
            members[name] = bytes(raw)
    out = _zip(members)
    if rnd.random() < 0.1:
        at = rnd.randint(0, len(out))
        out = out[:at]
        how.append(f"zip cut at {at}")
    return out, how


def _total_rows(db: Database) -> int:
    return sum(row_counts(db).values())


def _check(kind: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / f"{kind}.zip"
        path.write_bytes(data)
        url = f"sqlite:///{folder / 'target.db'}"
        with Database.open(Settings.load(database_url=url)) as db:
            try:
                if kind == "export":
                    import_study(db, path)
                else:
                    restore_database(db, path)
            except CxgapError as exc:
                assert_clear_error(exc, [path])
                assert _total_rows(db) == 0, "a refused file left rows behind"
        command = ["import", "study"] if kind == "export" else ["restore"]
        url2 = f"sqlite:///{folder / 'cli.db'}"
        assert_clear_cli(runner.invoke(app, [*command, str(path), "--db", url2]), [path])


@pytest.mark.parametrize("kind", ["export", "backup"])
@FUZZ
@given(data=st.data())
def test_damaged_archives_load_or_fail_clearly(
    archives: dict[str, bytes], kind: str, data: st.DataObject
) -> None:
    """A damaged export (``import study``) or backup (``restore``)."""
    file, how = damaged(data.draw(st.randoms(use_true_random=False)), archives[kind])
    note(f"damage: {how}")
    _check(kind, file)


def test_the_undamaged_files_load(archives: dict[str, bytes]) -> None:
    """The fuzz starts from files that work (so a refusal means the damage)."""
    with tempfile.TemporaryDirectory() as tmp:
        for kind, data in archives.items():
            path = Path(tmp) / f"{kind}.zip"
            path.write_bytes(data)
            with Database.open(
                Settings.load(database_url=f"sqlite:///{Path(tmp) / kind}.db")
            ) as db:
                (import_study if kind == "export" else restore_database)(db, path)
                assert _total_rows(db) > 20
