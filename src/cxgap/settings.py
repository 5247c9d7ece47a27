"""Settings, declared once, typed and validated, passed explicitly.

There are no module-level engines or globals: a :class:`Settings` object is
built by the CLI or the web app at start-up and handed to what needs it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cxgap.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///cxgap.db"
ENV_DATABASE_URL = "CXGAP_DATABASE_URL"


class Settings(BaseModel):
    """Runtime settings of one cxgap process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path (default ./cxgap.db) or postgresql+psycopg://...",
    )
    echo_sql: bool = Field(default=False, description="Log every SQL statement (debugging).")

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
        try:
            return cls(database_url=url)
        except ValueError:
            raise ConfigError(
                f"invalid database URL {mask_url(url)!r}: expected sqlite:///PATH "
                "or postgresql+psycopg://USER@HOST/DATABASE"
            ) from None


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
