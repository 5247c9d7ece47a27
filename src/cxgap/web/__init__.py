"""The web application: respondent survey pages and the JSON API.

Build it with :func:`create_app`; ``cxgap serve`` runs it under uvicorn.
"""

from cxgap.web.app import create_app

__all__ = ["create_app"]
