"""Dependencies injected into the routes: the one database of the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from cxgap.store.db import Database


def get_db(request: Request) -> Database:
    """The :class:`Database` opened by the app's lifespan."""
    db: Database = request.app.state.db
    return db


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


DbDep = Annotated[Database, Depends(get_db)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
