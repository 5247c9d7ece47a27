"""Import a survey export into a study from the dashboard (issue 16).

Owners and analysts upload an export (CSV, TSV or XLSX, at most
:data:`~cxgap.invite.contacts.MAX_UPLOAD_BYTES`); the page shows the plan
``cxgap init --from`` shows, computed by the same
:func:`~cxgap.ingest.infer.infer_study`, with a select per column to keep
the inferred role or ignore the column. The import step posts the file
again with the choices (nothing of the upload is kept between the two
steps), runs :func:`~cxgap.ingest.responses.import_responses` with the
plan's mapping (ignored columns ``null``) in one transaction, stores that
mapping with the study and shows what was written and the problems by kind.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from cxgap.errors import ConflictError, InputError, Problem
from cxgap.ingest.formats import read_export
from cxgap.ingest.infer import InferredStudy, ignoring, infer_study
from cxgap.ingest.responses import ProblemRecord, ResponsesImport, import_responses
from cxgap.invite.contacts import MAX_UPLOAD_BYTES, UPLOAD_SUFFIXES
from cxgap.store.db import Database
from cxgap.store.mappings import save_mapping_text
from cxgap.store.studies import load_study
from cxgap.store.users import User
from cxgap.web.auth import CurrentUser, FormUser
from cxgap.web.body_limit import human_bytes
from cxgap.web.dashboard._common import (
    StudyRef,
    choice,
    forget_overviews,
    page,
    require_editor,
    study_of,
)
from cxgap.web.dashboard.invitations import problem_line
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["error_lines", "named_problems", "problems_by_kind", "router", "saved_export"]

router = APIRouter(include_in_schema=False)

Key = Annotated[str, Form(max_length=200)]
WHAT = "import survey responses"
#: The audiences an export can be imported as (``cxgap import responses --audience``).
IMPORT_AUDIENCES = ["customer", "staff", "leadership"]
#: The choices of a plan row's select.
KEEP, IGNORE = "keep", "ignore"


def _name(filename: str | None) -> str:
    r"""The uploaded file's name without any folder a browser sent.

    >>> _name("C:\\Users\\me\\export.csv"), _name("")
    ('export.csv', 'export.csv')
    """
    return PurePath((filename or "").replace("\\", "/")).name or "export.csv"


@contextmanager
def saved_export(upload: UploadFile | None) -> Iterator[tuple[str, Path]]:
    """The upload written to a private temporary folder (removed on exit),
    checked as the contacts upload is: a known suffix, not empty, within the
    size limit. Problems name the file as the user called it."""
    if upload is None or not upload.filename:
        raise InputError([Problem("export", None, None, None, "a survey export to upload")])
    name = _name(upload.filename)
    suffix = PurePath(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(
            [Problem(name, None, None, None, "a CSV or XLSX export (.csv, .tsv, .txt or .xlsx)")]
        )
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if not data.strip():
        raise InputError([Problem(name, None, None, None, "a file with a header row and answers")])
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            [Problem(name, None, None, None, f"at most {MAX_UPLOAD_BYTES // 2**20} MB")]
        )
    with tempfile.TemporaryDirectory(prefix="cxgap-import-") as work:
        path = Path(work) / f"export{suffix}"
        path.write_bytes(data)
        yield name, path


def named_problems(exc: InputError, name: str, path: Path) -> InputError:
    """``exc`` with the temporary path replaced by the user's file name."""
    return InputError(
        [replace(p, file=name) if p.file in (str(path), path.name) else p for p in exc.problems]
    )


def _infer(ref: StudyRef, name: str, path: Path, audience: str) -> InferredStudy:
    """The plan of ``cxgap init SLUG --from FILE`` for the uploaded file."""
    try:
        inferred = infer_study(
            read_export(path),
            ref.slug,
            organisation=ref.organisation,
            audience=audience,  # type: ignore[arg-type]
        )
    except InputError as exc:
        raise named_problems(exc, name, path) from None
    return replace(inferred, file=name)


def problems_by_kind(problems: list[ProblemRecord]) -> list[dict[str, Any]]:
    """The problems grouped by what was expected, each kind with its count
    and its first five places (file, row, column)."""
    kinds: dict[str, list[ProblemRecord]] = {}
    for p in problems:
        kinds.setdefault(p.expected, []).append(p)
    out = []
    for expected, items in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        places = [
            ", ".join(
                x
                for x in (
                    p.file,
                    f"row {p.row}" if p.row is not None else "",
                    f"column {p.column!r}" if p.column else "",
                    f"got {p.value!r}" if p.value not in (None, "") else "",
                )
                if x
            )
            for p in items[:5]
        ]
        out.append({"expected": expected, "count": len(items), "places": places})
    return out


def _page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    inferred: InferredStudy | None = None,
    chosen: dict[str, str] | None = None,
    result: ResponsesImport | None = None,
) -> Response:
    study = load_study(db, ref.slug)
    return page(
        request,
        templates,
        "import.html",
        user,
        {
            "title": f"{ref.name}: import a survey export",
            "tab": "responses",
            "ref": ref,
            "study": study,
            "audiences": IMPORT_AUDIENCES,
            "values": values or {},
            "errors": errors or [],
            "inferred": inferred,
            "chosen": chosen or {},
            "result": result,
            "kinds": problems_by_kind(result.problems) if result else [],
            # the route's own bound, or the app's bound on this route's request
            # body (max_batch_bytes, web/app.py) if smaller
            "max_size": human_bytes(
                min(MAX_UPLOAD_BYTES, request.app.state.settings.max_batch_bytes)
            ),
        },
    )


def error_lines(exc: InputError) -> list[str]:
    errors = [problem_line(p) for p in exc.problems[:50]]
    if len(exc.problems) > 50:
        errors.append(f"… and {len(exc.problems) - 50} more problems.")
    return errors


@router.get("/dashboard/studies/{slug}/import", response_class=HTMLResponse)
def import_form(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The upload form of a survey export (owners and analysts)."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, WHAT)
    return _page(request, db, templates, user, ref)


@router.post("/dashboard/studies/{slug}/import")
def import_export(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    audience: Key = "customer",
    wave: Key = "",
    step: Key = "plan",
    skip: Key = "",
    column: Annotated[list[str] | None, Form(max_length=2000)] = None,
    role: Annotated[list[str] | None, Form(max_length=10)] = None,
    export: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """``step=plan``: the inferred plan of the uploaded export. ``step=import``:
    the export (posted again) imported with the plan and the role choices."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, WHAT)
    study = load_study(db, slug)
    values = {"audience": audience, "wave": wave, "skip": skip}
    chosen = dict(zip(column or [], role or [], strict=False))
    inferred: InferredStudy | None = None
    try:
        who = choice(audience, IMPORT_AUDIENCES, "audience")
        when = choice(wave, study.wave_keys(), "wave")
        if who is None or when is None:
            raise InputError(
                [Problem("form", None, None, None, "an audience and a wave of the study")]
            )
        with saved_export(export) as (name, path):
            inferred = _infer(ref, name, path, who)
            if step != "import":
                return _page(request, db, templates, user, ref, values=values, inferred=inferred)
            columns = [p.column for p in inferred.plan]
            if set(chosen) != set(columns):
                raise InputError(
                    [
                        Problem(
                            name,
                            None,
                            None,
                            None,
                            "the same file as the plan shown (its columns differ: "
                            "choose the file again and check the plan)",
                        )
                    ]
                )
            inferred = ignoring(inferred, [c for c, r in chosen.items() if r == IGNORE])
            try:
                result = import_responses(
                    db,
                    slug,
                    path,
                    audience=who,  # type: ignore[arg-type]
                    wave=when,
                    mapping=inferred.mapping,
                    skip_invalid=bool(skip),
                )
            except InputError as exc:
                raise named_problems(exc, name, path) from None
            save_mapping_text(db, slug, inferred.mapping_yaml(), source=name)
            result = result.model_copy(
                update={
                    "file": name,
                    "problems": [
                        p.model_copy(update={"file": name})
                        if p.file in (str(path), path.name)
                        else p
                        for p in result.problems
                    ],
                }
            )
    except InputError as exc:
        return _page(
            request,
            db,
            templates,
            user,
            ref,
            values=values,
            errors=error_lines(exc),
            inferred=inferred,
            chosen=chosen,
        )
    except ConflictError as exc:
        return _page(
            request,
            db,
            templates,
            user,
            ref,
            values=values,
            errors=[str(exc)],
            inferred=inferred,
            chosen=chosen,
        )
    forget_overviews(request, slug)
    return _page(request, db, templates, user, ref, values=values, inferred=inferred, result=result)
