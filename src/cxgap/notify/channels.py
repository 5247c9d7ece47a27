"""Telling someone: a :class:`Notice` delivered to a :class:`Channel` (e-mail,
Slack, Microsoft Teams, a signed generic webhook, or e-mail files written to a
folder), retried with backoff,
every attempt recorded. No database: the caller keeps the outbox.

- :func:`validate_channel` turns what a user typed into a :class:`Channel`,
  or a :class:`ChannelError` naming the bad part;
- :func:`payload_for` is what would be sent (the formats are described in
  :mod:`cxgap.notify.payloads`, the signature in :mod:`cxgap.notify.signing`);
- :func:`deliver` sends it and never raises: a failure is a
  :class:`DeliveryResult` with ``delivered`` false and the reason
  (``HTTP 404 Not Found``, ``connection refused``).

Retries: a connection failure, a timeout, a 5xx status, 429 Too Many Requests
and a temporary (4xx) SMTP answer are tried again, up to ``retries`` more
times, after ``backoff``, then twice, four times… as long (or the seconds a
``Retry-After`` header asks, up to :data:`MAX_WAIT_S`). Any other 4xx status
or SMTP refusal fails at once: sending the same thing again cannot help.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from cxgap.errors import CxgapError
from cxgap.invite.mail import MailError, SmtpConfig, send_messages
from cxgap.notify.notice import CHANNEL_KINDS, Attempt, Channel, DeliveryResult, Notice
from cxgap.notify.payloads import (
    digest,
    email_message,
    slack_payload,
    teams_payload,
    webhook_payload,
)
from cxgap.notify.signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    verify_signature,
)
from cxgap.notify.webhook import WebhookError, post_body
from cxgap.settings import env_var

__all__ = [
    "MAX_WAIT_S",
    "Attempt",
    "Channel",
    "ChannelError",
    "DeliveryResult",
    "Notice",
    "SmtpConfig",
    "deliver",
    "digest",
    "payload_for",
    "validate_channel",
    "verify_signature",
]

MAX_WAIT_S = 60.0
MIN_SECRET_CHARS = 16
_EMAIL = re.compile(  # one bare address: local part @ a dotted domain
    r"[^@\s<>(),;:\"\[\]\x00-\x1f\x7f]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
_LABELS = {
    "email": "e-mail",
    "slack": "Slack",
    "teams": "Teams",
    "webhook": "webhook",
    "folder": "folder",
}


class ChannelError(CxgapError):
    """A channel's kind, address, URL or secret is not usable."""


# --- validation ------------------------------------------------------------------


def _validate_url(kind: str, target: str, *, https_only: bool) -> None:
    label = _LABELS[kind]
    if any(c.isspace() for c in target):
        raise ChannelError(f"{label} URL contains a space or line break")
    parts = urllib.parse.urlsplit(target)
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme.lower() not in schemes:
        given = f"{parts.scheme}://" if parts.scheme else "no scheme"
        need = "https://" if https_only else "http:// or https://"
        raise ChannelError(f"{label} URL must start with {need} (it has {given})")
    try:
        port = parts.port
    except ValueError:
        raise ChannelError(f"{label} URL has an invalid port") from None
    if not parts.hostname:
        raise ChannelError(f"{label} URL has no host name (expected {parts.scheme}://HOST/…)")
    if port == 0:
        raise ChannelError(f"{label} URL has an invalid port")
    if parts.username or parts.password:
        raise ChannelError(f"{label} URL must not carry a user name or password")


def validate_channel(kind: str, target: str, *, secret: str | None = None) -> Channel:
    """A :class:`Channel` from user input, or :class:`ChannelError` naming
    the bad part: an unknown kind, a malformed e-mail address, a URL that is
    not http(s) (Slack and Teams: not https), a secret where none belongs or
    one shorter than :data:`MIN_SECRET_CHARS`. A blank secret (an empty
    form field) is no secret.

    Errors never repeat a webhook URL's path: it is the webhook's token.
    """
    kind = kind.strip().lower()
    if kind not in CHANNEL_KINDS:
        raise ChannelError(
            f"unknown channel kind {kind!r}: expected one of {', '.join(CHANNEL_KINDS)}"
        )
    target = target.strip()
    if not target:
        what = {"email": "e-mail address", "folder": "folder path"}.get(
            kind, f"{_LABELS[kind]} URL"
        )
        raise ChannelError(f"no {what} given for the {_LABELS[kind]} channel")
    if kind == "email":
        if len(target) > 254 or not _EMAIL.fullmatch(target):
            raise ChannelError(
                f"not an e-mail address: {target!r} (expected one address such as name@example.com)"
            )
    elif kind == "folder":
        if "\x00" in target:
            raise ChannelError(f"not a folder path: {target!r}")
    else:
        _validate_url(kind, target, https_only=kind in ("slack", "teams"))
    if secret is not None and not secret.strip():
        secret = None
    if secret is not None:
        if kind != "webhook":
            raise ChannelError(
                f"a {_LABELS[kind]} channel takes no secret: only a generic webhook is signed"
            )
        if len(secret.strip()) < MIN_SECRET_CHARS:
            raise ChannelError(
                f"the webhook secret must have at least {MIN_SECRET_CHARS} characters "
                "(use a long random string)"
            )
    return Channel(kind, target, secret)


# --- payloads ---------------------------------------------------------------------


def payload_for(
    channel: Channel, notice: Notice, *, sent_at: datetime | None = None
) -> dict[str, Any] | EmailMessage:
    """What :func:`deliver` sends to ``channel``: an :class:`EmailMessage`
    (without ``From``, which the SMTP settings give) or the JSON of a Slack,
    Teams or generic webhook post."""
    if channel.kind in ("email", "folder"):
        return email_message(notice, to=channel.target)
    if channel.kind == "slack":
        return slack_payload(notice)
    if channel.kind == "teams":
        return teams_payload(notice)
    return webhook_payload(notice, sent_at=sent_at)


# --- delivery -------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


class _Failure(Exception):
    """One failed attempt: its reason, status and whether to try again."""

    def __init__(
        self, reason: str, *, status: int | None, temporary: bool, wait: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.temporary = temporary
        self.wait = wait


def _to_folder(folder: str, notice: Notice) -> Callable[[], int | None]:
    """One attempt writing the notice's e-mail as an ``.eml`` file into
    ``folder`` (a drop folder a mail client opens, or a pickup directory a
    mail server sends from): written to a temporary name and renamed, so a
    reader never sees half a message."""
    msg = email_message(notice, to="", sender="cxgap@localhost")
    del msg["To"]
    msg["Date"] = format_datetime(_now())

    def write() -> int | None:
        path = Path(folder)
        try:
            path.mkdir(parents=True, exist_ok=True)
            name = f"{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            tmp = path / f".{name}.tmp"
            tmp.write_bytes(bytes(msg))
            os.replace(tmp, path / name)
        except OSError as exc:
            raise _Failure(
                f"cannot write to {folder}: {exc.strerror or exc}", status=None, temporary=False
            ) from None
        return None

    return write


def _sender(
    channel: Channel, notice: Notice, smtp: SmtpConfig | None, timeout: float
) -> Callable[[], int | None]:
    """A function making one attempt (returning the HTTP status or ``None``)
    or raising :class:`_Failure`; the payload is built once, so each retry
    sends the same bytes."""
    if channel.kind == "email":
        if smtp is None:
            raise _Failure(
                f"no SMTP server configured: set {env_var('smtp_host')} and {env_var('smtp_from')}",
                status=None,
                temporary=False,
            )
        if not smtp.sender:
            raise _Failure(
                f"no sender address: set {env_var('smtp_from')}", status=None, temporary=False
            )
        msg = email_message(notice, to=channel.target, sender=smtp.sender)

        def send_mail() -> int | None:
            try:
                send_messages(smtp, [msg], timeout=timeout)
            except MailError as exc:
                raise _Failure(str(exc), status=None, temporary=exc.temporary) from None
            return None

        return send_mail

    if channel.kind == "folder":
        return _to_folder(channel.target, notice)

    sent_at = _now()
    payload = payload_for(channel, notice, sent_at=sent_at)
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"User-Agent": "cxgap-notify"}
    if channel.kind == "webhook":
        headers[TIMESTAMP_HEADER] = str(int(sent_at.timestamp()))
        headers[DELIVERY_HEADER] = uuid.uuid4().hex
        if channel.secret:
            headers[SIGNATURE_HEADER] = sign(body, channel.secret)

    def post() -> int | None:
        try:
            return post_body(channel.target, body, headers=headers, timeout=timeout)
        except WebhookError as exc:
            raise _Failure(
                str(exc), status=exc.status, temporary=exc.temporary, wait=exc.retry_after
            ) from None

    return post


def deliver(
    channel: Channel,
    notice: Notice,
    *,
    smtp: SmtpConfig | None,
    retries: int = 3,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 10.0,
) -> DeliveryResult:
    """Send ``notice`` to ``channel``, trying again on a temporary failure
    (see the module) up to ``retries`` times; never raises.

    ``smtp`` is needed for an e-mail channel (``SmtpConfig.from_settings``).
    Each attempt is recorded with its time, HTTP status and error; the result's
    ``error`` is the reason of the last one when nothing got through.
    """
    attempts: list[Attempt] = []
    try:
        attempt = _sender(channel, notice, smtp, timeout)
    except _Failure as exc:
        return DeliveryResult(channel, False, attempts, exc.reason)
    except Exception as exc:  # never raise from deliver: a bad notice is a failure too
        return DeliveryResult(channel, False, attempts, f"cannot build the message: {exc}")
    tries = max(0, retries) + 1
    for n in range(tries):
        at = _now()
        try:
            status = attempt()
        except _Failure as exc:
            attempts.append(Attempt(at, False, exc.status, exc.reason))
            if not exc.temporary or n + 1 == tries:
                break
            wait = backoff * 2**n if exc.wait is None else max(backoff * 2**n, exc.wait)
            sleep(min(wait, MAX_WAIT_S))
        except Exception as exc:  # a bug below must not escape into a request
            attempts.append(Attempt(at, False, None, f"unexpected error: {exc!r}"))
            break
        else:
            attempts.append(Attempt(at, True, status, None))
            return DeliveryResult(channel, True, attempts, None)
    return DeliveryResult(channel, False, attempts, attempts[-1].error)
