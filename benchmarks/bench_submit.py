"""Benchmark: sustained survey submissions against a real ``cxgap serve``.

For each database (``--db``) and worker count (``--workers``) it creates a
fresh database holding the default study and ``--tokens`` personal customer
links, starts ``cxgap serve --workers W`` on 127.0.0.1 (a free port), and
keeps ``--concurrency`` keep-alive connections busy for ``--duration``
seconds, each submitting one link after another in one request
(``POST /api/v1/surveys/{token}/submit`` with every answer of the customer
instrument in the body); every ``--retry-every``-th link is submitted a second
time, which must answer ``already_answered``. It then stops the server with
SIGTERM (graceful: requests in flight finish) and checks that the database
holds exactly one complete response, with all its answers, per link sent.

The load generator is wrk (Debian package ``wrk``) with
``benchmarks/submit.lua``: written in C, it costs a few percent of one core
at these rates, so the figures are the server's and the database's.
Without wrk (or with ``--client python``) an asyncio client on raw keep-alive
sockets is used; it costs more CPU (about 0.1 ms per request), which on a
small machine is taken from the server.

Prints, per run: submissions/s, requests/s, latency p50/p95/p99/max, errors,
the load average (``uptime``) before and after, and the database check.

    .venv/bin/python benchmarks/bench_submit.py     # SQLite and PostgreSQL, 1 and 2 workers
    .venv/bin/python benchmarks/bench_submit.py --db postgresql --workers 1,2,4 --duration 30
    .venv/bin/python benchmarks/bench_submit.py --db sqlite --concurrency 32 --client python

``--db`` takes ``sqlite`` (a temporary file), ``postgresql`` (a temporary
database on ``CXGAP_TEST_POSTGRES``, default
``postgresql+psycopg://postgres@127.0.0.1:5432``, dropped afterwards) or a
database URL (which must be empty). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.survey import token_hash
from cxgap.study.defaults import default_study

HERE = Path(__file__).resolve().parent
LUA = HERE / "submit.lua"
POSTGRES_SERVER = os.environ.get(
    "CXGAP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers() -> dict[str, Any]:
    """A full answer to every question of the default customer instrument."""
    study = default_study("bench", organisation="Bench")
    out: dict[str, Any] = {}
    for q in study.questions_for("customer"):
        if q.kind in ("rating", "nps", "share"):
            out[q.key] = q.scale_max
        elif q.kind == "rank":
            out.update({f"{q.key}.{i}": n + 1 for n, i in enumerate(q.items)})
        elif q.kind == "multi":
            out[q.key] = q.items[:2]
        else:
            out[q.key] = "Quick, friendly and they know our business."
    return out


def _stored_answers(body: dict[str, Any]) -> int:
    study = default_study("bench", organisation="Bench")
    multi = {q.key: len(q.items) for q in study.questions if q.kind == "multi"}
    return sum(multi.get(k, 1) for k in body)


@contextmanager
def database(kind: str) -> Iterator[str]:
    """The URL of an empty database of ``kind``, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
    elif kind == "postgresql":
        import psycopg

        admin_url = POSTGRES_SERVER.replace("postgresql+psycopg://", "postgresql://")
        name = f"cxgap_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{POSTGRES_SERVER}/{name}"
        finally:
            with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield kind


def _wait_ready(port: int, proc: subprocess.Popen[bytes], limit: float = 120) -> None:
    import http.client

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"cxgap serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        except OSError:
            time.sleep(0.2)
    raise SystemExit("cxgap serve did not start")


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used, 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it (the uvicorn workers)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def _backends(db: Database) -> list[int]:
    """Every PostgreSQL server process of this machine (none on SQLite): the
    backends serving the benchmark and the WAL writer, checkpointer and
    autovacuum working for it, but also anything else the server does."""
    if db.dialect != "postgresql":
        return []
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            comm = stat.read_text().partition("(")[2].partition(")")[0]
        except OSError:
            continue
        if comm in ("postgres", "postmaster"):
            out.append(int(stat.parent.name))
    return out


class CpuMeter:
    """CPU seconds used during the load by the server's processes, the
    PostgreSQL server's processes and the load generator (read from /proc,
    Linux)."""

    def __init__(self, server_pid: int, db: Database) -> None:
        self.server_pid, self.db = server_pid, db
        self.server0 = {p: _cpu(p) for p in _tree(server_pid)}
        self.backends0 = {p: _cpu(p) for p in _backends(db)}
        self.client0 = self._client()

    @staticmethod
    def _client() -> float:
        import resource

        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has exited
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def stop(self) -> dict[str, float]:
        server = sum(_cpu(p) - self.server0.get(p, 0.0) for p in _tree(self.server_pid))
        backends = sum(_cpu(p) - self.backends0.get(p, 0.0) for p in _backends(self.db))
        return {"server": server, "database": backends, "client": self._client() - self.client0}


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Load:
    """What one load run saw."""

    seconds: float
    requests: int
    sent: int  # distinct links submitted
    retries: int
    answered: int  # 200 with already_answered false
    repeated: int  # 200 with already_answered true
    bad: int  # other statuses
    errors: int  # socket errors and timeouts
    p50: float
    p95: float
    p99: float
    max: float
    exhausted: bool
    client: str
    sent_tokens: list[str]  # exactly the links sent


def run_wrk(
    port: int, token_list: list[str], tokens: Path, body: Path, args: argparse.Namespace
) -> Load:
    threads = max(1, min(args.client_threads, args.concurrency))
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(args.concurrency),
        "-d",
        f"{round(args.duration)}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}",
        "--",
        str(tokens),
        str(body),
        str(args.retry_every),
        str(threads),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    sent_tokens = [
        token for i, n in enumerate(data["sent_per_thread"]) for token in token_list[i::threads][:n]
    ]
    return Load(
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        sent=data["sent"],
        retries=data["retries"],
        answered=data["answered"],
        repeated=data["repeated"],
        bad=data["bad"],
        errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        p50=data["p50"] / 1000,
        p95=data["p95"] / 1000,
        p99=data["p99"] / 1000,
        max=data["max"] / 1000,
        exhausted=bool(data["exhausted"]),
        sent_tokens=sent_tokens,
        client=f"wrk -t{threads} -c{args.concurrency}",
    )


def run_python(port: int, token_list: list[str], body: bytes, args: argparse.Namespace) -> Load:
    """The same load from asyncio coroutines, one raw keep-alive socket each."""
    latencies: list[float] = []
    counts = {"sent": 0, "retries": 0, "answered": 0, "repeated": 0, "bad": 0, "errors": 0}
    queue = iter(token_list)
    exhausted = False
    sent_tokens: list[str] = []

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str) -> None:
        request = (
            f"POST /api/v1/surveys/{token}/submit HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        start = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        data = await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
        if not head.startswith(b"HTTP/1.1 200"):
            counts["bad"] += 1
        elif b'"already_answered":true' in data:
            counts["repeated"] += 1
        else:
            counts["answered"] += 1

    async def client(deadline: float) -> None:
        nonlocal exhausted
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                token = next(queue, None)
                if token is None:
                    exhausted = True
                    return
                counts["sent"] += 1
                sent_tokens.append(token)
                await one(reader, writer, token)
                if args.retry_every and counts["sent"] % args.retry_every == 0:
                    counts["retries"] += 1
                    await one(reader, writer, token)
        except (OSError, asyncio.IncompleteReadError):
            counts["errors"] += 1
        finally:
            writer.close()

    async def main() -> float:
        start = time.perf_counter()
        deadline = start + args.duration
        await asyncio.gather(*(client(deadline) for _ in range(args.concurrency)))
        return time.perf_counter() - start

    seconds = asyncio.run(main())
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Load(
        seconds=seconds,
        requests=len(latencies),
        exhausted=exhausted,
        p50=statistics.median(latencies) * 1000 if latencies else 0.0,
        p95=q[94] * 1000,
        p99=q[98] * 1000,
        max=max(latencies, default=0.0) * 1000,
        client=f"asyncio -c{args.concurrency}",
        sent_tokens=sent_tokens,
        **counts,
    )


def one_run(kind: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    body_json = answers()
    tokens_needed = args.tokens or int(args.duration * 1500 * max(1, workers) ** 0.5)
    with database(kind) as url, tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Settings.load(database_url=url))
        upgrade(db)
        save_study(db, default_study("bench", organisation="Bench"))
        start = time.perf_counter()
        links = create_invitations(
            db,
            "bench",
            audience="customer",
            wave="w1",
            contacts=[
                Contact(email=f"c{i}@bench.test", segment="top") for i in range(tokens_needed)
            ],
        ).links
        made = time.perf_counter() - start
        token_list = [link.token for link in links]
        tokens_file = Path(tmp) / "tokens.txt"
        tokens_file.write_text("\n".join(token_list) + "\n")
        body_file = Path(tmp) / "body.json"
        body = json.dumps({"answers": body_json}).encode()
        body_file.write_bytes(body)

        port = _free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cxgap",
                "serve",
                "--db",
                url,
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--dev",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            _wait_ready(port, proc)
            before = _loadavg()
            meter = CpuMeter(proc.pid, db)
            use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
            if use_wrk:
                load = run_wrk(port, token_list, tokens_file, body_file, args)
            else:
                load = run_python(port, token_list, body, args)
            cpu = meter.stop()
            after = _loadavg()
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=120)
            log.close()
        with db.connect() as conn:
            by_status = dict(
                conn.execute(
                    select(t.response.c.status, func.count()).group_by(t.response.c.status)
                ).all()
            )
            stored = conn.execute(select(func.count()).select_from(t.answer)).scalar_one()
            keys = conn.execute(
                select(func.count(func.distinct(t.response.c.source_key)))
            ).scalar_one()
            complete_links = set(
                conn.execute(
                    select(t.invitation.c.token_hash)
                    .join(t.response, t.response.c.invitation_id == t.invitation.c.id)
                    .where(t.response.c.status == "complete")
                ).scalars()
            )
        db.close()
    complete = int(by_status.get("complete", 0))
    per = _stored_answers(body_json)
    sent = {token_hash(token) for token in load.sent_tokens}
    # Requests in flight when the load generator stopped were never seen
    # answered; the server still completes those it had read.
    in_flight = load.sent - load.answered - load.bad
    checks = {
        "every link sent once": len(sent) == load.sent,
        "nothing stored that was not sent": complete_links <= sent,
        "every link answered is stored": complete >= load.answered,
        "only links in flight at the end may be missing": len(sent - complete_links) <= in_flight,
        "one response per link": keys == complete + int(by_status.get("partial", 0)),
        "no partial response": not by_status.get("partial"),
        "every answer stored": stored == complete * per,
        "every retry answered already_answered": load.repeated <= load.retries
        and load.answered + load.repeated + load.bad + load.errors >= load.requests - 1,
        "no other status": load.bad == 0,
        "serve exited 0": code == 0,
    }
    ok = all(checks.values())
    return {
        "db": kind if kind in ("sqlite", "postgresql") else "url",
        "workers": workers,
        "links_created": f"{tokens_needed} in {made:.1f} s",
        "load": load,
        "loadavg_before": before,
        "loadavg_after": after,
        "complete": complete,
        "partial": int(by_status.get("partial", 0)),
        "answers": stored,
        "answers_expected": complete * per,
        "serve_exit": code,
        "in_flight": in_flight,
        "cpu_ms": {k: 1000 * v / max(1, load.sent) for k, v in cpu.items()},
        "failed": [name for name, passed in checks.items() if not passed],
        "ok": ok,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--db", default="sqlite,postgresql", help="comma list: sqlite, postgresql or URLs"
    )
    ap.add_argument("--workers", default="1,2", help="comma list of worker counts (default 1,2)")
    ap.add_argument("--duration", type=float, default=15, help="seconds of load per run")
    ap.add_argument("--concurrency", type=int, default=32, help="open connections (default 32)")
    ap.add_argument("--retry-every", type=int, default=10, help="retry every Kth link (0: none)")
    ap.add_argument("--tokens", type=int, default=0, help="links per run (default: enough)")
    ap.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument("--client-threads", type=int, default=1, help="wrk threads (default 1)")
    args = ap.parse_args()

    print(
        f"{time.strftime('%Y-%m-%d %H:%M')} on {platform.node()}: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {_loadavg()}"
    )
    env = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("CXGAP_DB_"))
    print(f"command: {env + ' ' if env else ''}{' '.join([Path(sys.executable).name, *sys.argv])}")
    results = []
    for kind in args.db.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            r = one_run(kind, workers, args)
            results.append(r)
            load: Load = r["load"]
            print(
                f"{r['db']:10s} workers {workers}: {load.sent / load.seconds:7.1f} submissions/s "
                f"({load.requests / load.seconds:7.1f} requests/s) over {load.seconds:.1f} s, "
                f"latency p50 {load.p50:.1f} / p95 {load.p95:.1f} / p99 {load.p99:.1f} / "
                f"max {load.max:.1f} ms; {load.client}; load average {r['loadavg_before']} -> "
                f"{r['loadavg_after']}"
            )
            cpu_ms = r["cpu_ms"]
            print(
                f"{'':10s} CPU per submission: server {cpu_ms['server']:.2f} ms, PostgreSQL "
                f"{cpu_ms['database']:.2f} ms, load generator {cpu_ms['client']:.2f} ms"
            )
            print(
                f"{'':10s} links sent {load.sent}, retries {load.retries}, answered "
                f"{load.answered}, already answered {load.repeated}, other status {load.bad}, "
                f"socket errors {load.errors}{', RAN OUT OF LINKS' if load.exhausted else ''}; "
                f"database: {r['complete']} complete, {r['partial']} partial, {r['answers']} "
                f"answers (expected {r['answers_expected']}), {r['in_flight']} in flight at "
                f"the end; serve exit {r['serve_exit']}; "
                f"{'OK' if r['ok'] else 'FAILED: ' + ', '.join(r['failed'])} "
                f"({r['links_created']})"
            )
    if not all(r["ok"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
