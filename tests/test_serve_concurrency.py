"""``cxgap serve`` under concurrent submissions, and its graceful shutdown.

A real server in a subprocess on 127.0.0.1 (a free port), two worker
processes, many clients at once. These tests assert behaviour only (one
response per link, nothing lost, every retry told ``already_answered``, every
client that was answered got a stored response); the speed is measured by
``benchmarks/bench_submit.py``.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.survey import token_hash
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in default_study("acme", organisation="Acme").questions_for("customer"):
        if q.kind in ("rating", "nps", "share"):
            out[q.key] = q.scale_max
        elif q.kind == "rank":
            out.update({f"{q.key}.{i}": n + 1 for n, i in enumerate(q.items)})
        elif q.kind == "multi":
            out[q.key] = q.items[:1]
        else:
            out[q.key] = "Quick and friendly."
    return out


BODY = json.dumps({"answers": _answers()}).encode()
#: Answers stored per complete survey (a multi question stores one row per item).
PER_SURVEY = sum(
    len(q.items) if q.kind in ("rank", "multi") else 1
    for q in default_study("acme", organisation="Acme").questions_for("customer")
)


def _tokens(url: str, n: int) -> list[str]:
    with Database.open(Settings.load(database_url=url)) as db:
        upgrade(db)
        save_study(db, default_study("acme", organisation="Acme"))
        links = create_invitations(
            db,
            "acme",
            audience="customer",
            wave="w1",
            contacts=[Contact(email=f"c{i}@acme.test", segment="top") for i in range(n)],
        ).links
    return [link.token for link in links]


@dataclass
class Server:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serving(url: str, tmp_path: Path, *, workers: int) -> Iterator[Server]:
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "cxgap", "serve", "--db", url, "--port", str(port)),
                *("--workers", str(workers), "--dev", "--shutdown-timeout", "60"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(port, proc, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, server.text()
            assert time.monotonic() < deadline, "cxgap serve did not start: " + server.text()
            try:
                if _request(port, "GET", "/api/v1/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def _request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes, http.client.HTTPResponse]:
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        c.request(
            method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})}
        )
        resp = c.getresponse()
        return resp.status, resp.read(), resp
    finally:
        if own:
            c.close()


def _workers(proc: subprocess.Popen[bytes]) -> list[int]:
    """The processes serving requests: the uvicorn workers spawned by the
    server, or the server itself when it has none."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == proc.pid and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found or [proc.pid]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _refused_while_a_worker_runs(
    port: int, proc: subprocess.Popen[bytes], workers: list[int], limit: float = 60
) -> bool:
    """Whether a new connection was refused while a worker still ran
    (finishing requests, closing down): the listening socket was closed first,
    the supervisor's copy included."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        except ConnectionRefusedError:
            return any(_alive(pid) for pid in workers)
        except OSError:
            pass
        time.sleep(0.005)
    return False


def _submit(port: int, token: str, conn: http.client.HTTPConnection | None = None) -> bool:
    """Submit every answer for ``token``; ``already_answered`` of the reply."""
    status, data, _ = _request(port, "POST", f"/api/v1/surveys/{token}/submit", BODY, conn=conn)
    assert status == 200, data[:300]
    return bool(json.loads(data)["already_answered"])


def _stored(url: str) -> dict[str, tuple[str, int]]:
    """token hash -> (status, answers) of every stored response."""
    with Database.open(Settings.load(database_url=url)) as db, db.connect() as conn:
        rows = conn.execute(
            select(t.invitation.c.token_hash, t.response.c.status, func.count(t.answer.c.id))
            .join(t.response, t.response.c.invitation_id == t.invitation.c.id)
            .outerjoin(t.answer, t.answer.c.response_id == t.response.c.id)
            .group_by(t.invitation.c.token_hash, t.response.c.status)
        ).all()
    out: dict[str, tuple[str, int]] = {}
    for h, status, n in rows:
        assert h not in out, "two responses for one link"
        out[h] = (status, int(n))
    return out


def test_many_clients_submitting_at_once_store_one_response_per_link(
    db_url: str, tmp_path: Path
) -> None:
    tokens = _tokens(db_url, 240)
    retried = set(tokens[::5])  # submitted again once answered
    doubled = set(tokens[3::8]) - retried  # two submissions racing each other
    firsts: dict[str, list[bool]] = {token: [] for token in tokens}
    retries: dict[str, bool] = {}
    lock = threading.Lock()
    with serving(db_url, tmp_path, workers=2) as server:

        def client(share: list[str]) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            try:
                for token in share:
                    if token in doubled:
                        with ThreadPoolExecutor(2) as pair:
                            both = list(
                                pair.map(lambda tok: _submit(server.port, tok), [token] * 2)
                            )
                        with lock:
                            firsts[token].extend(both)
                        continue
                    first = _submit(server.port, token, conn)
                    with lock:
                        firsts[token].append(first)
                    if token in retried:
                        again = _submit(server.port, token, conn)
                        with lock:
                            retries[token] = again
            finally:
                conn.close()

        clients = 24
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(client, [tokens[i::clients] for i in range(clients)]))
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=120) == 0, server.text()

    # Each link was answered as new exactly once; every retry was told so.
    assert all(sorted(replies) in ([False], [False, True]) for replies in firsts.values()), firsts
    assert {tok for tok, r in firsts.items() if len(r) == 2} == doubled
    assert retries == dict.fromkeys(retried, True)
    stored = _stored(db_url)
    assert set(stored) == {token_hash(tok) for tok in tokens}
    assert set(stored.values()) == {("complete", PER_SURVEY)}


def test_the_workers_of_a_dev_server_share_one_session_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dev.db'}"
    _tokens(url, 1)
    with serving(url, tmp_path, workers=2) as server:
        _, _, first = _request(server.port, "GET", "/login")
        cookie = first.getheader("set-cookie", "").split(";", 1)[0]
        assert cookie.startswith("cxgap_session=")
        renewed = 0
        for _ in range(30):  # new connections: answered by either worker
            _, _, again = _request(server.port, "GET", "/login", headers={"Cookie": cookie})
            renewed += again.getheader("set-cookie") is not None
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=120) == 0
    assert renewed == 0  # a worker with another key would have started a new session


def _form(port: int, path: str, cookie: str, **fields: str) -> tuple[int, str]:
    """POST a form with ``cookie``; (status, the cookie it sets or ``cookie``)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    status, _, resp = _request(port, "POST", path, urlencode(fields).encode(), headers=headers)
    return status, (resp.getheader("set-cookie") or cookie).split(";", 1)[0]


def _dashboard(port: int, cookie: str, times: int = 30) -> set[int]:
    """The statuses of /dashboard asked ``times`` over new connections, which
    either worker answers."""
    return {
        _request(port, "GET", "/dashboard", headers={"Cookie": cookie})[0] for _ in range(times)
    }


def test_a_session_signed_out_through_one_worker_is_refused_by_every_worker(
    db_url: str, tmp_path: Path
) -> None:
    _tokens(db_url, 1)
    with Database.open(Settings.load(database_url=db_url)) as db:
        add_user(
            db, "ann@example.com", organisation="Acme", role="owner", password="a long password"
        )
    with serving(db_url, tmp_path, workers=2) as server:
        _, page, first = _request(server.port, "GET", "/login")
        anonymous = first.getheader("set-cookie", "").split(";", 1)[0]
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        status, cookie = _form(
            server.port,
            "/login",
            anonymous,
            email="ann@example.com",
            password="a long password",
            csrf_token=token.group(1).decode(),
        )
        assert status == 303 and cookie != anonymous
        assert _dashboard(server.port, cookie) == {200}
        _, page, _ = _request(server.port, "GET", "/dashboard", headers={"Cookie": cookie})
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        assert _form(server.port, "/logout", cookie, csrf_token=token.group(1).decode())[0] == 303
        assert _dashboard(server.port, cookie) == {303}  # to the sign-in page, on every worker
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=120) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_submissions_in_flight_finish_then_exits_0(
    workers: int, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'shutdown.db'}"
    tokens = _tokens(url, 600)
    outcome: dict[str, str] = {}  # token -> "answered" | error class
    answered_at: list[float] = []
    lock = threading.Lock()
    with serving(url, tmp_path, workers=workers) as server:

        def client(share: list[str]) -> None:
            for token in share:
                try:  # a new connection each time, as a browser after a pause
                    already = _submit(server.port, token)
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        outcome[token] = type(exc).__name__
                    return
                with lock:
                    outcome[token] = "answered" if not already else "already"
                    answered_at.append(time.monotonic())

        clients = 48
        with ThreadPoolExecutor(clients) as pool:
            futures = [pool.submit(client, tokens[i::clients]) for i in range(clients)]
            while len(outcome) < 60:  # let the load build up
                assert server.proc.poll() is None, server.text()
                time.sleep(0.05)
            workers_pids = _workers(server.proc)
            assert len(workers_pids) == workers
            server.proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            assert _refused_while_a_worker_runs(server.port, server.proc, workers_pids)
            for f in futures:
                f.result()
        code = server.proc.wait(timeout=120)
    assert code == 0, server.text()
    assert "Finished server process" in server.text()
    answered = {token_hash(tok) for tok, o in outcome.items() if o == "answered"}
    assert "already" not in outcome.values()
    # Requests in flight when SIGTERM came still got their answer.
    assert max(answered_at) > signalled
    assert len(answered) < len(tokens)  # and the server did stop taking new ones
    stored = _stored(url)
    assert set(stored) == answered
    assert set(stored.values()) == {("complete", PER_SURVEY)}
