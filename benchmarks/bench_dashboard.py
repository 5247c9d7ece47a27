"""Benchmark the dashboard: the background overview and the page latencies.

Usage::

    .venv/bin/python benchmarks/bench_dashboard.py --scale 1

Installs the demo company at ``--scale`` into a temporary SQLite file and adds
one owner (not timed), signs in through FastAPI's TestClient, then prints:

- the overview's first computation (analysis with 200 bootstrap resamples,
  charts and page), from the first request until the page is ready;
- the median and worst latency of each page once the overview is cached
  (``--repeat`` requests each), sign-in included.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from cxgap.demo.install import install_demo
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.users import add_user
from cxgap.web import create_app

PASSWORD = "correct horse battery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="demo size multiplier")
    parser.add_argument("--repeat", type=int, default=10, help="requests per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings.load(database_url=url).model_copy(
            update={"secret_key": "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"}
        )
        with Database.open(settings) as db:
            install_demo(db, seed=7, scale=args.scale)
            add_user(
                db,
                "a@example.com",
                organisation="Brightwell Systems",
                role="owner",
                password=PASSWORD,
            )
            with TestClient(create_app(settings, database=db)) as client:
                token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
                assert token
                t0 = time.perf_counter()
                client.post(
                    "/login",
                    data={
                        "email": "a@example.com",
                        "password": PASSWORD,
                        "csrf_token": token.group(1),
                    },
                )
                print(
                    f"scale {args.scale}: sign-in (argon2 verify) {time.perf_counter() - t0:.3f} s"
                )
                t0 = time.perf_counter()
                while "Analysing the study" in client.get("/dashboard/studies/demo").text:
                    time.sleep(0.5)
                print(f"overview, first computation: {time.perf_counter() - t0:.1f} s")
                accounts = client.get("/dashboard/studies/demo/accounts").text
                first = re.search(r'/dashboard/studies/demo/accounts/([^"]+)"', accounts)
                assert first
                pages = [
                    "/dashboard",
                    "/dashboard/studies/demo",
                    "/dashboard/studies/demo/accounts",
                    f"/dashboard/studies/demo/accounts/{first.group(1)}",
                    "/dashboard/studies/demo/actions",
                    "/dashboard/studies/demo/responses",
                    "/dashboard/studies/demo/setup",
                    "/dashboard/studies/demo/setup/questions/perf.resolution",
                    "/dashboard/studies/demo/actions/candidates",
                    "/dashboard/studies/demo/actions/new",
                ]
                for page in pages:
                    times = []
                    for _ in range(args.repeat):
                        t0 = time.perf_counter()
                        r = client.get(page)
                        times.append(time.perf_counter() - t0)
                        assert r.status_code == 200, page
                    print(
                        f"{page:<60} median {statistics.median(times) * 1000:7.0f} ms, "
                        f"worst {max(times) * 1000:7.0f} ms, {len(r.content) / 1024:6.0f} KiB"
                    )


if __name__ == "__main__":
    main()
