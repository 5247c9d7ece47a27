"""The command line: thin adapters that call one library function each and
format its result. Each command module attaches itself to the root app."""

from __future__ import annotations

# Command modules register their commands on import; keep this list sorted.
from cxgap.cli import (  # noqa: F401  (imported for their side effect)
    actions_cmd,
    analyze_cmd,
    backup_cmd,
    cases_cmd,
    compare_cmd,
    db_cmd,
    demo_cmd,
    drivers_cmd,
    import_cmd,
    ledger_cmd,
    nps_cmd,
    priorities_cmd,
    report_cmd,
    search_cmd,
    sentiment_cmd,
    serve_cmd,
    status_cmd,
    study_cmd,
    themes_cmd,
    tokens_cmd,
    transfer_cmd,
    users_cmd,
)
from cxgap.cli._app import app, lazy_group

# invite_cmd still imports the store (SQLAlchemy) and pandas at its top, so it
# loads only when `cxgap invite` runs. The help line is written here because the
# module is not imported for `cxgap --help`; tests/test_startup.py checks it
# matches the module's own.
lazy_group(
    "invite",
    "cxgap.cli.invite_cmd",
    after="import",
    help="Create survey links, one per person (cxgap invite SLUG ...; --anonymous "
    "stores the answers without the person), open team links, and reminders.",
)


def main() -> None:
    """Entry point of the ``cxgap`` script."""
    app()


__all__ = ["app", "main"]
