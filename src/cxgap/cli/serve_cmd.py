"""``cxgap serve``: the respondent survey pages and the JSON API under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, console, settings_from
from cxgap.errors import ConfigError
from cxgap.store.db import Database
from cxgap.store.migrate import ensure_schema


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development mode: without CXGAP_SECRET_KEY, sign sessions with a random "
            "key that lasts until the server stops.",
        ),
    ] = False,
) -> None:
    """Serve the survey pages (/s/TOKEN), the dashboard (/dashboard) and the
    JSON API (/api/v1, docs at /api/docs). Every asset is served by the app
    itself: it works offline. Needs CXGAP_SECRET_KEY (32+ random characters)
    unless --dev is given."""
    import uvicorn

    from cxgap.web import create_app
    from cxgap.web.auth import secret_problem

    settings = settings_from(db)
    with Database.open(settings) as database:
        ensure_schema(database, create=False)
        problem = secret_problem(settings.secret_key)
        if problem and not dev:
            raise ConfigError(
                f"{problem}: set it to a long random value (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'), or run `cxgap serve --dev` on your own machine"
            )
        if problem:
            console.print(
                Text.assemble(
                    ("Development mode", "bold"), f": {problem}; sessions end when it stops."
                )
            )
        console.print(
            f"Serving {database.url} at http://{host}:{port}/ (survey links: /s/TOKEN, "
            f"dashboard: /dashboard, API docs: /api/docs). Press Ctrl+C to stop."
        )
        # No access log: respondent links carry their token in the path, and
        # tokens are never written to logs (docs/SECURITY.md).
        uvicorn.run(
            create_app(settings, database=database),
            host=host,
            port=port,
            log_level="info",
            access_log=False,
        )
