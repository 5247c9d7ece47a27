"""Signing the body of a generic webhook, and checking the signature.

cxgap sends, with every post to a generic webhook that has a secret::

    X-Cxgap-Signature: sha256=<hex HMAC-SHA256 of the raw request body, keyed with the secret>
    X-Cxgap-Timestamp: <the Unix time the notice was sent, also in the body as sent_at>
    X-Cxgap-Delivery: <one id per delivery, the same on each retry>

A receiver verifies it by computing the HMAC of the bytes it received (before
parsing the JSON) with the shared secret and comparing in constant time
(:func:`verify_signature`); it rejects a body whose signed ``sent_at`` is too
old (replay) and may use ``X-Cxgap-Delivery`` to ignore a retry of a post it
already handled. In Python::

    from cxgap.notify.signing import verify_signature
    ok = verify_signature(raw_body, request.headers.get("X-Cxgap-Signature"), secret)
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Cxgap-Signature"
TIMESTAMP_HEADER = "X-Cxgap-Timestamp"
DELIVERY_HEADER = "X-Cxgap-Delivery"
_PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The value of ``X-Cxgap-Signature`` for ``body``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"{_PREFIX}{digest}"


def verify_signature(body: bytes, header: str | None, secret: str) -> bool:
    """Whether ``header`` (the ``X-Cxgap-Signature`` received) is the
    signature of ``body`` with ``secret``; compared in constant time."""
    if not header or not secret:
        return False
    given = header.strip()
    if not given.lower().startswith(_PREFIX):
        return False
    expected = sign(body, secret)
    return hmac.compare_digest(
        expected.encode("ascii"), (_PREFIX + given[len(_PREFIX) :].lower()).encode("utf-8")
    )
