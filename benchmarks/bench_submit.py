"""Benchmark: HTTP survey submissions against a real ``cxgap serve`` on loopback.

Starts ``cxgap serve`` as a subprocess on 127.0.0.1 (a free port) over a
temporary SQLite file (or ``--db URL``), creates ``--n`` personal customer
links, then ``--concurrency`` client threads each keep one HTTP connection
and, per link, save the answers (``PUT .../answers``), submit them
(``POST .../submit``) and retry the submission once (which must answer
``already_answered``). It prints requests per second, submissions per second
and latency percentiles, and checks the database holds exactly ``--n``
complete responses. Traffic goes to 127.0.0.1 only; the run is bounded by
``--n`` and by ``--max-seconds``.

    .venv/bin/python benchmarks/bench_submit.py                 # 300 links, 4 clients, SQLite
    .venv/bin/python benchmarks/bench_submit.py --n 1000 --concurrency 8
    .venv/bin/python benchmarks/bench_submit.py --db postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.study.defaults import default_study


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(db: Database) -> dict[str, Any]:
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


def _wait_ready(port: int, proc: subprocess.Popen[bytes], limit: float = 30) -> None:
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
            time.sleep(0.1)
    raise SystemExit("cxgap serve did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="links to answer (default 300)")
    ap.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    ap.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--max-seconds", type=float, default=300, help="stop after this long")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    db = Database.open(Settings.load(database_url=url))
    upgrade(db)
    save_study(db, default_study("bench", organisation="Bench"))
    t0 = time.perf_counter()
    links = create_invitations(
        db,
        "bench",
        audience="customer",
        wave="w1",
        contacts=[Contact(email=f"c{i}@bench.test", segment="top") for i in range(args.n)],
    ).links
    print(f"created {args.n} links in {time.perf_counter() - t0:.2f} s ({db.dialect})")
    body = json.dumps({"answers": _answers(db)}).encode()

    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxgap", "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        _wait_ready(port, proc)
        latencies: dict[str, list[float]] = {"put": [], "submit": [], "retry": []}
        failures: list[str] = []
        lock = threading.Lock()
        queue = list(reversed([link.token for link in links]))
        stop_at = time.monotonic() + args.max_seconds

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"Content-Type": "application/json"}
            while time.monotonic() < stop_at:
                with lock:
                    if not queue:
                        break
                    token = queue.pop()
                for kind, method, path in (
                    ("put", "PUT", f"/api/v1/surveys/{token}/answers"),
                    ("submit", "POST", f"/api/v1/surveys/{token}/submit"),
                    ("retry", "POST", f"/api/v1/surveys/{token}/submit"),
                ):
                    start = time.perf_counter()
                    conn.request(method, path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    took = time.perf_counter() - start
                    ok = resp.status == 200 and (
                        kind != "retry" or json.loads(data)["already_answered"] is True
                    )
                    with lock:
                        latencies[kind].append(took)
                        if not ok:
                            failures.append(f"{kind} {resp.status} {data[:200]!r}")
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(args.concurrency)]
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    with db.connect() as conn:
        complete = conn.execute(
            select(func.count()).select_from(t.response).where(t.response.c.status == "complete")
        ).scalar_one()
    db.close()
    done = len(latencies["submit"])
    requests = sum(len(v) for v in latencies.values())
    print(f"{done} surveys answered by {args.concurrency} clients in {wall:.2f} s")
    print(f"  {requests / wall:8.1f} requests/s, {done / wall:8.1f} submissions/s")
    for kind, vals in latencies.items():
        if vals:
            q = statistics.quantiles(vals, n=20)
            print(
                f"  {kind:6s} p50 {statistics.median(vals) * 1000:6.1f} ms, "
                f"p95 {q[18] * 1000:6.1f} ms, max {max(vals) * 1000:6.1f} ms"
            )
    print(f"  complete responses in the database: {complete} (expected {done})")
    if failures or complete != done:
        print(f"  FAILURES: {len(failures)}; first: {failures[:3]}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
