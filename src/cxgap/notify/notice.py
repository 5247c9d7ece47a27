"""What a notification says (:class:`Notice`), where it goes (:class:`Channel`)
and what happened when it was sent (:class:`Attempt`, :class:`DeliveryResult`).

Plain frozen values with no database: the cases layer stores them in its
outbox; :mod:`cxgap.notify.channels` formats and delivers them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from cxgap.notify.webhook import where

__all__ = ["CHANNEL_KINDS", "NOTICE_KINDS", "Attempt", "Channel", "DeliveryResult", "Notice"]

ChannelKind = Literal["email", "slack", "teams", "webhook", "folder"]
CHANNEL_KINDS: tuple[ChannelKind, ...] = ("email", "slack", "teams", "webhook", "folder")
NOTICE_KINDS = ("case_opened", "case_overdue", "alert", "digest")


@dataclass(frozen=True)
class Notice:
    """One thing to tell someone.

    ``subject`` is one line (``Case #12 opened: Acme Corp — detractor
    (LTR 3)``), ``text`` a plain-text body of a few lines, ``url`` the link
    to the case page (absolute, from the base URL of the settings: Slack and
    Teams messages leave out a link that is not http(s)), ``fields`` short
    labelled facts in order (``Account``, ``Priority``, ``Due``) and
    ``kind`` one of :data:`NOTICE_KINDS`.
    """

    subject: str
    text: str
    url: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    kind: str = "alert"

    def to_json_dict(self) -> dict[str, Any]:
        """The notice as JSON-ready values."""
        return {
            "kind": self.kind,
            "subject": self.subject,
            "text": self.text,
            "url": self.url,
            "fields": dict(self.fields),
        }


@dataclass(frozen=True)
class Channel:
    """Where a notice goes: an e-mail address, or the URL of a Slack or Teams
    incoming webhook or of a generic webhook (signed with ``secret``, the
    HMAC key, when one is given). Build one from user input with
    :func:`cxgap.notify.channels.validate_channel`."""

    kind: ChannelKind
    target: str
    secret: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """The channel for a log line or a page, without the secret parts of
        a webhook URL (its path is the token of Slack and Teams)."""
        if self.kind == "email":
            return f"e-mail to {self.target}"
        if self.kind == "folder":
            return f"e-mail files in {self.target}"
        return f"{self.kind} webhook at {where(self.target)}"


@dataclass(frozen=True)
class Attempt:
    """One try at delivering: when, whether it got through, the HTTP status
    (``None`` for e-mail or when no answer came) and why it failed."""

    at: datetime
    ok: bool
    status: int | None
    error: str | None

    def to_json_dict(self) -> dict[str, Any]:
        """The attempt as JSON-ready values (``at`` in ISO 8601)."""
        at = self.at.isoformat()
        return {"at": at, "ok": self.ok, "status": self.status, "error": self.error}


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of delivering one notice to one channel: every attempt in
    order and, when it was not delivered, the reason of the last one."""

    channel: Channel
    delivered: bool
    attempts: list[Attempt]
    error: str | None

    def to_json_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values (the channel without its secret)."""
        return {
            "channel": {"kind": self.channel.kind, "target": self.channel.describe()},
            "delivered": self.delivered,
            "attempts": [a.to_json_dict() for a in self.attempts],
            "error": self.error,
        }
