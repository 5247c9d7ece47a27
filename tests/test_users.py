"""Dashboard users: argon2 hashes, roles per organisation, ``cxgap users``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import CxgapError, NotFoundError
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.sessions import session_user_id, start_session
from cxgap.store.studies import save_study
from cxgap.store.users import (
    add_user,
    authenticate,
    list_users,
    remove_user,
    verify_password,
)
from cxgap.study.defaults import default_study

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def org_db(fresh_db: Database) -> Database:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    save_study(fresh_db, default_study("beta", organisation="Beta"))
    return fresh_db


def test_password_is_stored_as_an_argon2id_hash_only(org_db: Database) -> None:
    add_user(org_db, "Ann@Example.com", organisation="Acme", role="owner", password=PASSWORD)
    with org_db.connect() as conn:
        [row] = conn.execute(t.app_user.select()).all()
    assert row.email == "ann@example.com"
    assert PASSWORD not in row.password_hash
    assert row.password_hash.startswith("$argon2id$")
    # An independent verifier (argon2-cffi's own) accepts the stored hash.
    assert PasswordHasher().verify(row.password_hash, PASSWORD)


def test_authenticate_accepts_right_and_refuses_wrong_password(org_db: Database) -> None:
    add_user(org_db, "ann@example.com", organisation="Acme", role="analyst", password=PASSWORD)
    user = authenticate(org_db, " ANN@example.com", PASSWORD)
    assert user is not None and user.email == "ann@example.com"
    assert authenticate(org_db, "ann@example.com", PASSWORD + "x") is None
    assert authenticate(org_db, "nobody@example.com", PASSWORD) is None
    assert authenticate(org_db, "not-an-address", PASSWORD) is None


def test_roles_are_per_organisation(org_db: Database) -> None:
    add_user(org_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
    user = add_user(org_db, "ann@example.com", organisation="Beta", role="viewer")
    by_name = {user.organisations[o]: r for o, r in user.roles.items()}
    assert by_name == {"Acme": "owner", "Beta": "viewer"}
    acme = next(o for o, n in user.organisations.items() if n == "Acme")
    beta = next(o for o, n in user.organisations.items() if n == "Beta")
    assert user.can_edit(acme) and not user.can_edit(beta)
    # Adding again changes the role and keeps the password.
    user = add_user(org_db, "ann@example.com", organisation="Beta", role="analyst")
    assert user.role_in(beta) == "analyst"
    assert authenticate(org_db, "ann@example.com", PASSWORD) is not None


def test_bad_role_short_password_and_unknown_organisation_are_clear_errors(
    org_db: Database,
) -> None:
    with pytest.raises(CxgapError, match="unknown role 'admin'"):
        add_user(org_db, "a@example.com", organisation="Acme", role="admin", password=PASSWORD)
    with pytest.raises(CxgapError, match="password too short"):
        add_user(org_db, "a@example.com", organisation="Acme", role="viewer", password="short")
    with pytest.raises(NotFoundError, match="no organisation 'Zeta'"):
        add_user(org_db, "a@example.com", organisation="Zeta", role="viewer", password=PASSWORD)
    with pytest.raises(CxgapError, match="give a password"):
        add_user(org_db, "a@example.com", organisation="Acme", role="viewer")
    assert list_users(org_db) == []


def test_remove_deletes_user_and_memberships(org_db: Database) -> None:
    add_user(org_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
    remove_user(org_db, "ann@example.com")
    assert list_users(org_db) == []
    with org_db.connect() as conn:
        assert conn.execute(t.membership.select()).all() == []
    with pytest.raises(NotFoundError):
        remove_user(org_db, "ann@example.com")


def test_verify_password_never_raises_on_a_broken_hash() -> None:
    assert verify_password("not a hash", PASSWORD) is False


def test_cli_add_list_remove(org_db: Database, db_url: str) -> None:
    r = runner.invoke(
        app,
        [
            *[
                "users",
                "add",
                "ann@example.com",
                "--org",
                "Acme",
                "--role",
                "owner",
                "--password-stdin",
            ],
            "--db",
            db_url,
        ],
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.output
    assert "ann@example.com is owner of Acme" in r.stdout
    r = runner.invoke(app, ["users", "list", "--json", "--db", db_url])
    assert r.exit_code == 0
    assert json.loads(r.stdout) == [
        {
            "email": "ann@example.com",
            "name": "",
            "memberships": [{"organisation": "Acme", "role": "owner"}],
        }
    ]
    assert "argon2" not in r.stdout
    r = runner.invoke(app, ["users", "remove", "ann@example.com", "--db", db_url])
    assert r.exit_code == 0 and "Removed ann@example.com" in r.stdout
    r = runner.invoke(app, ["users", "list", "--db", db_url])
    assert "No users yet" in r.stdout


def test_cli_bad_role_is_one_line_error(org_db: Database, db_url: str) -> None:
    r = runner.invoke(
        app,
        [
            *[
                "users",
                "add",
                "a@example.com",
                "--org",
                "Acme",
                "--role",
                "boss",
                "--password-stdin",
            ],
            "--db",
            db_url,
        ],
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 2
    assert "Error: unknown role 'boss'" in r.output
    assert "Traceback" not in r.output


def _live(db: Database, *sessions: str) -> list[bool]:
    return [session_user_id(db, s) is not None for s in sessions]


def test_a_new_password_ends_every_session_of_that_user_only(org_db: Database) -> None:
    ann = add_user(org_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
    bob = add_user(org_db, "bob@example.com", organisation="Beta", role="owner", password=PASSWORD)
    until = datetime.now(UTC) + timedelta(hours=1)
    laptop, phone = start_session(org_db, ann.id, until), start_session(org_db, ann.id, until)
    other = start_session(org_db, bob.id, until)
    # A new membership without a password keeps the sessions.
    add_user(org_db, "ann@example.com", organisation="Beta", role="viewer")
    assert _live(org_db, laptop, phone, other) == [True, True, True]
    add_user(org_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD + "!")
    assert _live(org_db, laptop, phone, other) == [False, False, True]


def test_removing_a_user_ends_their_sessions(org_db: Database) -> None:
    ann = add_user(org_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
    sid = start_session(org_db, ann.id, datetime.now(UTC) + timedelta(hours=1))
    remove_user(org_db, "ann@example.com")
    with org_db.connect() as conn:
        assert conn.execute(t.session.select()).all() == []
    # A new user may get the same id on SQLite: the old session is not theirs.
    add_user(org_db, "cat@example.com", organisation="Acme", role="owner", password=PASSWORD)
    assert session_user_id(org_db, sid) is None


def test_cli_password_reset_ends_the_users_sessions(org_db: Database, db_url: str) -> None:
    ann = add_user(org_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
    sid = start_session(org_db, ann.id, datetime.now(UTC) + timedelta(hours=1))
    args = ["users", "add", "ann@example.com", "--org", "Acme", "--role", "owner"]
    r = runner.invoke(app, [*args, "--password-stdin", "--db", db_url], input="another password\n")
    assert r.exit_code == 0, r.output
    assert session_user_id(org_db, sid) is None
    assert authenticate(org_db, "ann@example.com", "another password") is not None
