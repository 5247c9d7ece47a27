"""Closing the loop with the customer: a short personal e-mail from the
case's owner saying what was heard and what was done, sent over SMTP and
recorded in the case's history (Markey, Reichheld & Dullweber 2009: the
"inner loop" ends only when the customer hears back)."""

from __future__ import annotations

from datetime import UTC, datetime

from cxgap.errors import ConfigError, FieldError
from cxgap.invite.mail import SmtpConfig
from cxgap.notify.channels import deliver
from cxgap.notify.notice import Channel, Notice
from cxgap.settings import Settings
from cxgap.store.cases import Case, get_case, record_loop_closed
from cxgap.store.db import Database
from cxgap.store.studies import load_study

__all__ = ["DEFAULT_MESSAGE", "close_the_loop", "loop_letter"]

DEFAULT_MESSAGE = (
    "We have looked into what you told us and taken it up with the team concerned. "
    "If anything is still not right, simply reply to this e-mail: it comes to me."
)


def _first_name(name: str | None) -> str | None:
    if not name or name in ("anonymous", "no contact"):
        return None
    return name.split()[0]


def loop_letter(case: Case, *, supplier: str, sender_name: str, message: str | None) -> Notice:
    """The close-the-loop e-mail of ``case`` (a plain personal letter)."""
    first = _first_name(case.contact)
    greeting = f"Dear {first}," if first else "Hello,"
    heard = case.evidence.get("text")
    quoted = f'\n\nYou wrote: "{str(heard)[:400]}"' if heard else ""
    text = (
        f"{greeting}\n\nThank you for answering our survey on "
        f"{case.opened_at:%d %B %Y}. I wanted you to hear back from me personally.{quoted}"
        f"\n\n{(message or DEFAULT_MESSAGE).strip()}\n\nKind regards,\n{sender_name}\n{supplier}"
    )
    return Notice(
        subject=f"Your feedback to {supplier}: what we did", text=text, kind="close_the_loop"
    )


def close_the_loop(
    db: Database,
    settings: Settings,
    slug: str,
    number: int,
    *,
    author: str,
    message: str | None = None,
    now: datetime | None = None,
) -> Case:
    """E-mail the case's contact and record it; :class:`InputError` when the
    case has no contact e-mail (an anonymous answer, an account rule), a
    :class:`ConfigError` without an SMTP server, and nothing is recorded when
    the server does not take the message."""
    case = get_case(db, slug, number)
    if not case.contact_email:
        raise FieldError(
            "contact",
            f"case #{number} has no contact e-mail ({case.contact}): close the loop "
            "by phone and record it with a note",
        )
    try:
        smtp = SmtpConfig.from_settings(settings)
    except ConfigError as exc:
        raise ConfigError(f"cannot e-mail the customer: {exc}") from None
    study = load_study(db, slug)
    letter = loop_letter(
        case, supplier=study.organisation, sender_name=case.owner or author, message=message
    )
    result = deliver(Channel("email", case.contact_email), letter, smtp=smtp, retries=1)
    if not result.delivered:
        raise FieldError(
            "message",
            f"case #{number}: the e-mail to {case.contact_email} was not sent: {result.error}",
        )
    record_loop_closed(
        db,
        slug,
        number,
        author=author,
        text=f"E-mailed {case.contact} <{case.contact_email}>: {letter.subject}.\n\n{letter.text}",
        now=now or datetime.now(UTC),
    )
    return get_case(db, slug, number)
