"""The schema is created and upgraded only through Alembic migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, text

from cxgap.errors import DatabaseError
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.migrate import current_revision, ensure_schema, head_revision, upgrade
from cxgap.store.schema import metadata
from cxgap.store.studies import load_study
from cxgap.study.defaults import CASE_RULES
from cxgap.study.wording import question_text


def test_upgrade_creates_the_schema_at_head(empty_db: Database) -> None:
    assert current_revision(empty_db) is None
    before, after = upgrade(empty_db)
    assert (before, after) == (None, head_revision())
    assert {"study", "response", "answer", "account", "interaction_event"} <= set(
        empty_db.table_names()
    )


def test_migrations_match_the_declared_schema(empty_db: Database) -> None:
    upgrade(empty_db)
    with empty_db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_twice_changes_nothing(empty_db: Database) -> None:
    upgrade(empty_db)
    assert upgrade(empty_db) == (head_revision(), head_revision())


def test_ensure_schema_creates_an_empty_database(empty_db: Database) -> None:
    ensure_schema(empty_db)
    assert current_revision(empty_db) == head_revision()


def test_ensure_schema_refuses_a_database_at_another_revision(empty_db: Database) -> None:
    upgrade(empty_db)
    with empty_db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    with pytest.raises(DatabaseError, match="run `cxgap db upgrade`"):
        ensure_schema(empty_db)


def test_ensure_schema_without_create_names_the_command(empty_db: Database) -> None:
    with pytest.raises(DatabaseError, match="no cxgap schema"):
        ensure_schema(empty_db, create=False)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cxgap.settings import Settings

    with (
        Database.open(Settings.load(database_url=f"sqlite:///{tmp_path}/x.db")) as db,
        db.connect() as conn,
    ):
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_study_stored_before_inside_wording_loads_and_reads_as_before(
    empty_db: Database,
) -> None:
    # A study written at revision 0003, with the columns that revision had.
    upgrade(empty_db, "0003")
    with empty_db.begin() as conn:
        org = conn.execute(insert(t.organisation).values(name="Acme")).inserted_primary_key[0]
        # Raw SQL: the declared table has columns revision 0003 did not.
        conn.execute(
            text(
                "INSERT INTO study (organisation_id, slug, name, description,"
                " anonymity_threshold, competitors, ledger, revision)"
                " VALUES (:org, 'old', 'Old study', '', 5, '[]', '{}', 1)"
            ),
            {"org": org},
        )
        sid = conn.execute(text("SELECT id FROM study WHERE slug = 'old'")).scalar_one()
        conn.execute(insert(t.factor).values(study_id=sid, key="speed", label="Speed", position=0))
        conn.execute(insert(t.wave).values(study_id=sid, key="w1", label="Wave 1", position=0))
        conn.execute(
            insert(t.question).values(
                study_id=sid,
                key="imp.speed",
                text="How important is speed to you?",
                kind="rating",
                audiences=["staff", "customer"],
                section="importance",
                scale_min=1,
                scale_max=5,
                factor_key="speed",
                position=0,
            )
        )
    upgrade(empty_db)
    q = load_study(empty_db, "old").question("imp.speed")
    assert q.internal_text is None
    assert question_text(q, "staff") == "How important is speed to our customers?"
    # Stored before cases existed: the study opens cases by the default rules.
    assert [r.key for r in load_study(empty_db, "old").cases.rules] == [r.key for r in CASE_RULES]
