"""POST a JSON payload (ledger alerts, a notice) to a webhook URL, with a timeout.

An error names the webhook by its scheme and host only: the path of a Slack
or Teams incoming-webhook URL is its secret, and errors end up in logs and on
the dashboard.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from cxgap.errors import CxgapError

__all__ = ["WebhookError", "post_body", "post_json", "where"]

_BODY_IN_ERROR = 200  # characters of an error response quoted in the message


class WebhookError(CxgapError):
    """The webhook could not be reached or answered with an error status.

    ``status`` is the HTTP status, or ``None`` when no answer came (refused,
    unreachable, timed out). ``temporary`` is true where the same post may
    succeed later: no answer, a 5xx status or 429 Too Many Requests.
    ``retry_after`` is the seconds a 429 or 503 answer asked to wait.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        temporary: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.temporary = temporary
        self.retry_after = retry_after


def where(url: str) -> str:
    """``url`` without its path and query (which may hold a token)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _retry_after(value: str | None) -> float | None:
    """The seconds of a ``Retry-After`` header (an HTTP date is ignored)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _reason_of(exc: urllib.error.HTTPError) -> str:
    """``HTTP 404 Not Found``, with the start of the body when there is one
    (Slack answers ``no_service`` or ``invalid_payload`` there)."""
    try:
        body = exc.read(_BODY_IN_ERROR + 1).decode("utf-8", "replace").strip()
    except OSError:
        body = ""
    reason = f"HTTP {exc.code} {exc.reason}".rstrip()
    if body:
        short = body[:_BODY_IN_ERROR] + ("…" if len(body) > _BODY_IN_ERROR else "")
        reason += f": {' '.join(short.split())}"
    return reason


def post_body(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> int:
    """POST the bytes ``body`` to ``url`` as JSON; return the HTTP status.

    ``headers`` are added to ``Content-Type: application/json``. Only
    ``http`` and ``https`` URLs are accepted. Raises :class:`WebhookError`
    on a connection failure, a timeout or a status of 400 and above.
    """
    if not url.startswith(("http://", "https://")):
        raise WebhookError(f"webhook: {url!r} is not an http(s) URL")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise WebhookError(
            f"webhook {where(url)}: {_reason_of(exc)}",
            status=exc.code,
            temporary=exc.code >= 500 or exc.code == 429,
            retry_after=_retry_after(exc.headers.get("Retry-After")),
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, OSError) and reason.strerror:
            reason = reason.strerror.lower()
        raise WebhookError(f"webhook {where(url)}: {reason}", temporary=True) from None


def post_json(
    url: str,
    payload: Any,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> int:
    """POST ``payload`` as JSON to ``url``; return the HTTP status
    (:func:`post_body`, whose errors it raises)."""
    body = json.dumps(payload, default=str).encode("utf-8")
    return post_body(url, body, headers=headers, timeout=timeout)
