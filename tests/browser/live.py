"""A live app for the browser tests: where it listens and what it serves."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cxgap.store.db import Database

#: The password every browser test's users are given.
PASSWORD = "correct horse battery"


@dataclass
class Server:
    """``cxgap serve`` running for a test: its address and its database."""

    base_url: str
    db: Database


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on 127.0.0.1 while the block
    runs; yields its base URL."""
    import uvicorn

    port = port or free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:  # pragma: no cover - reported as a failure
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=60)


def sign_in(page: Any, base: str, email: str = "ann@example.com") -> None:
    """Sign in on the dashboard's form, as a person does, and land on the studies."""
    page.goto(f"{base}/dashboard")
    assert "/login" in page.url
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/dashboard")
