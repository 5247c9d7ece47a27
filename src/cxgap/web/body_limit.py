"""A bound on every request body: forms, JSON and uploads alike.

:class:`BodyLimit` is ASGI middleware in front of every route. A request whose
``Content-Length`` is over the limit is refused at once; a body sent without
a length (chunked) is read up to the limit and refused as soon as it passes
it. Refused requests get 413 with a message that says the limit: JSON under
``/api/``, an HTML page elsewhere. Nothing of a refused body reaches a route.

The limit is ``max_body_bytes`` (default 1 MiB), and ``max_batch_bytes``
(default 16 MiB) for the paths given as batch paths (the events API, which
takes up to 10,000 events at once, and the dashboard's import page, which
takes a survey export). A batch path may hold ``{name}`` parts, each
matching one path segment (``/dashboard/studies/{slug}/import``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "human_bytes"]


def human_bytes(n: int) -> str:
    """``n`` bytes in words.

    >>> human_bytes(1_048_576), human_bytes(16_777_216), human_bytes(1500)
    ('1 MiB', '16 MiB', '1.5 KiB')
    """
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


class BodyLimit:
    """Refuse request bodies over ``default`` bytes (``batch`` on ``batch_paths``)."""

    def __init__(
        self, app: ASGIApp, *, default: int, batch: int, batch_paths: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.default = default
        self.batch = batch
        self.batch_paths = tuple(batch_paths)
        self._batch = [
            re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(p)) + "$")
            for p in self.batch_paths
        ]

    def limit_for(self, path: str) -> int:
        """The bound on the body of a request to ``path``.

        >>> b = BodyLimit(None, default=1, batch=9, batch_paths=["/s/{slug}/import"])
        >>> b.limit_for("/s/acme/import"), b.limit_for("/s/a/b/import"), b.limit_for("/s")
        (9, 1, 1)
        """
        return self.batch if any(r.match(path) for r in self._batch) else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and length.isdigit() and int(length) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        # Read the body now (it is read whole by every route anyway), counting.
        messages: list[Message] = []
        total = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            total += len(message.get("body", b""))
            if total > limit:
                await self._refuse(scope, receive, send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = (
            f"the request body is larger than {human_bytes(limit)} ({limit:,} bytes), "
            "the most this server accepts at once: send less, or in several requests"
        )
        response: Response
        if scope["path"].startswith("/api/"):
            response = JSONResponse(
                {"error": {"type": "BodyTooLarge", "message": message, "limit": limit}},
                status_code=413,
            )
        else:
            request = Request(scope, receive)
            templates = scope["app"].state.templates
            response = templates.TemplateResponse(
                request,
                "error.html",
                {"title": "Too much at once", "message": message[0].upper() + message[1:]},
                status_code=413,
            )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
