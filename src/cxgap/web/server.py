"""Running the web app under uvicorn: one or several worker processes,
uvloop and httptools where installed, and a graceful shutdown.

On SIGTERM or SIGINT the server stops accepting connections (the listening
socket is closed, so a new connection is refused rather than left waiting),
lets every request in flight finish and send its response (for at most
``shutdown_timeout`` seconds), closes the database and returns: the process
exits 0. Each worker builds its own app with :func:`app_from_environment`
(uvicorn's ``factory=True``), so nothing but the environment is shared.
"""

from __future__ import annotations

import importlib.util
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from fastapi import FastAPI
from uvicorn.supervisors.multiprocess import Multiprocess

from cxgap.errors import ConfigError
from cxgap.settings import Settings

__all__ = ["APP_FACTORY", "app_from_environment", "run", "server_stack"]

#: The import string each worker process builds its app from.
APP_FACTORY = "cxgap.web.server:app_from_environment"

#: Uvicorn's own status for a server that failed to start.
STARTUP_FAILURE = 3


def app_from_environment() -> FastAPI:
    """The cxgap app with settings from the environment (``CXGAP_DATABASE_URL``,
    ``CXGAP_SECRET_KEY``, ...), as every ``cxgap serve`` worker builds it; also
    usable as ``uvicorn --factory cxgap.web.server:app_from_environment``.

    Refuses (:class:`ConfigError`) a missing or insecure secret key: ``cxgap
    serve --dev`` passes its workers one random key through the environment.
    """
    from cxgap.web import create_app
    from cxgap.web.auth import secret_problem

    settings = Settings.load()
    problem = secret_problem(settings.secret_key)
    if problem:
        raise ConfigError(f"{problem}: the web app refuses to start without a secure key")
    return create_app(settings)


def server_stack() -> tuple[str, str]:
    """The event loop and HTTP parser uvicorn picks here: uvloop and httptools
    when they are installed, else asyncio and h11."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return loop, http


@contextmanager
def _signals_end_the_run() -> Iterator[None]:
    """Uvicorn re-raises the SIGTERM/SIGINT it shut down for, once it is done,
    so that the default action (death by the signal, KeyboardInterrupt) runs.
    The shutdown is the whole point here, so the signal is absorbed and the
    process exits 0."""

    def absorb(_sig: int, _frame: FrameType | None) -> None:
        return None

    originals = {sig: signal.signal(sig, absorb) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in originals.items():
            signal.signal(sig, handler)


def run(
    *,
    host: str,
    port: int,
    workers: int = 1,
    shutdown_timeout: int = 30,
    log_level: str = "info",
) -> bool:
    """Serve :data:`APP_FACTORY` until SIGTERM or SIGINT; ``False`` when the
    server could not start (port taken, app refused to start)."""
    import uvicorn

    loop, http = server_stack()
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop=loop,
        http=http,
        log_level=log_level,
        # No access log: respondent links carry their token in the path, and
        # tokens are never written to logs (docs/SECURITY.md).
        access_log=False,
        timeout_graceful_shutdown=shutdown_timeout,
        # A worker imports the whole app (pandas, SciPy, ...) before it can
        # answer the supervisor's health check: seconds on a loaded machine.
        timeout_worker_healthcheck=60,
    )
    server = uvicorn.Server(config)
    with _signals_end_the_run():
        if workers == 1:
            server.run()
            return server.started
        _Supervisor(config, sockets=[config.bind_socket()]).run()
    return True


class _Supervisor(Multiprocess):
    """Uvicorn's worker supervisor, closing the parent's copy of the listening
    socket before it asks the workers to stop: otherwise the kernel would keep
    queueing new connections that no worker will ever accept."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()
