"""Sending survey links by e-mail over SMTP, with the settings of the config.

One connection sends every message; a failure names the recipient and the
SMTP server and stops, so the caller can record which links went out.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from cxgap.errors import ConfigError, CxgapError
from cxgap.settings import Settings, env_var
from cxgap.store.db import Database
from cxgap.store.invitations import IssuedLink, mark_sent

TIMEOUT_S = 30
_ANONYMOUS_NOTE = (
    "\nYour answers are stored without your name, e-mail address or this link: "
    "only your team is kept with them. The link only makes sure that each "
    "colleague answers once.\n"
)


class MailError(CxgapError):
    """The SMTP server refused a message or could not be reached.

    ``temporary`` is true where trying again later may succeed: the server
    could not be reached, dropped the connection, timed out or answered with
    a 4xx code; a 5xx refusal (unknown recipient, bad login) is permanent.
    """

    def __init__(self, message: str, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send e-mail: the SMTP part of :class:`Settings`.

    ``sender`` is the ``From`` address; messages that carry their own
    ``From`` header can be sent without one.
    """

    host: str
    port: int = 25
    sender: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        """The SMTP server of ``settings``; :class:`ConfigError` naming the
        variable to set when there is none."""
        if not settings.smtp_host:
            raise ConfigError(
                f"no SMTP server: set {env_var('smtp_host')} (and {env_var('smtp_from')}) to send"
            )
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )


def _temporary(exc: BaseException) -> bool:
    """Whether an SMTP failure may pass if the message is sent again later."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPException):  # itself an OSError
        return isinstance(exc, smtplib.SMTPServerDisconnected)
    return isinstance(exc, OSError)  # refused, unreachable, timed out


def invitation_message(
    link: IssuedLink, *, sender: str, base_url: str, study_name: str, reminder: bool = False
) -> EmailMessage:
    """The e-mail carrying one person's survey link (plain text); an
    anonymous link's message says how its answers are stored."""
    if link.email is None:
        raise ConfigError("an open link has no recipient: share it with the team instead")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr((link.name or "", link.email))
    subject = f"Your view on {study_name}"
    msg["Subject"] = f"Reminder: {subject}" if reminder else subject
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    greeting = f"Dear {link.name}," if link.name else "Hello,"
    if link.audience == "customer":
        ask = "We would value your honest view of working with us."
    else:
        ask = (
            "We are asking colleagues how they believe our customers experience us. "
            "Please answer as you believe customers would, not as you would like it to be."
        )
    note = _ANONYMOUS_NOTE if link.kind == "anonymous" else ""
    msg.set_content(
        f"{greeting}\n\n{ask}\n\nThe survey takes about ten minutes; you can stop and "
        f"come back to it from the same link:\n\n{link.url(base_url)}\n\n"
        f"This link is personal: please do not forward it.\n{note}"
    )
    return msg


def send_messages(
    settings: Settings | SmtpConfig,
    messages: Sequence[EmailMessage],
    *,
    on_sent: Callable[[int], None] | None = None,
    timeout: float = TIMEOUT_S,
) -> int:
    """Send ``messages`` through the SMTP server of ``settings``; return how many.

    ``on_sent(i)`` is called after message ``i`` was accepted, so a caller can
    record progress even if a later message fails (:class:`MailError`).
    """
    config = settings if isinstance(settings, SmtpConfig) else SmtpConfig.from_settings(settings)
    where = f"{config.host}:{config.port}"
    sent = 0
    try:
        with smtplib.SMTP(config.host, config.port, timeout=timeout) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                smtp.login(config.user, config.password or "")
            for i, msg in enumerate(messages):
                try:
                    smtp.send_message(msg)
                except smtplib.SMTPException as exc:
                    raise MailError(
                        f"SMTP server {where} refused the message to {msg['To']}: {exc}",
                        temporary=_temporary(exc),
                    ) from None
                sent += 1
                if on_sent:
                    on_sent(i)
    except (OSError, smtplib.SMTPException) as exc:
        if isinstance(exc, MailError):
            raise
        reason = str(exc)
        if not isinstance(exc, smtplib.SMTPException) and exc.strerror:
            reason = exc.strerror.lower()  # "connection refused", not "[Errno 111] ..."
        raise MailError(
            f"cannot send through SMTP server {where}: {reason}", temporary=_temporary(exc)
        ) from None
    return sent


def can_send(settings: Settings) -> bool:
    """Whether ``settings`` name an SMTP server and a sender address."""
    return bool(settings.smtp_host and settings.smtp_from)


def send_links(
    settings: Settings,
    db: Database,
    links: Sequence[IssuedLink],
    *,
    study_name: str,
    reminder: bool = False,
    on_sent: Callable[[int], None] | None = None,
) -> int:
    """E-mail each personal link and record which went out (even when a
    later message fails, :class:`MailError`); return how many were sent."""
    if not settings.smtp_from:
        raise ConfigError(f"no sender address: set {env_var('smtp_from')} to send invitations")
    personal = [link for link in links if link.email]
    messages = [
        invitation_message(
            link,
            sender=settings.smtp_from,
            base_url=settings.base_url,
            study_name=study_name,
            reminder=reminder,
        )
        for link in personal
    ]
    sent_ids: list[int] = []

    def done(i: int) -> None:
        sent_ids.append(personal[i].invitation_id)
        if on_sent:
            on_sent(i)

    try:
        send_messages(settings, messages, on_sent=done)
    finally:
        mark_sent(db, sent_ids)
    return len(sent_ids)


__all__ = [
    "MailError",
    "SmtpConfig",
    "can_send",
    "invitation_message",
    "send_links",
    "send_messages",
]
