"""The web application: respondent survey pages and the JSON API.

Build it with :func:`create_app`; ``cxgap serve`` runs it under uvicorn.
"""

from cxgap.web.app import RouteInfo, create_app, iter_routes

__all__ = ["RouteInfo", "create_app", "iter_routes"]
