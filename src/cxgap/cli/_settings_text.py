"""What the CLI's options and help texts say about settings, as plain text.

Importing :mod:`cxgap.settings` builds pydantic's ``Settings`` model (about
0.1 s, a third of ``cxgap --help``), and the CLI needs only a few names and
one help line from it before a command runs. They are written out here;
commands build :class:`~cxgap.settings.Settings` when they run
(:func:`cxgap.cli._common.settings_from`). tests/test_startup.py checks every
value against the declaration in :mod:`cxgap.settings`, so it stays the one
source of truth.
"""

from __future__ import annotations

#: The environment variable of each setting the CLI's help names
#: (``cxgap.settings.env_var(name)``).
ENV_VARS = {
    "database_url": "CXGAP_DATABASE_URL",
    "db_pool_size": "CXGAP_DB_POOL_SIZE",
    "db_max_overflow": "CXGAP_DB_MAX_OVERFLOW",
    "secret_key": "CXGAP_SECRET_KEY",
}

#: Help of ``--db`` (``cxgap.settings.option_help("database_url")``).
DB_OPTION_HELP = "Database URL (default: $CXGAP_DATABASE_URL or sqlite:///cxgap.db)."


def env_var(name: str) -> str:
    """The environment variable setting ``name`` is read from, as
    :func:`cxgap.settings.env_var` gives it (only for :data:`ENV_VARS`).

    >>> env_var("secret_key")
    'CXGAP_SECRET_KEY'
    """
    return ENV_VARS[name]
