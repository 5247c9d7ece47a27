"""A real webhook receiver: an HTTP server on 127.0.0.1 in a thread that
records the JSON posted to it (the ``webhook`` fixture)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


@dataclass
class Webhook:
    """A real HTTP server on 127.0.0.1 that records the JSON posted to it and
    answers ``status``."""

    url: str
    received: list[Any] = field(default_factory=list)
    status: int = 204


class _WebhookHandler(BaseHTTPRequestHandler):
    server: _WebhookServer

    def do_POST(self) -> None:
        hook = self.server.hook
        length = int(self.headers["Content-Length"])
        hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(hook.status)
        self.end_headers()

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
