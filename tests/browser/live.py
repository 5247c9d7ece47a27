"""A live app for the browser tests: where it listens and what it serves."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from cxgap.store.db import Database


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
