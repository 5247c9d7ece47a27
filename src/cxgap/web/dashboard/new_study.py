"""A new study from a survey export, on the dashboard (issue 16).

The dashboard's door for ``cxgap init SLUG --from FILE --role COLUMN=ROLE``
followed by ``cxgap import responses FILE --study SLUG --wave w1``: an owner
or analyst uploads an export, sees the plan :func:`~cxgap.ingest.infer.infer_study`
infers (the same as the CLI's), gives any column another role its answers
fit (:attr:`~cxgap.ingest.infer.ColumnPlan.choices`), and imports. The import
step posts the file again with the choices (nothing of the upload is kept
between the two steps); the study, its mapping and the responses are
written, and if the import fails the study is deleted again, so a failed
import leaves nothing behind.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any, cast

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from cxgap.errors import CxgapError, InputError, Problem
from cxgap.ingest.formats import read_export
from cxgap.ingest.infer import InferredStudy, infer_study
from cxgap.ingest.responses import ResponsesImport, import_responses
from cxgap.invite.contacts import MAX_UPLOAD_BYTES
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.mappings import save_mapping_text
from cxgap.store.studies import delete_study, save_study
from cxgap.store.users import User
from cxgap.web.auth import CurrentUser, FormUser
from cxgap.web.body_limit import human_bytes
from cxgap.web.dashboard._common import page
from cxgap.web.dashboard.import_page import (
    IMPORT_AUDIENCES,
    error_lines,
    named_problems,
    problems_by_kind,
    saved_export,
)
from cxgap.web.deps import DbDep, TemplatesDep

if TYPE_CHECKING:
    from cxgap.study.model import Audience

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Field = Annotated[str, Form(max_length=200)]
PATH = "/dashboard/import"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _organisations(user: User) -> dict[int, str]:
    """The organisations the user may create a study in (owner or analyst)."""
    return {
        o: name
        for o, name in sorted(user.organisations.items(), key=lambda x: x[1])
        if user.can_edit(o)
    }


def _page(
    request: Request,
    templates: Any,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    inferred: InferredStudy | None = None,
    result: ResponsesImport | None = None,
) -> Response:
    return page(
        request,
        templates,
        "import_new.html",
        user,
        {
            "title": "New study from a survey export",
            "organisations": _organisations(user),
            "audiences": IMPORT_AUDIENCES,
            "values": values or {},
            "errors": errors or [],
            "inferred": inferred,
            "result": result,
            "kinds": problems_by_kind(result.problems) if result else [],
            "max_size": human_bytes(
                min(MAX_UPLOAD_BYTES, request.app.state.settings.max_batch_bytes)
            ),
        },
    )


@router.get(PATH, response_class=HTMLResponse)
def new_study_form(request: Request, templates: TemplatesDep, user: CurrentUser) -> Response:
    """The upload form of a new study from an export (owners and analysts)."""
    return _page(request, templates, user)


def _exists(db: Database, slug: str) -> bool:
    with db.connect() as conn:
        return conn.execute(select(t.study.c.id).where(t.study.c.slug == slug)).first() is not None


def _checked(user: User, db: Database, organisation: str, slug: str, audience: str) -> str:
    """The organisation's name, once the form's fields are checked."""
    problems = []
    orgs = _organisations(user)
    org = orgs.get(int(organisation)) if organisation.isdigit() else None
    if org is None:
        problems.append(
            Problem(
                "Organisation",
                None,
                None,
                organisation or None,
                "an organisation where you are an owner or analyst",
            )
        )
    if not _SLUG.match(slug):
        problems.append(
            Problem(
                "Short name",
                None,
                None,
                slug or None,
                "lower-case letters, digits and hyphens, starting with a letter or digit",
            )
        )
    elif _exists(db, slug):
        problems.append(
            Problem(
                "Short name",
                None,
                None,
                slug,
                "a short name no study has yet (import into that study from its Responses page)",
            )
        )
    if audience not in IMPORT_AUDIENCES:
        problems.append(
            Problem("Who answered", None, None, audience, "one of " + ", ".join(IMPORT_AUDIENCES))
        )
    if problems:
        raise InputError(problems)
    assert org is not None
    return org


@router.post(PATH)
def new_study_import(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    organisation: Field = "",
    slug: Field = "",
    name: Field = "",
    audience: Field = "customer",
    step: Field = "plan",
    skip: Field = "",
    column: Annotated[list[str] | None, Form(max_length=2000)] = None,
    role: Annotated[list[str] | None, Form(max_length=20)] = None,
    export: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """``step=plan``: the inferred plan of the uploaded export, a role select
    per column. ``step=import``: the study made with the chosen roles, and the
    export (posted again) imported into its wave ``w1``."""
    slug = slug.strip().lower()
    values = {
        "organisation": organisation,
        "slug": slug,
        "name": name,
        "audience": audience,
        "skip": skip,
    }
    chosen = dict(zip(column or [], role or [], strict=False))
    inferred: InferredStudy | None = None
    try:
        if not _organisations(user):
            raise InputError(
                [
                    Problem(
                        "Organisation",
                        None,
                        None,
                        None,
                        "an organisation where you are an owner or analyst",
                    )
                ]
            )
        org = _checked(user, db, organisation, slug, audience)
        who = cast("Audience", audience)
        with saved_export(export) as (file_name, path):
            try:
                read = read_export(path)
                inferred = infer_study(
                    read, slug, organisation=org, name=name.strip() or None, audience=who
                )
                inferred = replace(inferred, file=file_name)
                if step == "import":
                    if set(chosen) != {p.column for p in inferred.plan}:
                        raise InputError(
                            [
                                Problem(
                                    file_name,
                                    None,
                                    None,
                                    None,
                                    "the same file as the plan shown (its columns differ: "
                                    "choose the file again and check the plan)",
                                )
                            ]
                        )
                    changed = {c: r for c, r in chosen.items() if r != _role_of(inferred, c)}
                    inferred = infer_study(
                        read,
                        slug,
                        organisation=org,
                        name=name.strip() or None,
                        audience=who,
                        roles=changed,
                    )
                    inferred = replace(inferred, file=file_name)
            except InputError as exc:
                raise named_problems(exc, file_name, path) from None
            if step != "import":
                return _page(request, templates, user, values=values, inferred=inferred)
            result = _create_and_import(db, inferred, path, file_name, who, bool(skip))
    except InputError as exc:
        return _page(
            request, templates, user, values=values, errors=error_lines(exc), inferred=inferred
        )
    return _page(request, templates, user, values=values, inferred=inferred, result=result)


def _role_of(inferred: InferredStudy, column: str) -> str:
    return next(p.role for p in inferred.plan if p.column == column)


def _create_and_import(
    db: Database, inferred: InferredStudy, path: Any, file_name: str, audience: Audience, skip: bool
) -> ResponsesImport:
    """Save the study and its mapping, import the export into wave ``w1``;
    on any failure delete the study again (nothing is left half-made)."""
    slug = inferred.study.slug
    try:
        save_study(db, inferred.study, create_only=True, file=f"study {slug!r}")
    except CxgapError as exc:  # created by someone else since the plan was shown
        raise InputError([Problem("Short name", None, None, slug, str(exc))]) from None
    try:
        save_mapping_text(db, slug, inferred.mapping_yaml(), source=file_name)
        result = import_responses(
            db,
            slug,
            path,
            audience=audience,
            wave=inferred.study.waves[0].key,
            mapping=inferred.mapping,
            skip_invalid=skip,
        )
    except BaseException as exc:
        delete_study(db, slug)
        if isinstance(exc, InputError):
            raise named_problems(exc, file_name, path) from None
        raise
    return result.model_copy(
        update={
            "file": file_name,
            "problems": [
                p.model_copy(update={"file": file_name}) if p.file in (str(path), path.name) else p
                for p in result.problems
            ],
        }
    )
