"""A :class:`~cxgap.notify.notice.Notice` in the format each channel expects.

- **Slack** incoming webhook: ``{"text": ..., "blocks": [...]}``, ``text``
  being the fallback shown in notifications and the blocks a header, the
  body as ``section`` blocks in ``mrkdwn``, the fields as a section's
  ``fields`` and the link. Documented at
  https://api.slack.com/messaging/webhooks and
  https://api.slack.com/reference/block-kit/blocks#section (a section's text
  holds at most 3,000 characters, its ``fields`` at most 10 items of 2,000;
  a message at most 50 blocks; ``&``, ``<`` and ``>`` are escaped).
- **Microsoft Teams** incoming webhook (or a Workflows "when a webhook
  request is received" flow): a ``message`` whose one attachment is an
  Adaptive Card, version 1.4, with ``TextBlock`` and ``FactSet`` elements and
  an ``Action.OpenUrl``. Documented at
  https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
  ("Send Adaptive Cards using an Incoming Webhook"; ``Action.Submit`` is not
  supported there, ``Action.OpenUrl`` is).
- **Generic webhook**: ``{"kind", "subject", "text", "url", "fields",
  "sent_at"}`` (:func:`webhook_payload`; signed in
  :mod:`cxgap.notify.signing`).
- **E-mail**: a multipart message, plain text and a simple HTML
  alternative (:func:`email_message`).
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from cxgap.errors import CxgapError
from cxgap.notify.notice import Notice

__all__ = [
    "ADAPTIVE_CARD_VERSION",
    "digest",
    "email_message",
    "slack_payload",
    "teams_payload",
    "webhook_payload",
]

ADAPTIVE_CARD_VERSION = "1.4"
_ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
_SLACK_SECTION_TEXT = 3000
_SLACK_FIELDS = 10
_SLACK_FIELD_TEXT = 2000
_SLACK_HEADER_TEXT = 150
_SLACK_BLOCKS = 50
_TEAMS_TEXT_BLOCKS = 60  # lines of the body; a Teams message holds about 28 KB
_LINK_TITLE = "Open in cxgap"

_KIND_LABELS = {
    "case_opened": "Cases opened",
    "case_overdue": "Cases overdue",
    "alert": "Alerts",
    "digest": "Digests",
}


def _one_line(text: str) -> str:
    """``text`` on one line (a subject, a header: never a line break)."""
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_link(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("http://", "https://"))


# --- Slack -------------------------------------------------------------------


def _mrkdwn(text: str) -> str:
    """``text`` escaped for Slack's mrkdwn (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, limit: int) -> list[str]:
    """``text`` cut at line ends into pieces of at most ``limit`` characters."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > limit:  # a single overlong line
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def slack_payload(notice: Notice) -> dict[str, Any]:
    """The Slack incoming-webhook message of ``notice``: fallback ``text``
    and ``blocks`` (header, body sections, fields, link)."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _clip(_one_line(notice.subject), _SLACK_HEADER_TEXT),
                "emoji": False,
            },
        }
    ]
    tail: list[dict[str, Any]] = []
    if notice.fields:
        items = list(notice.fields.items())[:_SLACK_FIELDS]
        tail.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": _clip(f"*{_mrkdwn(k)}*\n{_mrkdwn(v)}", _SLACK_FIELD_TEXT),
                    }
                    for k, v in items
                ],
            }
        )
    if _is_link(notice.url):
        tail.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"<{notice.url}|{_LINK_TITLE}>"},
            }
        )
    room = _SLACK_BLOCKS - len(blocks) - len(tail)
    body = _chunks(_mrkdwn(notice.text), _SLACK_SECTION_TEXT)
    if len(body) > room:
        body = [*body[: room - 1], f"… and {len(body) - room + 1} more part(s), not shown"]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": b}} for b in body]
    return {"text": _mrkdwn(_one_line(notice.subject)), "blocks": blocks + tail}


# --- Microsoft Teams -------------------------------------------------------------


def teams_payload(notice: Notice) -> dict[str, Any]:
    """The Teams incoming-webhook message of ``notice``: one Adaptive Card
    with the subject, the body (a ``TextBlock`` per line), the fields as a
    ``FactSet`` and an ``Action.OpenUrl`` to the link."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _one_line(notice.subject),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    lines = [line for line in notice.text.splitlines() if line.strip()]
    if len(lines) > _TEAMS_TEXT_BLOCKS:
        more = len(lines) - _TEAMS_TEXT_BLOCKS + 1
        lines = [*lines[: _TEAMS_TEXT_BLOCKS - 1], f"… and {more} more lines, not shown"]
    body += [
        {"type": "TextBlock", "text": line, "wrap": True, "spacing": "Small"} for line in lines
    ]
    if notice.fields:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": k, "value": v} for k, v in notice.fields.items()],
            }
        )
    card: dict[str, Any] = {
        "$schema": _ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
    }
    if _is_link(notice.url):
        card["actions"] = [{"type": "Action.OpenUrl", "title": _LINK_TITLE, "url": notice.url}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


# --- generic webhook ---------------------------------------------------------------


def webhook_payload(notice: Notice, *, sent_at: datetime | None = None) -> dict[str, Any]:
    """The generic webhook's JSON: the notice and ``sent_at`` (ISO 8601, UTC)."""
    at = (sent_at or datetime.now(UTC)).astimezone(UTC)
    return {**notice.to_json_dict(), "sent_at": at.isoformat(timespec="seconds")}


# --- e-mail --------------------------------------------------------------------------


def _email_text(notice: Notice) -> str:
    parts = [notice.text.rstrip()]
    if notice.fields:
        width = max(len(k) for k in notice.fields)
        parts.append("\n".join(f"{k + ':':<{width + 1}} {v}" for k, v in notice.fields.items()))
    if notice.url:
        parts.append(f"{_LINK_TITLE}: {notice.url}")
    return "\n\n".join(p for p in parts if p) + "\n"


def _email_html(notice: Notice) -> str:
    e = html.escape
    paragraphs = "".join(
        f"<p>{'<br>'.join(e(line) for line in block.splitlines())}</p>"
        for block in notice.text.split("\n\n")
        if block.strip()
    )
    facts = ""
    if notice.fields:
        rows = "".join(
            f'<tr><th style="text-align:left;padding-right:1em">{e(k)}</th><td>{e(v)}</td></tr>'
            for k, v in notice.fields.items()
        )
        facts = f"<table>{rows}</table>"
    link = ""
    if _is_link(notice.url):
        link = f'<p><a href="{e(str(notice.url))}">{_LINK_TITLE}</a></p>'
    return (
        '<!DOCTYPE html><html><body style="font-family:sans-serif">'
        f"<h2>{e(_one_line(notice.subject))}</h2>{paragraphs}{facts}{link}</body></html>"
    )


def email_message(notice: Notice, *, to: str, sender: str | None = None) -> EmailMessage:
    """The e-mail of ``notice`` to ``to``: plain text with an HTML alternative.

    ``From`` is set when ``sender`` is given (otherwise by the sender).
    """
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = _one_line(notice.subject)
    msg["X-Cxgap-Kind"] = notice.kind
    msg.set_content(_email_text(notice))
    msg.add_alternative(_email_html(notice), subtype="html")
    return msg


# --- digest --------------------------------------------------------------------------


def digest(notices: Sequence[Notice], *, title: str) -> Notice:
    """One notice listing ``notices`` (a daily digest): each one's subject
    and link, with a count of each kind as its fields."""
    if not notices:
        raise CxgapError("a digest needs at least one notice: there is nothing to send")
    lines = []
    for n in notices:
        lines.append(f"• {_one_line(n.subject)}")
        if n.url:
            lines.append(f"  {n.url}")
    counts = Counter(n.kind for n in notices)
    fields = {_KIND_LABELS.get(kind, kind): str(count) for kind, count in counts.items()}
    many = len(notices)
    return Notice(
        subject=f"{_one_line(title)}: {many} notice{'s' if many != 1 else ''}",
        text="\n".join(lines),
        url=None,
        fields=fields,
        kind="digest",
    )
