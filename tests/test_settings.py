from __future__ import annotations

from pathlib import Path

import pytest

from cxgap.errors import ConfigError
from cxgap.settings import (
    DEFAULT_DATABASE_URL,
    ENV_DATABASE_URL,
    Settings,
    mask_url,
    pool_connections,
)


def test_default_is_sqlite_file_in_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings.load(environ={})
    assert DEFAULT_DATABASE_URL == "sqlite:///cxgap.db"
    assert s.database_url == f"sqlite:///{tmp_path / 'cxgap.db'}"


def test_explicit_url_wins_over_environment() -> None:
    env = {ENV_DATABASE_URL: "sqlite:////tmp/from-env.db"}
    assert Settings.load(environ=env).database_url == "sqlite:////tmp/from-env.db"
    explicit = Settings.load(database_url="sqlite:////tmp/x.db", environ=env)
    assert explicit.database_url == "sqlite:////tmp/x.db"


def test_bare_postgresql_scheme_uses_psycopg3() -> None:
    s = Settings.load(database_url="postgresql://u@h/db", environ={})
    assert s.database_url == "postgresql+psycopg://u@h/db"


def test_unknown_engine_is_a_config_error_with_masked_password() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.load(database_url="mysql://user:hunter2@host/db", environ={})
    assert "hunter2" not in str(err.value)
    assert "***" in str(err.value)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql+psycopg://ann:s3cret@db.example/cx",
            "postgresql+psycopg://ann:***@db.example/cx",
        ),
        ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
        ("weird://ann:s3cret@host", "weird://ann:***@host"),
    ],
)
def test_mask_url_hides_passwords(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_pool_sizes_come_from_the_environment_per_process() -> None:
    s = Settings.load(environ={"CXGAP_DB_POOL_SIZE": "3", "CXGAP_DB_MAX_OVERFLOW": "0"})
    assert (s.db_pool_size, s.db_max_overflow) == (3, 0)
    assert pool_connections(s, processes=4) == 12
    assert (Settings.load(environ={}).db_pool_size, Settings().db_max_overflow) == (10, 0)


def test_pre_ping_can_be_turned_off_and_a_bad_value_is_named() -> None:
    assert Settings.load(environ={}).db_pre_ping is True
    assert Settings.load(environ={"CXGAP_DB_PRE_PING": "false"}).db_pre_ping is False
    with pytest.raises(ConfigError, match="CXGAP_DB_PRE_PING"):
        Settings.load(environ={"CXGAP_DB_PRE_PING": "sometimes"})


@pytest.mark.parametrize("raw", ["many", "-1", "0"])
def test_a_bad_pool_size_is_one_clear_config_error(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"CXGAP_DB_POOL_SIZE|db_pool_size"):
        Settings.load(environ={"CXGAP_DB_POOL_SIZE": raw})


def test_the_postgresql_pool_has_the_configured_size(postgres_url: str) -> None:
    from cxgap.store.db import Database

    settings = Settings.load(
        database_url=postgres_url,
        environ={"CXGAP_DB_POOL_SIZE": "2", "CXGAP_DB_MAX_OVERFLOW": "1"},
    )
    with Database.open(settings) as db:
        pool = db.engine.pool
        assert pool.size() == 2  # type: ignore[attr-defined]
        assert pool._max_overflow == 1  # type: ignore[attr-defined]
