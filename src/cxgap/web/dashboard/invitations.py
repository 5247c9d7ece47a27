"""Invitations and response rates per audience, segment and team.

Owners and analysts create links here with the code of ``cxgap invite``:
personal links from an uploaded contacts file (CSV or XLSX, read and
checked as ``cxgap invite --contacts`` reads it), anonymous ones (one per
person, the answers stored without them: ``--anonymous``), an open link for
a team, and reminders (a fresh link for everyone invited who has not
answered). A link's token exists only in the answer to the form that
created it: the page shows the links once and offers them as a mail-merge
CSV (cells neutralised against formula injection) that the browser saves
from that same page; the database keeps only the tokens' hashes. With an
SMTP server configured, the links can be e-mailed at once.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from cxgap.errors import InputError, Problem
from cxgap.invite.contacts import MAX_UPLOAD_BYTES, read_contacts_upload, upload_name
from cxgap.invite.links import links_csv
from cxgap.invite.mail import MailError, can_send, send_links
from cxgap.report.data import labels_of
from cxgap.store.db import Database
from cxgap.store.invitations import (
    PROTECTED,
    IssuedLink,
    create_anonymous_link,
    create_invitations,
    reissue_unanswered,
    response_status,
)
from cxgap.store.studies import load_study
from cxgap.store.users import User
from cxgap.study.model import AUDIENCES
from cxgap.web.auth import CurrentUser, FormUser
from cxgap.web.dashboard._common import (
    StudyRef,
    choice,
    page,
    problem_text,
    require_editor,
    study_of,
)
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Key = Annotated[str, Form(max_length=200)]
Flag = Annotated[str, Form(max_length=10)]
WHAT = "create survey links"


def _base(slug: str) -> str:
    return f"/dashboard/studies/{slug}/responses"


def _responses_page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    wave: str | None = None,
    form: str | None = None,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> Response:
    study = load_study(db, ref.slug)
    chosen = choice(wave, study.wave_keys(), "wave")
    settings = request.app.state.settings
    return page(
        request,
        templates,
        "responses.html",
        user,
        {
            "title": f"{ref.name}: responses",
            "ref": ref,
            "study": study,
            "status": response_status(db, ref.slug, wave=chosen),
            "waves": study.wave_keys(),
            "wave": chosen,
            "labels": labels_of(study),
            "audiences": AUDIENCES,
            "protected": PROTECTED,
            "can_edit": user.can_edit(ref.organisation_id),
            "can_send": can_send(settings),
            "base_url": settings.base_url,
            "max_mb": MAX_UPLOAD_BYTES // 2**20,
            "form": form,
            "values": values or {},
            "errors": errors or [],
            "tab": "responses",
        },
    )


@router.get("/dashboard/studies/{slug}/responses", response_class=HTMLResponse)
def responses_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    wave: str | None = None,
) -> Response:
    """Response rates per audience (small teams suppressed); owners and
    analysts create links here."""
    ref = study_of(db, user, slug)
    return _responses_page(request, db, templates, user, ref, wave=wave)


def _links_page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    kind: str,
    links: list[IssuedLink],
    wave: str,
    audience: str | None = None,
    skipped: int = 0,
    send: bool = False,
    reminder: bool = False,
) -> Response:
    """The links just created, shown once, with their mail-merge file."""
    settings = request.app.state.settings
    study = load_study(db, ref.slug)
    sent, mail_error = 0, None
    if send and links:
        try:
            sent = send_links(settings, db, links, study_name=study.name, reminder=reminder)
        except MailError as exc:
            mail_error = str(exc)
    text = links_csv(links, settings.base_url)
    # A BOM, so that spreadsheet programs read the accents right.
    data = base64.b64encode(("\ufeff" + text).encode("utf-8")).decode("ascii")
    name = "-".join(x for x in (ref.slug, wave, audience or kind, "links") if x) + ".csv"
    return page(
        request,
        templates,
        "links.html",
        user,
        {
            "title": f"{ref.name}: new links",
            "ref": ref,
            "kind": kind,
            "links": links,
            "base_url": settings.base_url,
            "wave": wave,
            "audience": audience,
            "skipped": skipped,
            "sent": sent,
            "send": send,
            "mail_error": mail_error,
            "csv_href": f"data:text/csv;charset=utf-8;base64,{data}",
            "csv_name": name,
            "labels": labels_of(study),
            "tab": "responses",
        },
    )


@router.post("/dashboard/studies/{slug}/responses/invitations")
def invite_contacts(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    audience: Key = "",
    wave: Key = "",
    send: Flag = "",
    anonymous: Flag = "",
    contacts: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """One link per contact of the uploaded file (``cxgap invite``), their
    answers stored without them when ``anonymous`` is ticked."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, WHAT)
    values = {"audience": audience, "wave": wave, "send": send, "anonymous": anonymous}
    try:
        if contacts is None or not contacts.filename:
            raise InputError([Problem("contacts", None, None, None, "a contacts file")])
        data = contacts.file.read(MAX_UPLOAD_BYTES + 1)
        people = read_contacts_upload(data, contacts.filename)
        batch = create_invitations(
            db,
            slug,
            audience=audience,
            wave=wave,
            contacts=people,
            file=upload_name(contacts.filename),
            anonymous=bool(anonymous),
        )
    except InputError as exc:
        errors = [problem_line(p) for p in exc.problems[:50]]
        if len(exc.problems) > 50:
            errors.append(f"… and {len(exc.problems) - 50} more problems.")
        return _responses_page(
            request, db, templates, user, ref, form="invite", values=values, errors=errors
        )
    return _links_page(
        request,
        db,
        templates,
        user,
        ref,
        kind="invitations",
        links=batch.links,
        wave=wave,
        audience=audience,
        skipped=len(batch.skipped),
        send=bool(send),
    )


def problem_line(p: Problem) -> str:
    """One problem of a contacts file, naming its row and column."""
    where = ", ".join(
        x
        for x in (
            p.file,
            f"row {p.row}" if p.row is not None else "",
            f"column {p.column!r}" if p.column else "",
        )
        if x
    )
    return f"{where}: {problem_text(p)}"


@router.post("/dashboard/studies/{slug}/responses/anonymous")
def anonymous_link(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    audience: Key = "staff",
    wave: Key = "",
    team: Key = "",
) -> Response:
    """One open link shared by a whole team (``cxgap invite anonymous``)."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, WHAT)
    try:
        link = create_anonymous_link(db, slug, wave=wave, team=team, audience=audience)
    except InputError as exc:
        values = {"audience": audience, "wave": wave, "team": team}
        errors = [problem_line(p) for p in exc.problems]
        return _responses_page(
            request, db, templates, user, ref, form="anonymous", values=values, errors=errors
        )
    return _links_page(
        request, db, templates, user, ref, kind="open", links=[link], wave=wave, audience=team
    )


@router.post("/dashboard/studies/{slug}/responses/reminders")
def reminders(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    wave: Key = "",
    send: Flag = "",
) -> Response:
    """A fresh link for everyone invited who has not answered ``wave``
    (``cxgap invite remind``; earlier links keep working)."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, WHAT)
    chosen = choice(wave, load_study(db, slug).wave_keys(), "wave")
    if chosen is None:
        errors = ["Expected the wave to remind about."]
        return _responses_page(request, db, templates, user, ref, form="remind", errors=errors)
    links = reissue_unanswered(db, slug, wave=chosen)
    return _links_page(
        request,
        db,
        templates,
        user,
        ref,
        kind="reminders",
        links=links,
        wave=chosen,
        audience="reminders",
        send=bool(send),
        reminder=True,
    )
