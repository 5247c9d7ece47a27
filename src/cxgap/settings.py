"""Settings, declared once, typed and validated, passed explicitly.

Each setting is declared once, as a field of :class:`Settings`: its type,
default, bounds and help (``description``), and in ``json_schema_extra`` the
environment variable it is read from (``env``) and, where its type does not
say it, what its value must look like (``expected``). Everything else is
derived from that declaration: reading the environment (:meth:`Settings.load`),
the messages that name a variable (:func:`env_var`), the help of the CLI
options that override a setting (:func:`option_help`) and docs/SETTINGS.md
(``cxgap.docs_gen``).

There are no module-level engines or globals: a :class:`Settings` object is
built by the CLI or the web app at start-up and handed to what needs it.
"""

from __future__ import annotations

import os
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from cxgap.errors import ConfigError


class Settings(BaseModel):
    """Runtime settings of one cxgap process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = Field(
        default="sqlite:///cxgap.db",
        description="Database URL. A relative SQLite path is taken from the working "
        "directory; postgresql:// means postgresql+psycopg:// (psycopg 3).",
        json_schema_extra={
            "env": "CXGAP_DATABASE_URL",
            "expected": "sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE",
        },
    )
    echo_sql: bool = Field(default=False, description="Log every SQL statement (debugging).")
    db_pool_size: int = Field(
        default=10,
        ge=1,
        le=200,
        description="PostgreSQL connections each process keeps open; "
        "`cxgap serve --workers N` has N such processes.",
        json_schema_extra={
            "env": "CXGAP_DB_POOL_SIZE",
            "expected": "a whole number of connections",
        },
    )
    db_max_overflow: int = Field(
        default=0,
        ge=0,
        le=200,
        description="Further PostgreSQL connections a process may open under load and closes "
        "again after each use. Under sustained load they are opened and closed for every "
        "request, each one a new PostgreSQL backend: more requests wait for a pooled "
        "connection instead when it is 0.",
        json_schema_extra={
            "env": "CXGAP_DB_MAX_OVERFLOW",
            "expected": "a whole number of connections",
        },
    )
    db_pre_ping: bool = Field(
        default=True,
        description="Test each PostgreSQL connection with a round trip before use, so a "
        "connection dropped by a server restart is replaced unseen. False saves that round "
        "trip on every request, and the first request after a restart fails instead.",
        json_schema_extra={"env": "CXGAP_DB_PRE_PING"},
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address of `cxgap serve`, used in survey links.",
        json_schema_extra={"env": "CXGAP_BASE_URL"},
    )
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description="Signs dashboard session cookies: 32+ random characters. `cxgap serve` "
        "refuses to start without a secure one unless `--dev` is given.",
        json_schema_extra={"env": "CXGAP_SECRET_KEY"},
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server that e-mails invitations (`cxgap invite --send`, "
        "`cxgap invite remind`, the dashboard), case notifications and the "
        "close-the-loop e-mail to a customer (docs/CASES.md); needed to send.",
        json_schema_extra={"env": "CXGAP_SMTP_HOST"},
    )
    smtp_port: int = Field(
        default=25,
        ge=1,
        le=65535,
        description="SMTP port.",
        json_schema_extra={"env": "CXGAP_SMTP_PORT", "expected": "a port number"},
    )
    smtp_from: str | None = Field(
        default=None,
        description="Sender address of invitations; needed to send.",
        json_schema_extra={"env": "CXGAP_SMTP_FROM"},
    )
    smtp_user: str | None = Field(
        default=None,
        description="SMTP login, if the server needs one.",
        json_schema_extra={"env": "CXGAP_SMTP_USER"},
    )
    smtp_password: str | None = Field(
        default=None,
        repr=False,
        description="SMTP password.",
        json_schema_extra={"env": "CXGAP_SMTP_PASSWORD"},
    )
    smtp_starttls: bool = Field(
        default=False,
        description="Use STARTTLS on the SMTP connection.",
        json_schema_extra={"env": "CXGAP_SMTP_STARTTLS"},
    )
    redis_url: str | None = Field(
        default=None,
        repr=False,
        description="Redis shared by every worker and server of the web app, for the rate "
        "limits, such as redis://HOST:6379/0 (install `cxgap[redis]`). Without it each "
        "process counts alone.",
        json_schema_extra={
            "env": "CXGAP_REDIS_URL",
            "expected": "a Redis URL starting with redis://, rediss:// or unix://",
        },
    )
    survey_miss_limit: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Unknown survey links one client address may try within "
        "CXGAP_SURVEY_MISS_WINDOW seconds before every survey link answers it 429.",
        json_schema_extra={"env": "CXGAP_SURVEY_MISS_LIMIT"},
    )
    survey_miss_window: float = Field(
        default=600.0,
        gt=0,
        le=86_400,
        description="Seconds over which unknown survey links are counted.",
        json_schema_extra={"env": "CXGAP_SURVEY_MISS_WINDOW", "expected": "a number of seconds"},
    )
    login_failure_limit: int = Field(
        default=10,
        ge=1,
        le=100_000,
        description="Wrong passwords one client address may send within "
        "CXGAP_LOGIN_FAILURE_WINDOW seconds before sign-in answers it 429.",
        json_schema_extra={"env": "CXGAP_LOGIN_FAILURE_LIMIT"},
    )
    login_failure_window: float = Field(
        default=300.0,
        gt=0,
        le=86_400,
        description="Seconds over which wrong passwords are counted.",
        json_schema_extra={"env": "CXGAP_LOGIN_FAILURE_WINDOW", "expected": "a number of seconds"},
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body the web app reads (forms, JSON, uploads), in bytes; "
        "larger ones are refused with 413.",
        json_schema_extra={"env": "CXGAP_MAX_BODY_BYTES", "expected": "a whole number of bytes"},
    )
    max_batch_bytes: int = Field(
        default=16_777_216,
        ge=1024,
        description="Largest body of POST /api/v1/events (up to 10,000 events) and of a survey "
        "export uploaded on the dashboard's import page, in bytes.",
        json_schema_extra={"env": "CXGAP_MAX_BATCH_BYTES", "expected": "a whole number of bytes"},
    )

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"expected {setting('redis_url').expected}")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+pysqlite:", "postgresql")):
            raise ValueError(f"expected {setting('database_url').expected}")
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver cxgap installs; the bare scheme would pick psycopg2.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        # Links are built as base_url + "/s/TOKEN".
        return value.rstrip("/")

    @classmethod
    def load(
        cls, *, database_url: str | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Build settings from an explicit value, else the environment, else defaults.

        Every declared setting with an ``env`` is read from that variable; an
        unset or empty one keeps its default (an empty true/false one is false).
        A bad value is a :class:`ConfigError` naming the variable and what it
        expects.
        """
        values = _from_environment(os.environ if environ is None else environ)
        url = database_url or str(values.get("database_url", DEFAULT_DATABASE_URL))
        values["database_url"] = _absolute_sqlite(url)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(_invalid(exc, values)) from None


# --- the declaration, as the loader, the CLI and the docs read it ------------------------


@dataclass(frozen=True)
class Setting:
    """One setting as declared on :class:`Settings`.

    >>> port = setting("smtp_port")
    >>> (port.env, port.kind.__name__, port.default, port.expected)
    ('CXGAP_SMTP_PORT', 'int', 25, 'a port number from 1 to 65535')
    """

    name: str
    #: The environment variable it is read from (``None``: set in code only).
    env: str | None
    #: ``bool``, ``int``, ``float`` or ``str`` (an optional setting's type without ``None``).
    kind: type
    default: object
    help: str
    #: What a value must be, bounds included, as messages and docs/SETTINGS.md say it.
    expected: str
    #: Kept out of ``repr`` and messages (``repr=False`` on the field).
    secret: bool


#: How a value of each type is described when the declaration does not say.
_EXPECTED = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


@cache
def declared_settings() -> tuple[Setting, ...]:
    """Every setting, in the order :class:`Settings` declares them."""
    out = []
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        kind = _value_type(field.annotation)
        out.append(
            Setting(
                name=name,
                env=str(extra["env"]) if "env" in extra else None,
                kind=kind,
                default=field.default,
                help=field.description or "",
                expected=_with_bounds(
                    str(extra.get("expected") or _EXPECTED[kind]), field.metadata
                ),
                secret=not field.repr,
            )
        )
    return tuple(out)


def setting(name: str) -> Setting:
    """The declaration of setting ``name`` (a ``KeyError`` for an unknown one)."""
    return _by_name()[name]


@cache
def _by_name() -> dict[str, Setting]:
    return {s.name: s for s in declared_settings()}


def env_var(name: str) -> str:
    """The environment variable setting ``name`` is read from.

    >>> env_var("secret_key")
    'CXGAP_SECRET_KEY'
    """
    env = setting(name).env
    if env is None:
        raise KeyError(f"setting {name} is not read from the environment")
    return env


def option_help(name: str) -> str:
    """Help of a CLI option that overrides setting ``name`` for one command: the
    first sentence of its help, then where its default comes from.

    >>> option_help("database_url")
    'Database URL (default: $CXGAP_DATABASE_URL or sqlite:///cxgap.db).'
    """
    s = setting(name)
    summary = s.help.split(". ", 1)[0].rstrip(".")
    return f"{summary} (default: ${env_var(name)} or {show_value(s.default)})."


def show_value(value: object) -> str:
    """A default or a value as the docs and messages write it.

    >>> [show_value(v) for v in (None, True, 600.0, 1.5, 25, "x")]
    ['none', 'true', '600', '1.5', '25', 'x']
    """
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _value_type(annotation: Any) -> type:
    """``int`` for ``int``, ``str`` for ``str | None``."""
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = (a for a in get_args(annotation) if a is not type(None))
    if not isinstance(annotation, type) or annotation not in _EXPECTED:
        raise TypeError(f"a setting must be bool, int, float or str, not {annotation!r}")
    return annotation


def _with_bounds(phrase: str, metadata: list[Any]) -> str:
    """``phrase`` followed by the field's ``ge``/``gt``/``le``/``lt`` constraints in words.

    >>> from annotated_types import Ge, Gt, Le
    >>> _with_bounds("a whole number", [Ge(1), Le(200)])
    'a whole number from 1 to 200'
    >>> _with_bounds("a number of seconds", [Gt(0), Le(86_400)])
    'a number of seconds, more than 0 and at most 86400'
    >>> _with_bounds("a whole number of bytes", [Ge(1024)])
    'a whole number of bytes, at least 1024'
    """
    found = {k: getattr(m, k) for m in metadata for k in ("ge", "gt", "le", "lt") if hasattr(m, k)}
    if not found:
        return phrase
    if "ge" in found and "le" in found:
        return f"{phrase} from {show_value(found['ge'])} to {show_value(found['le'])}"
    words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    return phrase + ", " + " and ".join(f"{words[k]} {show_value(v)}" for k, v in found.items())


# --- reading the environment --------------------------------------------------------------

#: The words a true/false variable takes, whatever their case; empty is false too.
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def _from_environment(env: Mapping[str, str]) -> dict[str, object]:
    """The value of every declared setting whose variable is set: an empty one
    counts as unset, but for a true/false one, where it is false."""
    values: dict[str, object] = {}
    for s in declared_settings():
        raw = None if s.env is None else env.get(s.env)
        if raw is None or (raw == "" and s.kind is not bool):
            continue
        values[s.name] = _parse(s, raw)
    return values


def _parse(s: Setting, raw: str) -> object:
    """``raw`` as a value of ``s``'s type; its bounds are checked by the model.

    Numbers are read as pydantic reads them (``" 7 "``, ``"5.0"``, ``"1_000"``);
    true/false from :data:`TRUE_WORDS` and :data:`FALSE_WORDS`.
    """
    if s.kind is str:
        return raw
    if s.kind is bool:
        word = raw.strip().lower()
        if word in (*TRUE_WORDS, *FALSE_WORDS, ""):
            return word in TRUE_WORDS
    else:
        try:
            return _adapter(s.kind).validate_python(raw)
        except ValidationError:
            pass  # pydantic's message names no variable: ours below does
    raise ConfigError(f"{s.env}={_shown(s, raw)}: expected {s.expected}")


@cache
def _adapter(kind: type) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def _absolute_sqlite(url: str) -> str:
    """Relative SQLite paths are relative to the working directory; make it explicit."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rel = url.removeprefix("sqlite:///")
        if rel and rel != ":memory:":
            return "sqlite:///" + str(Path(rel).resolve())
    return url


# --- messages -----------------------------------------------------------------------------


def _invalid(exc: ValidationError, values: Mapping[str, object]) -> str:
    """One clause per setting the model refused, each naming its variable."""
    clauses: dict[str, str] = {}
    for error in exc.errors():
        if not error.get("loc"):
            clauses.setdefault("", error["msg"])
            continue
        s = setting(str(error["loc"][0]))
        shown = _shown(s, values.get(s.name))
        if s.name == "database_url":
            # It may come from --db as well as the variable: name the URL, masked.
            clauses[s.name] = f"invalid database URL {shown}: expected {s.expected}"
        else:
            clauses[s.name] = f"invalid setting {s.name}={shown} ({s.env}): expected {s.expected}"
    return "; ".join(clauses.values())


def _shown(s: Setting, value: object) -> str:
    """``value`` of ``s`` as a message may show it: URLs with their password
    masked, other secrets not at all."""
    if isinstance(value, str):
        if "://" in value:
            return repr(mask_url(value))
        return "'***'" if s.secret else repr(value)
    return show_value(value)


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


def pool_connections(settings: Settings, processes: int = 1) -> int:
    """The most PostgreSQL connections ``processes`` processes may hold.

    >>> pool_connections(Settings(), processes=4)
    40
    """
    return processes * (settings.db_pool_size + settings.db_max_overflow)


#: Derived from the declaration, for callers that name them.
DEFAULT_DATABASE_URL = str(Settings.model_fields["database_url"].default)
ENV_DATABASE_URL = env_var("database_url")
