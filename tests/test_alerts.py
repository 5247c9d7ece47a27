"""Alerts: accounts that crossed the threshold, and posting them to a webhook."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pandas as pd
import pytest

from cxgap.analysis.ledger.alerts import threshold_alerts
from cxgap.analysis.ledger.balance import score_events
from cxgap.notify.webhook import WebhookError, post_json
from cxgap.study.model import LedgerParameters
from tests.webhooks import Webhook

T0 = pd.Timestamp("2025-01-01")


def scored() -> pd.DataFrame:
    ev = pd.DataFrame(
        {
            "account_id": ["drop", "drop", "rise", "rise", "steady"],
            "timestamp": [T0, T0 + pd.Timedelta(days=40), T0, T0 + pd.Timedelta(days=40), T0],
            "moment": ["routine"] * 5,
            "outcome": ["met", "failed", "failed", "exceeded", "met"],
            "severity": [np.nan, 3, 1, np.nan, np.nan],
        }
    )
    return score_events(ev, LedgerParameters(), {"routine": 1.0})


def test_accounts_that_crossed_below_and_recovered_are_listed() -> None:
    # at day 30: drop = +0.79, rise = -1.89, steady = +0.79; at day 41: drop ~ -5.3,
    # rise = -1.85 + 1.98 > -1.5
    r = threshold_alerts(
        scored(), -1.5, since=T0 + pd.Timedelta(days=30), as_of=T0 + pd.Timedelta(days=41)
    )
    assert [a.account for a in r.crossed_below] == ["drop"]
    assert [a.account for a in r.recovered] == ["rise"]
    a = r.crossed_below[0]
    assert a.balance_before >= -1.5 > a.balance_now
    assert a.distance == pytest.approx(a.balance_now + 1.5)
    assert r.n_accounts == 3


def test_no_change_between_the_dates_gives_no_alerts() -> None:
    r = threshold_alerts(
        scored(), -1.5, since=T0 + pd.Timedelta(days=41), as_of=T0 + pd.Timedelta(days=42)
    )
    assert r.crossed_below == []
    assert r.recovered == []


def test_alerts_are_posted_as_json_to_the_webhook(webhook: Webhook) -> None:
    r = threshold_alerts(
        scored(), -1.5, since=T0 + pd.Timedelta(days=30), as_of=T0 + pd.Timedelta(days=41)
    )
    assert post_json(webhook.url, r.to_json_dict(), timeout=5) == 204
    assert webhook.received[0]["crossed_below"][0]["account"] == "drop"


def test_a_webhook_error_status_is_reported(webhook: Webhook) -> None:
    webhook.status = 500
    with pytest.raises(WebhookError, match="HTTP 500"):
        post_json(webhook.url, {"x": 1}, timeout=5)


def test_an_unreachable_or_non_http_webhook_is_reported() -> None:
    with pytest.raises(WebhookError, match="not an http"):
        post_json("file:///etc/passwd", {})
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()  # nothing listens there now
    with pytest.raises(WebhookError):
        post_json(f"http://127.0.0.1:{port}/", {}, timeout=2)
