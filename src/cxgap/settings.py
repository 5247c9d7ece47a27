"""Settings, declared once, typed and validated, passed explicitly.

There are no module-level engines or globals: a :class:`Settings` object is
built by the CLI or the web app at start-up and handed to what needs it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cxgap.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///cxgap.db"
ENV_DATABASE_URL = "CXGAP_DATABASE_URL"
ENV_SMTP_PREFIX = "CXGAP_SMTP_"
ENV_BASE_URL = "CXGAP_BASE_URL"
ENV_SECRET_KEY = "CXGAP_SECRET_KEY"
ENV_REDIS_URL = "CXGAP_REDIS_URL"
ENV_DB_POOL_SIZE = "CXGAP_DB_POOL_SIZE"
ENV_DB_MAX_OVERFLOW = "CXGAP_DB_MAX_OVERFLOW"
ENV_DB_PRE_PING = "CXGAP_DB_PRE_PING"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class Settings(BaseModel):
    """Runtime settings of one cxgap process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path (default ./cxgap.db) or postgresql+psycopg://...",
    )
    echo_sql: bool = Field(default=False, description="Log every SQL statement (debugging).")
    db_pool_size: int = Field(
        default=10,
        ge=1,
        le=200,
        description="PostgreSQL connections each process keeps open (CXGAP_DB_POOL_SIZE); "
        "`cxgap serve --workers N` has N such processes.",
    )
    db_max_overflow: int = Field(
        default=0,
        ge=0,
        le=200,
        description="Further PostgreSQL connections a process may open under load and closes "
        "again after each use (CXGAP_DB_MAX_OVERFLOW). Under sustained load they are opened "
        "and closed for every request, each one a new PostgreSQL backend: more requests wait "
        "for a pooled connection instead when it is 0.",
    )
    db_pre_ping: bool = Field(
        default=True,
        description="Test each PostgreSQL connection with a round trip before use, so a "
        "connection dropped by a server restart is replaced unseen (CXGAP_DB_PRE_PING; "
        "false saves that round trip on every request, and the first request after a "
        "restart fails instead).",
    )
    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        description="Public address of `cxgap serve`, used in survey links (CXGAP_BASE_URL).",
    )
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description="Signs dashboard session cookies (CXGAP_SECRET_KEY; 32+ random characters).",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for `cxgap invite --send` (CXGAP_SMTP_HOST)."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port (CXGAP_SMTP_PORT).")
    smtp_from: str | None = Field(
        default=None, description="Sender address of invitations (CXGAP_SMTP_FROM)."
    )
    smtp_user: str | None = Field(default=None, description="SMTP login (CXGAP_SMTP_USER).")
    smtp_password: str | None = Field(
        default=None, repr=False, description="SMTP password (CXGAP_SMTP_PASSWORD)."
    )
    smtp_starttls: bool = Field(
        default=False, description="Use STARTTLS on the SMTP connection (CXGAP_SMTP_STARTTLS)."
    )
    redis_url: str | None = Field(
        default=None,
        repr=False,
        description="Redis shared by every worker and server of the web app, for the rate "
        "limits: redis://HOST:6379/0 (CXGAP_REDIS_URL). Without it each process counts alone.",
    )
    survey_miss_limit: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Unknown survey links one client address may try within "
        "survey_miss_window before every survey link answers it 429 (CXGAP_SURVEY_MISS_LIMIT).",
    )
    survey_miss_window: float = Field(
        default=600.0,
        gt=0,
        le=86_400,
        description="Seconds over which unknown survey links are counted "
        "(CXGAP_SURVEY_MISS_WINDOW).",
    )
    login_failure_limit: int = Field(
        default=10,
        ge=1,
        le=100_000,
        description="Wrong passwords one client address may send within "
        "login_failure_window before sign-in answers it 429 (CXGAP_LOGIN_FAILURE_LIMIT).",
    )
    login_failure_window: float = Field(
        default=300.0,
        gt=0,
        le=86_400,
        description="Seconds over which wrong passwords are counted (CXGAP_LOGIN_FAILURE_WINDOW).",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body the web app reads (forms, JSON, uploads), in bytes; "
        "larger ones are refused with 413 (CXGAP_MAX_BODY_BYTES).",
    )
    max_batch_bytes: int = Field(
        default=16_777_216,
        ge=1024,
        description="Largest body of POST /api/v1/events (up to 10,000 events), in bytes "
        "(CXGAP_MAX_BATCH_BYTES).",
    )

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("a Redis URL starting with redis://, rediss:// or unix://")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+pysqlite:", "postgresql")):
            raise ValueError("database URL must start with sqlite:/// or postgresql+psycopg://")
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver cxgap installs; the bare scheme would pick psycopg2.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @classmethod
    def load(
        cls, *, database_url: str | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Build settings from an explicit value, else the environment, else defaults."""
        env = os.environ if environ is None else environ
        url = database_url or env.get(ENV_DATABASE_URL) or DEFAULT_DATABASE_URL
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            # Relative SQLite paths are relative to the working directory; make it explicit.
            rel = url.removeprefix("sqlite:///")
            if rel and rel != ":memory:":
                url = "sqlite:///" + str(Path(rel).resolve())
        fields: dict[str, object] = {
            "database_url": url,
            "base_url": (env.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/"),
            "secret_key": env.get(ENV_SECRET_KEY) or None,
            "redis_url": env.get(ENV_REDIS_URL) or None,
            **_pool_from_env(env),
            **_smtp_from_env(env),
            **{
                name: env[f"CXGAP_{name.upper()}"]
                for name in _PLAIN_ENV
                if env.get(f"CXGAP_{name.upper()}")
            },
        }
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            bad = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
            if bad and "database_url" not in bad:
                names = ", ".join(
                    f"{n}={mask_url(str(fields.get(n))) if n == 'redis_url' else fields.get(n)!r}"
                    for n in bad
                    if n not in ("smtp_password", "secret_key")
                )
                raise ConfigError(f"invalid setting(s) {names}: {exc.errors()[0]['msg']}") from None
            raise ConfigError(
                f"invalid database URL {mask_url(url)!r}: expected sqlite:///PATH "
                "or postgresql+psycopg://USER@HOST/DATABASE"
            ) from None


#: Settings read from ``CXGAP_<NAME>`` as they are (pydantic checks their type and range).
_PLAIN_ENV = (
    "survey_miss_limit",
    "survey_miss_window",
    "login_failure_limit",
    "login_failure_window",
    "max_body_bytes",
    "max_batch_bytes",
)


def _pool_from_env(env: Mapping[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, field in (
        (ENV_DB_POOL_SIZE, "db_pool_size"),
        (ENV_DB_MAX_OVERFLOW, "db_max_overflow"),
    ):
        raw = env.get(name)
        if raw is None:
            continue
        if not raw.strip().isdigit():
            raise ConfigError(f"{name}={raw!r}: expected a whole number of connections")
        out[field] = int(raw)
    raw = env.get(ENV_DB_PRE_PING)
    if raw is not None:
        if raw.strip().lower() not in _TRUE | _FALSE:
            raise ConfigError(f"{ENV_DB_PRE_PING}={raw!r}: expected true or false")
        out["db_pre_ping"] = raw.strip().lower() in _TRUE
    return out


def pool_connections(settings: Settings, processes: int = 1) -> int:
    """The most PostgreSQL connections ``processes`` processes may hold.

    >>> pool_connections(Settings(), processes=4)
    40
    """
    return processes * (settings.db_pool_size + settings.db_max_overflow)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _smtp_from_env(env: Mapping[str, str]) -> dict[str, object]:
    """The ``smtp_*`` settings named in ``CXGAP_SMTP_*`` variables."""
    out: dict[str, object] = {}
    for field in ("host", "port", "from", "user", "password", "starttls"):
        raw = env.get(ENV_SMTP_PREFIX + field.upper())
        if raw is None:
            continue
        name = f"smtp_{field}"
        if field == "starttls":
            if raw.strip().lower() not in _TRUE | _FALSE:
                raise ConfigError(f"{ENV_SMTP_PREFIX}STARTTLS={raw!r}: expected true or false")
            out[name] = raw.strip().lower() in _TRUE
        elif field == "port":
            if not raw.strip().isdigit():
                raise ConfigError(f"{ENV_SMTP_PREFIX}PORT={raw!r}: expected a port number")
            out[name] = int(raw)
        else:
            out[name] = raw
    return out


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # unparseable: mask everything between the scheme and "@"
        head, sep, tail = url.partition("@")
        if not sep:
            return url
        scheme, _, userinfo = head.partition("://")
        user = userinfo.split(":", 1)[0]
        return f"{scheme}://{user}:***@{tail}"
