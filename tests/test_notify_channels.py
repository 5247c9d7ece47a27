"""Notification channels against real servers on 127.0.0.1: an HTTP receiver
(tests/webhooks.py) for Slack, Teams and the signed generic webhook, and
aiosmtpd (tests/smtpserver.py) for e-mail."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cxgap.errors import ConfigError, CxgapError
from cxgap.notify.channels import (
    Channel,
    ChannelError,
    DeliveryResult,
    Notice,
    SmtpConfig,
    deliver,
    digest,
    payload_for,
    validate_channel,
    verify_signature,
)
from cxgap.notify.signing import sign
from cxgap.settings import Settings
from tests.smtpserver import Inbox, free_port, receive_mail
from tests.webhooks import Webhook

pytest.importorskip("aiosmtpd.controller")

SECRET = "s3cret-key-for-the-test-0123456789"
CASE_URL = "https://cx.acme.test/studies/acme/cases/12"


def case_notice(n: int = 12, account: str = "Acme Corp") -> Notice:
    return Notice(
        subject=f"Case #{n} opened: {account} — detractor (LTR 3)",
        text=f"{account} answered 3 to 'how likely to recommend'.\nReason: support <slow> & late",
        url=f"https://cx.acme.test/studies/acme/cases/{n}",
        fields={"Account": account, "Priority": "high", "Due": "2026-12-09"},
        kind="case_opened",
    )


class Sleeps:
    """Records the waits deliver() asks for instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with receive_mail() as box:
        yield box


def smtp_for(inbox: Inbox) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=inbox.port, sender="cx@acme.test")


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there


# --- validation ------------------------------------------------------------------


def test_valid_channels_are_built_from_user_input() -> None:
    assert validate_channel("email", " kim@acme.test ") == Channel("email", "kim@acme.test")
    slack = validate_channel("Slack", "https://hooks.slack.com/services/T0/B0/XXXX")
    assert slack.kind == "slack"
    assert validate_channel("teams", "https://acme.webhook.office.com/webhookb2/x").kind == "teams"
    hook = validate_channel("webhook", "http://127.0.0.1:8080/in", secret=SECRET)
    assert hook.secret == SECRET
    assert SECRET not in repr(hook)
    assert validate_channel("webhook", "https://x.test/in", secret="  ").secret is None


@pytest.mark.parametrize(
    ("kind", "target", "secret", "message"),
    [
        ("sms", "+44 20", None, "unknown channel kind 'sms': expected one of email, slack"),
        ("email", "kim@", None, "not an e-mail address: 'kim@'"),
        ("email", "Kim <kim@acme.test>", None, "not an e-mail address"),
        ("email", "kim@acme", None, "not an e-mail address"),
        ("email", "kim\x00@acme.test", None, "not an e-mail address"),
        ("email", "   ", None, "no e-mail address given"),
        ("webhook", "ftp://acme.test/in", None, "must start with http:// or https:// (it has ftp"),
        ("webhook", "acme.test/in", None, "must start with http:// or https:// (it has no scheme"),
        ("webhook", "https:///in", None, "has no host name"),
        ("webhook", "https://acme.test:99999/in", None, "invalid port"),
        ("webhook", "https://u:p@acme.test/in", None, "must not carry a user name"),
        ("webhook", "https://acme.test/in", "short", "at least 16 characters"),
        ("slack", "http://hooks.slack.com/services/T0/B0/TOKEN", None, "Slack URL must start"),
        ("teams", "http://acme.webhook.office.com/TOKEN", None, "Teams URL must start with https"),
        ("slack", "https://hooks.slack.com/x", SECRET, "Slack channel takes no secret"),
        ("slack", "https://hooks.slack.com/TOKEN x", None, "contains a space"),
    ],
)
def test_a_bad_channel_is_refused_naming_the_bad_part(
    kind: str, target: str, secret: str | None, message: str
) -> None:
    with pytest.raises(ChannelError, match=re.escape(message)):
        validate_channel(kind, target, secret=secret)


def test_a_refusal_never_repeats_the_token_in_a_webhook_url() -> None:
    with pytest.raises(ChannelError) as caught:
        validate_channel("slack", "http://hooks.slack.com/services/T0/B0/TOKEN")
    assert "TOKEN" not in str(caught.value)
    assert isinstance(caught.value, CxgapError)


# --- payloads ----------------------------------------------------------------------


def test_the_slack_payload_has_a_fallback_text_and_blocks() -> None:
    payload = payload_for(Channel("slack", "https://hooks.slack.com/x"), case_notice())
    assert isinstance(payload, dict)
    assert payload["text"] == "Case #12 opened: Acme Corp — detractor (LTR 3)"
    blocks = payload["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": payload["text"], "emoji": False},
    }
    body = [b for b in blocks if b["type"] == "section" and "text" in b]
    assert body[0]["text"]["type"] == "mrkdwn"
    assert "support &lt;slow&gt; &amp; late" in body[0]["text"]["text"]  # mrkdwn escaped
    fields = next(b["fields"] for b in blocks if "fields" in b)
    assert fields[0] == {"type": "mrkdwn", "text": "*Account*\nAcme Corp"}
    assert body[-1]["text"]["text"] == f"<{CASE_URL}|Open in cxgap>"


def test_the_slack_payload_keeps_to_the_block_kit_limits() -> None:
    long = Notice(
        subject="S" * 400,
        text="\n".join(f"line {i} " + "x" * 200 for i in range(2000)),
        fields={f"F{i}": "v" for i in range(15)},
    )
    payload = payload_for(Channel("slack", "https://hooks.slack.com/x"), long)
    assert isinstance(payload, dict)
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks[1:] if "text" in b)
    assert len(next(b["fields"] for b in blocks if "fields" in b)) == 10
    assert "more part(s), not shown" in blocks[-2]["text"]["text"]


# The part of the Adaptive Card 1.4 schema (adaptivecards.io/explorer) that a
# Teams incoming webhook message built by cxgap uses.
_TEXT_BLOCK = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {
        "type": {"const": "TextBlock"},
        "text": {"type": "string", "minLength": 1},
        "wrap": {"type": "boolean"},
        "weight": {"enum": ["Default", "Lighter", "Bolder"]},
        "size": {"enum": ["Default", "Small", "Medium", "Large", "ExtraLarge"]},
        "spacing": {"enum": ["None", "Small", "Default", "Medium", "Large", "ExtraLarge"]},
    },
    "additionalProperties": False,
}
_FACT_SET = {
    "type": "object",
    "required": ["type", "facts"],
    "properties": {
        "type": {"const": "FactSet"},
        "facts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title", "value"],
                "properties": {"title": {"type": "string"}, "value": {"type": "string"}},
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
TEAMS_MESSAGE = {
    "type": "object",
    "required": ["type", "attachments"],
    "properties": {
        "type": {"const": "message"},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["contentType", "content"],
                "properties": {
                    "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                    "contentUrl": {"type": "null"},
                    "content": {
                        "type": "object",
                        "required": ["type", "version", "body"],
                        "properties": {
                            "$schema": {
                                "const": "http://adaptivecards.io/schemas/adaptive-card.json"
                            },
                            "type": {"const": "AdaptiveCard"},
                            "version": {"const": "1.4"},
                            "body": {"type": "array", "items": {"oneOf": [_TEXT_BLOCK, _FACT_SET]}},
                            "actions": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["type", "url"],
                                    "properties": {
                                        "type": {"const": "Action.OpenUrl"},
                                        "title": {"type": "string"},
                                        "url": {"type": "string", "pattern": "^https?://"},
                                    },
                                    "additionalProperties": False,
                                },
                            },
                        },
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


def test_the_teams_payload_is_an_adaptive_card_message() -> None:
    payload = payload_for(Channel("teams", "https://acme.webhook.office.com/x"), case_notice())
    jsonschema.validate(payload, TEAMS_MESSAGE)
    assert isinstance(payload, dict)
    card = payload["attachments"][0]["content"]
    assert card["body"][0]["text"] == "Case #12 opened: Acme Corp — detractor (LTR 3)"
    assert card["body"][-1]["facts"][1] == {"title": "Priority", "value": "high"}
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in cxgap", "url": CASE_URL}
    ]


def test_the_teams_payload_without_a_link_or_fields_is_still_a_card() -> None:
    payload = payload_for(Channel("teams", "https://x.test/"), Notice("Alert", "Balance low"))
    jsonschema.validate(payload, TEAMS_MESSAGE)
    assert isinstance(payload, dict)
    assert "actions" not in payload["attachments"][0]["content"]


def test_the_generic_webhook_payload_has_the_documented_keys() -> None:
    at = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    payload = payload_for(Channel("webhook", "https://x.test/"), case_notice(), sent_at=at)
    assert payload == {
        "kind": "case_opened",
        "subject": "Case #12 opened: Acme Corp — detractor (LTR 3)",
        "text": case_notice().text,
        "url": CASE_URL,
        "fields": {"Account": "Acme Corp", "Priority": "high", "Due": "2026-12-09"},
        "sent_at": "2026-12-08T09:30:00+00:00",
    }


def test_the_email_is_plain_text_with_an_html_alternative() -> None:
    msg = payload_for(Channel("email", "kim@acme.test"), case_notice())
    assert isinstance(msg, EmailMessage)
    assert msg["To"] == "kim@acme.test" and msg["From"] is None
    text = msg.get_body(("plain",))
    page = msg.get_body(("html",))
    assert text is not None and page is not None
    assert "Priority: high" in text.get_content()
    assert f"Open in cxgap: {CASE_URL}" in text.get_content()
    assert f'<a href="{CASE_URL}">' in page.get_content()
    assert "support &lt;slow&gt; &amp; late" in page.get_content()  # escaped


def test_a_subject_with_line_breaks_stays_one_header_line() -> None:
    notice = Notice("Case #1\r\nBcc: everyone@acme.test", "text")
    msg = payload_for(Channel("email", "kim@acme.test"), notice)
    assert isinstance(msg, EmailMessage)
    assert msg["Subject"] == "Case #1 Bcc: everyone@acme.test" and msg["Bcc"] is None


def test_a_digest_lists_every_notice_and_counts_them_by_kind() -> None:
    overdue = Notice(
        "Case #3 overdue: Beta Ltd", "due yesterday", "https://cx/3", {}, "case_overdue"
    )
    notices = [case_notice(1, "Acme Corp"), case_notice(2, "Gamma plc"), overdue]
    d = digest(notices, title="Daily digest 2026-12-08")
    assert d.kind == "digest"
    assert d.subject == "Daily digest 2026-12-08: 3 notices"
    for n in notices:
        assert n.subject in d.text and str(n.url) in d.text
    assert d.fields == {"Cases opened": "2", "Cases overdue": "1"}
    with pytest.raises(CxgapError, match="at least one notice"):
        digest([], title="Daily digest")


# --- delivery to webhooks ----------------------------------------------------------------


def test_a_notice_is_delivered_to_a_slack_webhook(webhook: Webhook) -> None:
    result = deliver(Channel("slack", webhook.url), case_notice(), smtp=None)
    assert result.delivered and result.error is None
    assert [(a.ok, a.status) for a in result.attempts] == [(True, 204)]
    posted = webhook.received[0]
    assert posted["text"].startswith("Case #12 opened") and posted["blocks"]
    assert webhook.requests[0].headers["Content-Type"] == "application/json"


def test_a_notice_is_delivered_to_a_teams_webhook(webhook: Webhook) -> None:
    result = deliver(Channel("teams", webhook.url), case_notice(), smtp=None)
    assert result.delivered
    jsonschema.validate(webhook.received[0], TEAMS_MESSAGE)


def test_a_generic_webhook_post_is_signed_with_the_secret(webhook: Webhook) -> None:
    result = deliver(Channel("webhook", webhook.url, SECRET), case_notice(), smtp=None)
    assert result.delivered
    req = webhook.requests[0]
    signature = req.headers["X-Cxgap-Signature"]
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_signature(req.body, signature, SECRET)
    assert not verify_signature(req.body, signature, SECRET + "x")
    assert not verify_signature(req.body.replace(b"high", b"low!"), signature, SECRET)
    assert not verify_signature(req.body, signature.removeprefix("sha256="), SECRET)
    assert not verify_signature(req.body, None, SECRET)
    body = json.loads(req.body)
    sent_at = datetime.fromisoformat(body["sent_at"])
    assert int(req.headers["X-Cxgap-Timestamp"]) == int(sent_at.timestamp())
    assert body["subject"] == case_notice().subject and body["kind"] == "case_opened"


def test_a_webhook_without_a_secret_is_posted_unsigned(webhook: Webhook) -> None:
    assert deliver(Channel("webhook", webhook.url), case_notice(), smtp=None).delivered
    assert "X-Cxgap-Signature" not in webhook.requests[0].headers
    assert verify_signature(
        webhook.requests[0].body, sign(webhook.requests[0].body, SECRET), SECRET
    )


def test_a_server_error_is_retried_with_backoff_and_every_attempt_recorded(
    webhook: Webhook,
) -> None:
    webhook.statuses = [500, 503]
    sleeps = Sleeps()
    channel = Channel("webhook", webhook.url, SECRET)
    result = deliver(channel, case_notice(), smtp=None, backoff=0.5, sleep=sleeps)
    assert result.delivered
    assert [(a.ok, a.status) for a in result.attempts] == [(False, 500), (False, 503), (True, 204)]
    assert "HTTP 500 Internal Server Error" in (result.attempts[0].error or "")
    assert sleeps.waits == [0.5, 1.0]
    first, *again = webhook.requests
    assert all(r.body == first.body for r in again)  # the same post, the same signature
    assert {r.headers["X-Cxgap-Delivery"] for r in webhook.requests} == {
        first.headers["X-Cxgap-Delivery"]
    }


def test_a_client_error_fails_at_once_with_the_reason(webhook: Webhook) -> None:
    webhook.status, webhook.reply = 404, b"no_service"
    sleeps = Sleeps()
    result = deliver(Channel("slack", webhook.url), case_notice(), smtp=None, sleep=sleeps)
    assert not result.delivered
    assert len(result.attempts) == 1 and result.attempts[0].status == 404
    assert result.error is not None and "HTTP 404 Not Found: no_service" in result.error
    assert "/hook" not in result.error  # the URL's path (a token) is not repeated
    assert sleeps.waits == []


def test_too_many_requests_is_retried_until_the_retries_run_out(webhook: Webhook) -> None:
    webhook.status = 429
    sleeps = Sleeps()
    result = deliver(
        Channel("teams", webhook.url), case_notice(), smtp=None, retries=2, sleep=sleeps
    )
    assert not result.delivered
    assert [a.status for a in result.attempts] == [429, 429, 429]
    assert "HTTP 429" in (result.error or "")
    assert sleeps.waits == [0.5, 1.0]


def test_a_retry_after_header_is_waited_for(webhook: Webhook) -> None:
    webhook.statuses, webhook.reply_headers = [429], {"Retry-After": "7"}
    sleeps = Sleeps()
    result = deliver(Channel("slack", webhook.url), case_notice(), smtp=None, sleep=sleeps)
    assert result.delivered and [a.status for a in result.attempts] == [429, 204]
    assert sleeps.waits == [7.0]


def test_a_webhook_that_does_not_answer_times_out_and_is_retried() -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        sleeps = Sleeps()
        result = deliver(
            Channel("webhook", url), case_notice(), smtp=None, retries=1, sleep=sleeps, timeout=0.2
        )
    assert not result.delivered and len(result.attempts) == 2
    assert "timed out" in (result.error or "")
    assert sleeps.waits == [0.5]


def test_an_unreachable_webhook_is_retried_then_reported() -> None:
    sleeps = Sleeps()
    result = deliver(
        Channel("webhook", closed_url()), case_notice(), smtp=None, retries=2, sleep=sleeps
    )
    assert not result.delivered
    assert len(result.attempts) == 3
    assert all(a.status is None and not a.ok for a in result.attempts)
    assert result.error is not None and result.error.endswith("connection refused")
    assert sleeps.waits == [0.5, 1.0]


def test_deliver_never_raises_even_for_a_channel_that_was_not_validated() -> None:
    result = deliver(Channel("webhook", "file:///etc/passwd"), case_notice(), smtp=None)
    assert not result.delivered and "not an http(s) URL" in (result.error or "")
    assert len(result.attempts) == 1


def test_a_result_as_json_hides_the_secret_and_the_url_path(webhook: Webhook) -> None:
    result = deliver(Channel("slack", webhook.url + "/T0/TOKEN"), case_notice(), smtp=None)
    data = json.dumps(result.to_json_dict())
    assert "TOKEN" not in data and isinstance(result, DeliveryResult)
    assert result.to_json_dict()["channel"]["target"].startswith(
        "slack webhook at http://127.0.0.1"
    )


# --- delivery by e-mail ----------------------------------------------------------------------


def _only(inbox: Inbox) -> Message:
    assert len(inbox.messages) == 1
    return inbox.messages[0]


def _text_of(msg: Message, subtype: str) -> str:
    for part in msg.walk():
        if part.get_content_type() == f"text/{subtype}":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{subtype} part")


def test_a_notice_arrives_by_email_with_its_subject_and_link(inbox: Inbox) -> None:
    result = deliver(Channel("email", "kim@acme.test"), case_notice(), smtp=smtp_for(inbox))
    assert result.delivered and [a.ok for a in result.attempts] == [True]
    msg = _only(inbox)
    assert (
        str(make_header(decode_header(msg["Subject"])))
        == "Case #12 opened: Acme Corp — detractor (LTR 3)"
    )
    assert msg["From"] == "cx@acme.test" and msg["To"] == "kim@acme.test"
    assert msg.get_content_type() == "multipart/alternative"
    assert CASE_URL in _text_of(msg, "plain")
    assert f'href="{CASE_URL}"' in _text_of(msg, "html")


def test_a_digest_of_three_notices_arrives_by_email_listing_all_three(inbox: Inbox) -> None:
    notices = [case_notice(i, name) for i, name in enumerate(["Acme", "Beta", "Gamma"], 1)]
    d = digest(notices, title="Daily digest")
    assert deliver(Channel("email", "kim@acme.test"), d, smtp=smtp_for(inbox)).delivered
    text = _text_of(_only(inbox), "plain")
    for n in notices:
        assert n.subject in text and str(n.url) in text


def test_a_busy_smtp_server_is_tried_again(inbox: Inbox) -> None:
    inbox.busy = 1  # 451 once
    sleeps = Sleeps()
    result = deliver(
        Channel("email", "kim@acme.test"), case_notice(), smtp=smtp_for(inbox), sleep=sleeps
    )
    assert result.delivered
    assert [a.ok for a in result.attempts] == [False, True]
    assert "451" in (result.attempts[0].error or "")
    assert sleeps.waits == [0.5]
    assert len(inbox.messages) == 1


def test_a_refused_recipient_fails_at_once(inbox: Inbox) -> None:
    inbox.refuse.add("gone@acme.test")
    sleeps = Sleeps()
    result = deliver(
        Channel("email", "gone@acme.test"), case_notice(), smtp=smtp_for(inbox), sleep=sleeps
    )
    assert not result.delivered and len(result.attempts) == 1
    assert "refused the message to gone@acme.test" in (result.error or "")
    assert sleeps.waits == [] and inbox.messages == []


def test_an_unreachable_smtp_server_is_retried_then_reported() -> None:
    smtp = SmtpConfig(host="127.0.0.1", port=free_port(), sender="cx@acme.test")
    sleeps = Sleeps()
    result = deliver(Channel("email", "kim@acme.test"), case_notice(), smtp=smtp, sleep=sleeps)
    assert not result.delivered and len(result.attempts) == 4
    assert "cannot send through SMTP server 127.0.0.1" in (result.error or "")
    assert (result.error or "").endswith(": connection refused")
    assert sleeps.waits == [0.5, 1.0, 2.0]


def test_email_without_smtp_settings_fails_naming_the_settings() -> None:
    result = deliver(Channel("email", "kim@acme.test"), case_notice(), smtp=None)
    assert not result.delivered and result.attempts == []
    assert "CXGAP_SMTP_HOST" in (result.error or "")
    no_sender = SmtpConfig(host="127.0.0.1", port=25)
    result = deliver(Channel("email", "kim@acme.test"), case_notice(), smtp=no_sender)
    assert "CXGAP_SMTP_FROM" in (result.error or "")


def test_the_smtp_config_comes_from_the_settings() -> None:
    env = {"CXGAP_SMTP_HOST": "mail.acme.test", "CXGAP_SMTP_PORT": "587", "CXGAP_SMTP_FROM": "cx@a"}
    settings = Settings.load(database_url="sqlite://", environ=env)
    config = SmtpConfig.from_settings(settings)
    assert (config.host, config.port, config.sender) == ("mail.acme.test", 587, "cx@a")
    with pytest.raises(ConfigError, match="CXGAP_SMTP_HOST"):
        SmtpConfig.from_settings(Settings.load(database_url="sqlite://", environ={}))


def test_the_documented_receiver_check_verifies_a_real_post(webhook: Webhook) -> None:
    doc = (Path(__file__).parents[1] / "docs" / "NOTIFICATIONS.md").read_text(encoding="utf-8")
    section = doc.split("## Verifying a signature", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # the receiver's code exactly as documented
    verify = namespace["verify"]
    assert deliver(Channel("webhook", webhook.url, SECRET), case_notice(), smtp=None).delivered
    req = webhook.requests[0]
    assert verify(req.body, req.headers["X-Cxgap-Signature"], SECRET)
    assert not verify(req.body, req.headers["X-Cxgap-Signature"], "another-secret-entirely")
