"""``cxgap serve``: the respondent survey pages and the JSON API under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.text import Text

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, console, settings_from
from cxgap.cli._settings_text import env_var
from cxgap.errors import ConfigError, CxgapError

#: The variables that size each worker's pool of database connections.
_POOL = (env_var("db_pool_size"), env_var("db_max_overflow"))

_HELP = f"""Serve the survey pages (/s/TOKEN), the dashboard (/dashboard) and the
JSON API (/api/v1, docs at /api/docs). Every asset is served by the app
itself: it works offline. Needs {env_var("secret_key")} (32+ random characters)
unless --dev is given. On SIGTERM or Ctrl+C it stops accepting connections,
lets the requests in flight finish, and exits 0."""


@app.command(help=_HELP)
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes (about one per CPU core). Each has its own pool of "
            f"{' + '.join(_POOL)} database connections.",
            min=1,
            max=64,
        ),
    ] = 1,
    shutdown_timeout: Annotated[
        int,
        typer.Option(
            help="On SIGTERM or Ctrl+C, seconds to let requests in flight finish before "
            "they are cancelled.",
            min=0,
        ),
    ] = 30,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help=f"Development mode: without {env_var('secret_key')}, sign sessions with a "
            "random key that lasts until the server stops.",
        ),
    ] = False,
) -> None:
    """``cxgap serve`` (its help, which names settings, is ``_HELP``)."""
    import secrets

    from cxgap.settings import pool_connections
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.web import server
    from cxgap.web.auth import secret_problem

    settings = settings_from(db)
    with Database.open(settings) as database:
        ensure_schema(database, create=False)
        limit = database.connection_limit()
        url = database.url
    problem = secret_problem(settings.secret_key)
    if problem and not dev:
        raise ConfigError(
            f"{problem}: set it to a long random value (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'), or run `cxgap serve --dev` on your own machine"
        )
    wanted = pool_connections(settings, workers)
    if limit is not None and wanted > limit - 5:
        console.print(
            Text.assemble(
                ("Warning", "bold"),
                f": {workers} worker(s) may open {wanted} connections and the server allows "
                f"{limit}: lower {' / '.join(_POOL)} or --workers.",
            )
        )
    # The workers build their app from the environment (one per process).
    os.environ[env_var("database_url")] = settings.database_url
    if problem:
        # One random key for every worker, so a session works whichever one answers.
        os.environ[env_var("secret_key")] = secrets.token_urlsafe(48)
        console.print(
            Text.assemble(("Development mode", "bold"), f": {problem}; sessions end when it stops.")
        )
    loop, http = server.server_stack()
    console.print(
        f"Serving {url} at http://{host}:{port}/ (survey links: /s/TOKEN, "
        f"dashboard: /dashboard, API docs: /api/docs) with {workers} worker(s), "
        f"{loop} and {http}. Press Ctrl+C to stop."
    )
    if not server.run(host=host, port=port, workers=workers, shutdown_timeout=shutdown_timeout):
        raise CxgapError(f"the server did not start on {host}:{port} (see the lines above)")
