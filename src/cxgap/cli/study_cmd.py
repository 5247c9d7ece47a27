"""Study commands: init, studies list, study export/apply."""

from __future__ import annotations

from cxgap.cli._app import app
from cxgap.cli._common import console


@app.command()
def version() -> None:
    """Print the cxgap version."""
    from cxgap import __version__

    console.print(__version__)
