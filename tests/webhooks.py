"""A real webhook receiver: an HTTP server on 127.0.0.1 in a thread that
records what is posted to it (the ``webhook`` fixture)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    """One POST as it arrived: the path, the headers and the raw body."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Webhook:
    """A real HTTP server on 127.0.0.1 that records what is posted to it.

    ``received`` holds each JSON body parsed, ``requests`` each request as it
    arrived. It answers the statuses in ``statuses`` first, one per request,
    then ``status``; an error answer carries ``reply`` as its body and the
    headers in ``reply_headers``.
    """

    url: str
    received: list[Any] = field(default_factory=list)
    status: int = 204
    requests: list[Request] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    reply: bytes = b""
    reply_headers: dict[str, str] = field(default_factory=dict)


class _WebhookHandler(BaseHTTPRequestHandler):
    server: _WebhookServer

    def do_POST(self) -> None:
        hook = self.server.hook
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        hook.requests.append(Request(self.path, dict(self.headers.items()), body))
        try:
            hook.received.append(json.loads(body))
        except ValueError:
            hook.received.append(body)
        status = hook.statuses.pop(0) if hook.statuses else hook.status
        self.send_response(status)
        reply = hook.reply if status >= 400 else b""
        for name, value in (hook.reply_headers if status >= 400 else {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


class _WebhookServer(HTTPServer):
    hook: Webhook


@contextmanager
def receive_webhooks() -> Iterator[Webhook]:
    """A webhook receiver running in a thread while the block runs."""
    server = _WebhookServer(("127.0.0.1", 0), _WebhookHandler)
    server.hook = Webhook(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
