from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxgap.errors import ConfigError
from cxgap.settings import (
    DEFAULT_DATABASE_URL,
    ENV_DATABASE_URL,
    Settings,
    declared_settings,
    mask_url,
    option_help,
    pool_connections,
    setting,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "cxgap"


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


# --- one declaration ------------------------------------------------------------------

_VARIABLE = re.compile(r"\bCXGAP_[A-Z0-9]+(?:_[A-Z0-9]+)*\b")
_PYTHON_NAME = re.compile(r"^\s*(CXGAP_\w+)\s*[:=]", re.MULTILINE)


def named_variables(root: Path) -> dict[str, str]:
    """Each ``CXGAP_`` variable named in a text file under ``root``, with a file
    that names it. A Python name bound there (``CXGAP_META = ...``) is no variable."""
    texts: dict[Path, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            try:
                texts[path] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:  # fonts, images
                continue
    bound = {name for text in texts.values() for name in _PYTHON_NAME.findall(text)}
    found: dict[str, str] = {}
    for path, text in texts.items():
        for name in set(_VARIABLE.findall(text)) - bound:
            found.setdefault(name, str(path.relative_to(root)))
    return found


def test_every_variable_named_in_src_is_a_declared_setting() -> None:
    # Test-only variables (CXGAP_TEST_POSTGRES, CXGAP_FUZZ_*, CXGAP_REQUIRE_ALL_TESTS)
    # belong in tests/; a message or template in src/ may name only real settings.
    declared = {s.env for s in declared_settings() if s.env}
    named = named_variables(SRC)
    assert {v: f for v, f in named.items() if v not in declared} == {}
    assert "CXGAP_BASE_URL" in named  # the scan reads templates as well as modules


def test_the_scan_finds_an_undeclared_variable_and_skips_python_names(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "page.html").write_text("<p>set <code>CXGAP_NOT_A_SETTING</code></p>")
    (tmp_path / "formats.py").write_text("CXGAP_META = frozenset()\nok = 'x' in CXGAP_META\n")
    (tmp_path / "prefix.py").write_text("PREFIX = 'CXGAP_SMTP_'\n")
    assert named_variables(tmp_path) == {"CXGAP_NOT_A_SETTING": "web/page.html"}


def test_every_variable_is_named_after_its_setting() -> None:
    # docs/SETTINGS.md tells library users CXGAP_X sets Settings.x.
    for s in declared_settings():
        assert s.env in (None, f"CXGAP_{s.name.upper()}"), s.name


def test_an_empty_variable_keeps_the_default_and_an_empty_switch_is_off() -> None:
    env = {s.env: "" for s in declared_settings() if s.env}
    loaded = Settings.load(database_url="sqlite://", environ=env)
    for s in declared_settings():
        if s.env and s.name != "database_url":
            expected = False if s.kind is bool else s.default
            assert getattr(loaded, s.name) == expected, s.env


def test_text_that_is_not_a_value_names_the_variable_and_what_it_expects() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.load(environ={"CXGAP_LOGIN_FAILURE_LIMIT": "ten"})
    assert str(err.value) == (
        "CXGAP_LOGIN_FAILURE_LIMIT='ten': expected a whole number from 1 to 100000"
    )


def test_a_value_out_of_bounds_names_the_variable_and_the_bounds() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.load(environ={"CXGAP_SURVEY_MISS_WINDOW": "0"})
    assert str(err.value) == (
        "invalid setting survey_miss_window=0 (CXGAP_SURVEY_MISS_WINDOW): "
        "expected a number of seconds, more than 0 and at most 86400"
    )


def test_each_bad_setting_is_named_with_its_own_reason() -> None:
    env = {"CXGAP_REDIS_URL": "http://:pw@cache", "CXGAP_MAX_BODY_BYTES": "5"}
    with pytest.raises(ConfigError) as err:
        Settings.load(environ=env)
    clauses = str(err.value).split("; ")
    assert clauses == [
        "invalid setting redis_url='http://:***@cache' (CXGAP_REDIS_URL): "
        "expected a Redis URL starting with redis://, rediss:// or unix://",
        "invalid setting max_body_bytes=5 (CXGAP_MAX_BODY_BYTES): "
        "expected a whole number of bytes, at least 1024",
    ]


def test_a_cli_option_describes_its_setting_from_the_declaration() -> None:
    for name in ("database_url", "base_url"):
        s = setting(name)
        assert option_help(name).startswith(s.help.split(". ")[0].rstrip("."))
        assert f"(default: ${s.env} or {s.default})" in option_help(name)
