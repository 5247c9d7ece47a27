"""Post a JSON payload (ledger alerts) to a webhook URL, with a timeout."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from cxgap.errors import CxgapError

__all__ = ["WebhookError", "post_json"]


class WebhookError(CxgapError):
    """The webhook could not be reached or answered with an error status."""


def post_json(url: str, payload: Any, *, timeout: float = 10.0) -> int:
    """POST ``payload`` as JSON to ``url``; return the HTTP status.

    Only ``http`` and ``https`` URLs are accepted. Raises
    :class:`WebhookError` on a connection failure, a timeout or a status of
    400 and above.
    """
    if not url.startswith(("http://", "https://")):
        raise WebhookError(f"webhook: {url!r} is not an http(s) URL")
    body = json.dumps(payload, default=str).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"webhook {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"webhook {url}: {reason}") from None
