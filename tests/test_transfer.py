"""A whole study moves between databases exactly: ``cxgap export`` / ``cxgap import study``."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import CxgapError, DatabaseError, NotFoundError
from cxgap.operations.transfer import (
    FORMAT_VERSION,
    decode_value,
    encode_value,
    export_study,
    import_study,
)
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.accounts import (
    load_accounts,
    load_events,
    load_interviews,
    write_accounts,
    write_events,
    write_interviews,
)
from cxgap.store.actions import ActionItem, add_action
from cxgap.store.db import Database
from cxgap.store.frames import load_frame, write_frame
from cxgap.store.invitations import Contact, create_anonymous_link, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import load_study, save_study
from cxgap.store.survey import save_answers, submit
from cxgap.study import default_study
from cxgap.study.model import Attribute, Wave

runner = CliRunner()
SLUG = "demo"
SMALL = "small"
HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "<script>alert('x')</script>",
    "naïve – café ✓ 😀\r\nline two\ttab",
    "-1",
]


#: Tables of people who use cxgap, not of a study (each holds one row in the sources).
NEVER_EXPORTED = (
    "app_user",
    "membership",
    "api_token",
    "session",
    "notification_rule",
    "notification",
)

# --- an independent comparison: every row, references replaced by natural keys ---

# The columns that identify a row of the tables other rows refer to.
NATURAL = {
    "organisation": ("name",),
    "study": ("slug",),
    "wave": ("study_id", "key"),
    "account": ("organisation_id", "external_id"),
    "respondent": ("study_id", "external_id"),
    "invitation": ("token_hash",),
    "response": ("study_id", "source_key"),
    "app_user": ("email",),
    "api_token": ("token_hash",),
    "cx_case": ("study_id", "number"),
    "notification_rule": ("study_id", "channel", "target"),
}


def _value(v: Any) -> Any:
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).replace(tzinfo=None)
    if isinstance(v, list | dict):
        return json.dumps(v, sort_keys=True)
    return v


def _resolved_tables(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every table as a sorted list of rows without ids, each reference to
    another row replaced by that row's natural key (recursively)."""
    raw: dict[str, dict[int, dict[str, Any]]] = {}
    with db.connect() as conn:
        for table in t.metadata.sorted_tables:
            raw[table.name] = {
                r["id"]: dict(r) for r in conn.execute(select(table)).mappings().all()
            }

    keys: dict[tuple[str, int], tuple[Any, ...]] = {}

    def key(table_name: str, row_id: int) -> tuple[Any, ...]:
        if (table_name, row_id) not in keys:
            table = t.metadata.tables[table_name]
            row = raw[table_name][row_id]
            keys[table_name, row_id] = tuple(resolve(table, c, row[c]) for c in NATURAL[table_name])
        return keys[table_name, row_id]

    def resolve(table: Any, column: str, value: Any) -> Any:
        fks = list(table.c[column].foreign_keys)
        if fks and value is not None:
            return key(fks[0].column.table.name, value)
        return _value(value)

    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in t.metadata.sorted_tables:
        rows = [
            tuple((c.name, resolve(table, c.name, r[c.name])) for c in table.c if c.name != "id")
            for r in raw[table.name].values()
        ]
        out[table.name] = sorted(rows, key=repr)
    return out


def _assert_same(a: Database, b: Database) -> None:
    left, right = _resolved_tables(a), _resolved_tables(b)
    for name in left:
        assert len(left[name]) == len(right[name]), name
        assert left[name] == right[name], name


@given(st.datetimes(timezones=st.timezones()))
def test_aware_times_come_back_as_the_same_instant(moment: datetime) -> None:
    back = decode_value(t.study, "created_at", encode_value(moment))
    # Compared in UTC: Python never calls a time in a DST gap equal across zones (PEP 495).
    assert back == moment.astimezone(UTC) and back.tzinfo is UTC


@given(st.datetimes(), st.dates())
def test_naive_times_and_dates_come_back_unchanged(moment: datetime, day: date) -> None:
    assert decode_value(t.interaction_event, "occurred_at", encode_value(moment)) == moment
    assert decode_value(t.account, "acquired_at", encode_value(day)) == day


# --- fixtures -------------------------------------------------------------------


def _enrich(db: Database, slug: str) -> None:
    """Add what the demo lacks: invitations (private and anonymous), a partial
    and a submitted web response, hostile text, and a user with a membership
    (which must not travel)."""
    ids = load_accounts(db, slug)["account_id"].tolist()
    contacts = [
        Contact(email="ann@example.com", name="Ann <b>", account_id=ids[0], segment="top"),
        Contact(email="bob@example.com", name="=Bob", account_id=ids[1], segment="top"),
    ]
    batch = create_invitations(db, slug, audience="customer", wave="w2", contacts=contacts)
    ratings = {q.key: "4" for q in load_study(db, slug).questions if q.kind == "rating"}
    save_answers(db, batch.links[0].token, {"ltr": "9", "open.improve": HOSTILE[1]})
    submit(db, batch.links[1].token, {**ratings, "ltr": "3", "open.well": HOSTILE[0]})
    create_anonymous_link(db, slug, wave="w2", team="support")
    study = load_study(db, slug)
    plan = Attribute(key="plan", label="Plan <b>", values=["Gold", "=Basic"])
    save_study(db, study.model_copy(update={"attributes": [*study.attributes, plan]}))
    frame = pd.DataFrame(
        {
            "respondent_id": ["hostile-1"],
            "audience": ["staff"],
            "segment": [None],
            "team": ["support"],
            "account_id": [None],
            "wave": ["w1"],
            "source": ["individual"],
            "ltr": [np.nan],
            "perf.empathy": [1.0 / 3.0],
            "open.improve": [HOSTILE[2]],
            "open.barriers": [HOSTILE[3]],
            "attr.plan": [" =Basic "],
        }
    )
    write_frame(db, slug, frame)
    with db.begin() as conn:
        user = conn.execute(
            insert(t.app_user).values(email="lead@example.com", name="Lead", password_hash="x")
        ).inserted_primary_key
        org = conn.execute(select(t.organisation.c.id)).scalar_one()
        conn.execute(
            insert(t.membership).values(user_id=user[0], organisation_id=org, role="owner")
        )
        conn.execute(insert(t.api_token).values(user_id=user[0], name="feed", token_hash="0" * 64))
        conn.execute(
            insert(t.session).values(
                user_id=user[0],
                token_hash="1" * 64,
                expires_at=datetime(2999, 1, 1, tzinfo=UTC),
                last_seen_at=datetime(2026, 10, 1, tzinfo=UTC),
            )
        )
        sid = conn.execute(select(t.study.c.id).where(t.study.c.slug == slug)).scalar_one()
        conn.execute(
            insert(t.alert_run).values(
                study_id=sid,
                since=datetime(2026, 9, 1, tzinfo=UTC),
                as_of=datetime(2026, 10, 1, tzinfo=UTC),
                threshold=-4.5,
                crossed_below=3,
                recovered=1,
                delivered=None,
            )
        )
        # The mapping `cxgap init --from` keeps with a study, with text a YAML file may hold.
        conn.execute(
            insert(t.response_mapping).values(
                study_id=sid, source="export – été.csv", yaml="columns:\n  Q1: ltr  # ✓\n"
            )
        )


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory, demo_db_url: str) -> tuple[str, Path]:
    """A copy of the demo with invitations, web responses and hostile text, and
    its export file."""
    import shutil

    folder = tmp_path_factory.mktemp("transfer")
    with Database.open(Settings.load(database_url=demo_db_url)) as db, db.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), folder / "source.db")
    url = f"sqlite:///{folder / 'source.db'}"
    out = folder / "demo.zip"
    with Database.open(Settings.load(database_url=url)) as db:
        _enrich(db, SLUG)
        export_study(db, SLUG, out)
    return url, out


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A small study holding rows in every table a study has, and its export."""
    folder = tmp_path_factory.mktemp("small")
    url = f"sqlite:///{folder / 'small.db'}"
    out = folder / "small.zip"
    study = default_study(SMALL, organisation="Small <Co>")
    waves = [Wave(key="w1", label="One"), Wave(key="w2", label="Two")]
    study = study.model_copy(update={"waves": waves, "promise": ["We fix it fast."]})
    with Database.open(Settings.load(database_url=url)) as db:
        upgrade(db)
        save_study(db, study)
        accounts = pd.DataFrame(
            {
                "account_id": ["A1", "A2", "A3"],
                "name": ["Alpha Ltd", "=Beta", "Gamma"],
                "segment": ["top", "defected", "new"],
                "annual_revenue": [120000.5, 50000.0, None],
                "owner": ["Ann", None, "Bo"],
                "acquired_at": pd.to_datetime(["2020-01-01", "2021-05-01", "2026-01-01"]),
                "defected_at": pd.to_datetime([None, "2026-03-01", None]),
            }
        )
        write_accounts(db, SMALL, accounts)
        events = pd.DataFrame(
            {
                "account_id": ["A1", "A1", "A2"],
                "timestamp": pd.to_datetime(["2026-01-02 10:00"] * 2 + ["2026-02-01 00:00"]),
                "touchpoint": ["support", "support", "billing"],
                "moment": ["routine", "routine", "storming"],
                "outcome": ["met", "failed", "failed"],
                "severity": [np.nan, 2.0, 3.0],
                "source_id": ["t-1", "t-2", "t-3"],
                "source_system": ["zendesk", "zendesk", None],
                "cost": [10.0, np.nan, 99.5],
                "note": ["ok", "<b>late</b>", None],
            }
        )
        write_events(db, SMALL, events)
        notes = pd.DataFrame(
            {
                "account_id": ["A2"],
                "segment": ["defected"],
                "date": pd.to_datetime(["2026-03-10"]),
                "interviewer": ["Cy"],
                "text": ["They left because of =billing"],
                "tags": [["factor:integrity", "moment:storming"]],
            }
        )
        write_interviews(db, SMALL, notes)
        add_action(db, SMALL, ActionItem(title="Fix billing", factor="integrity", owner="Dee"))
        add_action(db, SMALL, ActionItem(title="Call A2", evidence={"gap": -1.5}))
        _enrich(db, SMALL)
        export_study(db, SMALL, out)
    return url, out


# --- round trips ------------------------------------------------------------------


def test_demo_round_trips_row_by_row_into_an_empty_database(
    demo_export: tuple[str, Path], empty_db: Database
) -> None:
    url, file = demo_export
    result = import_study(empty_db, file)
    assert result.study == SLUG and result.kept == {"account": 0, "interaction_event": 0}
    with Database.open(Settings.load(database_url=url)) as src:
        left, right = _resolved_tables(src), _resolved_tables(empty_db)
    for name in left:
        if name in NEVER_EXPORTED:  # never part of a study
            assert right[name] == []
            continue
        assert len(right[name]) == len(left[name]) > 0, name
        assert right[name] == left[name], name


def test_small_study_round_trips_row_by_row(source: tuple[str, Path], empty_db: Database) -> None:
    url, file = source
    import_study(empty_db, file)
    with Database.open(Settings.load(database_url=url)) as src:
        left, right = _resolved_tables(src), _resolved_tables(empty_db)
    for name in left:
        expected = [] if name in NEVER_EXPORTED else left[name]
        assert right[name] == expected, name


def test_hostile_text_and_partial_responses_travel_unchanged(
    source: tuple[str, Path], fresh_db: Database
) -> None:
    import_study(fresh_db, source[1])
    with fresh_db.connect() as conn:
        texts = set(conn.execute(select(t.answer.c.value_text)).scalars())
        statuses = set(conn.execute(select(t.response.c.status)).scalars())
        names = set(conn.execute(select(t.respondent.c.name)).scalars())
    assert set(HOSTILE) <= texts
    assert {"partial", "complete"} <= statuses
    assert {"Ann <b>", "=Bob"} <= names


def test_import_beside_other_studies_gives_new_ids_and_the_same_data(
    source: tuple[str, Path], fresh_db: Database
) -> None:
    url, file = source
    for n in range(3):  # take the low ids, so every id of the import must be remapped
        save_study(fresh_db, default_study(f"other-{n}", organisation=f"Other {n}"))
    import_study(fresh_db, file)
    with Database.open(Settings.load(database_url=url)) as src:
        assert load_study(fresh_db, SMALL) == load_study(src, SMALL)
        pd.testing.assert_frame_equal(load_frame(fresh_db, SMALL), load_frame(src, SMALL))
        pd.testing.assert_frame_equal(load_accounts(fresh_db, SMALL), load_accounts(src, SMALL))
        pd.testing.assert_frame_equal(load_events(fresh_db, SMALL), load_events(src, SMALL))
        pd.testing.assert_frame_equal(load_interviews(fresh_db, SMALL), load_interviews(src, SMALL))
    with fresh_db.connect() as conn:
        sid = conn.execute(select(t.study.c.id).where(t.study.c.slug == SMALL)).scalar_one()
    assert sid == 4  # the source's study is 1: every reference was remapped


def test_accounts_already_stored_for_the_organisation_are_kept(
    source: tuple[str, Path], fresh_db: Database
) -> None:
    with Database.open(Settings.load(database_url=source[0])) as src:
        organisation = load_study(src, SMALL).organisation
        accounts = load_accounts(src, SMALL)
    save_study(fresh_db, default_study("earlier", organisation=organisation))
    first = accounts.iloc[:2].copy()
    first["name"] = ["Renamed one", "Renamed two"]
    write_accounts(fresh_db, "earlier", first)
    result = import_study(fresh_db, source[1])
    assert result.kept["account"] == 2
    assert result.inserted["account"] == len(accounts) - 2
    assert result.inserted["organisation"] == 0
    stored = load_accounts(fresh_db, SMALL).set_index("account_id")
    assert stored.loc[first["account_id"], "name"].tolist() == ["Renamed one", "Renamed two"]


# --- refusals, all-or-nothing ------------------------------------------------------


def _count(db: Database, table: Any) -> int:
    with db.connect() as conn:
        return len(conn.execute(select(table.c.id)).all())


def test_a_slug_already_present_is_refused_and_nothing_is_written(
    source: tuple[str, Path], fresh_db: Database
) -> None:
    import_study(fresh_db, source[1])
    before = _count(fresh_db, t.answer)
    with pytest.raises(CxgapError, match="already holds a study 'small'"):
        import_study(fresh_db, source[1])
    assert _count(fresh_db, t.answer) == before


def _rewrite(file: Path, out: Path, change: dict[str, Any] | None = None, **members: str) -> Path:
    with zipfile.ZipFile(file) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "manifest.json" and change:
                data = json.dumps({**json.loads(data), **change}).encode()
            if item.filename in members:
                data = members[item.filename].encode()
            dst.writestr(item.filename, data)
    return out


def test_a_future_format_is_refused_with_a_clear_message(
    source: tuple[str, Path], tmp_path: Path, fresh_db: Database
) -> None:
    future = _rewrite(source[1], tmp_path / "f.zip", {"format_version": FORMAT_VERSION + 1})
    with pytest.raises(CxgapError, match=r"format version 2.*upgrade cxgap"):
        import_study(fresh_db, future)


def test_an_unknown_schema_revision_is_refused(
    source: tuple[str, Path], tmp_path: Path, fresh_db: Database
) -> None:
    newer = _rewrite(source[1], tmp_path / "r.zip", {"schema_revision": "9999_future"})
    with pytest.raises(CxgapError, match="does not know"):
        import_study(fresh_db, newer)


def test_a_broken_row_late_in_the_file_leaves_nothing_behind(
    source: tuple[str, Path], tmp_path: Path, fresh_db: Database
) -> None:
    with zipfile.ZipFile(source[1]) as z:
        lines = z.read("tables/answer.jsonl").decode().splitlines()
    last = json.loads(lines[-1])
    lines[-1] = json.dumps({**last, "response_id": 10**9})
    broken = _rewrite(source[1], tmp_path / "b.zip", **{"tables/answer.jsonl": "\n".join(lines)})
    with pytest.raises(CxgapError, match="refers to response"):
        import_study(fresh_db, broken)
    assert _count(fresh_db, t.study) == 0 and _count(fresh_db, t.answer) == 0


def test_a_row_the_database_refuses_is_one_clear_error(
    source: tuple[str, Path], tmp_path: Path, fresh_db: Database
) -> None:
    with zipfile.ZipFile(source[1]) as z:
        lines = z.read("tables/wave.jsonl").decode().splitlines()
    lines.append(lines[0])  # the same wave key twice
    broken = _rewrite(source[1], tmp_path / "w.zip", **{"tables/wave.jsonl": "\n".join(lines)})
    with pytest.raises(CxgapError, match=r"wave: .*(UNIQUE|unique)"):
        import_study(fresh_db, broken)
    assert _count(fresh_db, t.study) == 0


def test_a_null_where_the_database_needs_a_value_stops_the_import(
    source: tuple[str, Path], tmp_path: Path, fresh_db: Database
) -> None:
    # Answers go through COPY on PostgreSQL and executemany on SQLite: both refuse.
    with zipfile.ZipFile(source[1]) as z:
        lines = z.read("tables/answer.jsonl").decode().splitlines()
    lines[-1] = json.dumps({**json.loads(lines[-1]), "question_key": None})
    broken = _rewrite(source[1], tmp_path / "n.zip", **{"tables/answer.jsonl": "\n".join(lines)})
    with pytest.raises(CxgapError, match=r"n\.zip: answer: .*(null|NULL)"):
        import_study(fresh_db, broken)
    assert _count(fresh_db, t.study) == 0 and _count(fresh_db, t.answer) == 0


def test_an_export_that_fails_leaves_no_file(
    source: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("cxgap.operations.transfer.frame_csv_text", broken)
    with Database.open(Settings.load(database_url=source[0])) as db:
        with pytest.raises(RuntimeError, match="disk on fire"):
            export_study(db, SMALL, tmp_path / "x.zip")
        with pytest.raises(CxgapError, match="does not exist"):
            export_study(db, SMALL, tmp_path / "missing" / "x.zip")
    assert list(tmp_path.iterdir()) == []


def test_not_a_zip_and_no_manifest_are_clear_errors(tmp_path: Path, fresh_db: Database) -> None:
    text = tmp_path / "x.zip"
    text.write_text("hello")
    with pytest.raises(CxgapError, match="not a cxgap export"):
        import_study(fresh_db, text)
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as z:
        z.writestr("other.txt", "x")
    with pytest.raises(CxgapError, match=r"no manifest\.json"):
        import_study(fresh_db, tmp_path / "empty.zip")
    with pytest.raises(NotFoundError):
        import_study(fresh_db, tmp_path / "missing.zip")


def test_export_of_an_unknown_study_or_empty_database_is_refused(
    fresh_db: Database, empty_db: Database, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError, match="no study 'nope'"):
        export_study(fresh_db, "nope", tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists() and not (tmp_path / "x.zip.partial").exists()


def test_export_of_a_database_without_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    with Database.open(Settings.load(database_url=url)) as db, pytest.raises(DatabaseError):
        export_study(db, SMALL, tmp_path / "x.zip")


# --- the file itself ---------------------------------------------------------------


def test_the_file_has_a_versioned_manifest_and_a_neutralised_readable_copy(
    source: tuple[str, Path],
) -> None:
    with zipfile.ZipFile(source[1]) as z:
        manifest = json.loads(z.read("manifest.json"))
        csv_text = z.read("responses.csv").decode()
        names = set(z.namelist())
    assert manifest["format"] == "cxgap-study" and manifest["format_version"] == FORMAT_VERSION
    assert manifest["study"] == SMALL and manifest["schema_revision"]
    assert {"tables/answer.jsonl", "tables/invitation.jsonl"} <= names
    assert "tables/app_user.jsonl" not in names and "tables/membership.jsonl" not in names
    assert "tables/api_token.jsonl" not in names and "tables/session.jsonl" not in names
    copy = pd.read_csv(pd.io.common.StringIO(csv_text), dtype=str, keep_default_na=False)
    assert "'=HYPERLINK" in csv_text
    for column in copy.columns:
        assert not copy[column].str.startswith(("=", "+", "-", "@")).any(), column


# --- the commands ------------------------------------------------------------------


def test_cli_export_then_import_study(
    source: tuple[str, Path], db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "again.zip"
    done = runner.invoke(app, ["export", SMALL, "--out", str(out), "--db", source[0], "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["tables"]["response"] == 3
    done = runner.invoke(app, ["import", "study", str(out), "--db", db_url])
    assert done.exit_code == 0, done.output
    assert "Imported study small" in done.stdout
    done = runner.invoke(app, ["import", "study", str(out), "--db", db_url])
    assert done.exit_code == 2
    assert done.stderr.startswith("Error: ") and "already holds" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_cli_unknown_study_is_one_line_exit_2(db_url: str, tmp_path: Path) -> None:
    with Database.open(Settings.load(database_url=db_url)) as db:
        upgrade(db)
    done = runner.invoke(app, ["export", "nope", "--out", str(tmp_path / "x.zip"), "--db", db_url])
    assert done.exit_code == 2 and "no study 'nope'" in done.stderr


def test_a_member_that_is_not_utf8_is_named_and_nothing_is_imported(
    source: tuple[str, Path], empty_db: Database, tmp_path: Path
) -> None:
    _, export = source
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(export) as a, zipfile.ZipFile(damaged, "w") as b:
        for item in a.infolist():
            data = a.read(item.filename)
            if item.filename == "tables/wave.jsonl":
                data = b"\xff\xfe" + data
            b.writestr(item.filename, data)
    with pytest.raises(CxgapError, match=r"damaged\.zip: tables/wave\.jsonl is not UTF-8 text"):
        import_study(empty_db, damaged)
    assert "study" not in empty_db.table_names() or not _holds_a_study(empty_db)


def _holds_a_study(db: Database) -> bool:
    """Whether any study row was stored."""
    with db.connect() as conn:
        return conn.execute(select(t.study.c.id)).first() is not None


def test_an_export_missing_a_table_is_refused_and_nothing_is_imported(
    source: tuple[str, Path], empty_db: Database, tmp_path: Path
) -> None:
    _, export = source
    cut = tmp_path / "cut.zip"
    with zipfile.ZipFile(export) as a, zipfile.ZipFile(cut, "w") as b:
        for item in a.infolist():
            if item.filename != "tables/answer.jsonl":
                b.writestr(item.filename, a.read(item.filename))
    with pytest.raises(CxgapError, match=r"cut\.zip: table answer has 0 rows read, its manifest"):
        import_study(empty_db, cut)
    assert not _holds_a_study(empty_db)


def _rewritten(export: Path, out: Path, member: str, change: Any) -> Path:
    """``export`` with the first row of ``member`` passed through ``change``."""
    with zipfile.ZipFile(export) as a, zipfile.ZipFile(out, "w") as b:
        for item in a.infolist():
            data = a.read(item.filename)
            if item.filename == member:
                lines = data.decode("utf-8").splitlines()
                lines[0] = json.dumps(change(json.loads(lines[0])))
                data = ("\n".join(lines) + "\n").encode("utf-8")
            b.writestr(item.filename, data)
    return out


@pytest.mark.parametrize(
    ("member", "change", "message"),
    [
        (
            "tables/answer.jsonl",
            lambda row: {**row, "response_id": 2**63},
            r"answer\.jsonl line 1: response_id is 9223372036854775808, expected a whole number",
        ),
        (
            "tables/answer.jsonl",
            lambda row: {**row, "question_key": ["ltr"]},
            r"answer\.jsonl line 1: question_key is \['ltr'\], expected text",
        ),
        (
            "tables/organisation.jsonl",
            lambda row: {k: v for k, v in row.items() if k != "name"},
            r"organisation\.jsonl line 1 lacks column\(s\) \['name'\]",
        ),
        (
            "tables/wave.jsonl",
            lambda row: [row],
            r"wave\.jsonl line 1 is not a JSON object",
        ),
    ],
)
def test_a_row_that_cannot_be_stored_is_named_and_nothing_is_imported(
    source: tuple[str, Path],
    empty_db: Database,
    tmp_path: Path,
    member: str,
    change: Any,
    message: str,
) -> None:
    bad = _rewritten(source[1], tmp_path / "bad.zip", member, change)
    with pytest.raises(CxgapError, match=message):
        import_study(empty_db, bad)
    assert "study" not in empty_db.table_names() or not _holds_a_study(empty_db)
