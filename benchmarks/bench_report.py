"""Benchmark: building the report of the demo company, small and at scale.

For each ``--scale`` (default: 1 and 250, the demo company and a study of
about 101,000 respondents, 164,000 responses, 6.1 million answers and 1.37
million ledger events)
a child process of its own (so that its peak memory is its own):

1. creates the demo (``cxgap demo --scale N`` without its report: generation
   and storage, one transaction per table) in a temporary SQLite file, and
   with ``--postgres`` in a temporary PostgreSQL database too;
2. loads the study's inputs (answers as the wide frame, accounts, events,
   interview notes) from each database;
3. runs the whole analysis (:func:`cxgap.service.studies.analyze_inputs`) and
   gathers the report data (balance timelines);
4. draws the charts (SVG) and writes each format: HTML, XLSX, PPTX, and
   PDF with ``--pdf``;
5. runs ``cxgap analyze demo --json`` as a subprocess (the whole command:
   start-up, loading, analysis, JSON).

It prints one line per phase and the peak resident memory of the process
(and of the ``analyze`` subprocess), then a table of every scale.

    .venv/bin/python benchmarks/bench_report.py                       # scales 1 and 250
    .venv/bin/python benchmarks/bench_report.py --scale 1 --scale 20 --bootstrap 200
    .venv/bin/python benchmarks/bench_report.py --pdf \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CLI = Path(sys.executable).with_name("cxgap")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@contextmanager
def _pg_database(server: str) -> Iterator[str]:
    import psycopg

    admin_url = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    name = f"cxgap_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Clock:
    """Times phases, prints each, keeps them for the summary."""

    def __init__(self, scale: int) -> None:
        self.scale = scale
        self.phases: dict[str, float] = {}
        self.sizes: dict[str, str] = {}

    def __call__(
        self, name: str, fn: Callable[[], Any], size: Callable[[Any], str] | None = None
    ) -> Any:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
        self.phases[name] = seconds
        extra = f"  ({size(result)})" if size is not None else ""
        if size is not None:
            self.sizes[name] = size(result)
        print(f"  scale {self.scale:>4}  {name:<34} {seconds:8.1f} s{extra}", flush=True)
        return result


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.2f} MB"


def _analyze_cli(url: str) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of ``cxgap analyze demo --json``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(CLI), "analyze", "demo", "--json", "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"cxgap analyze failed ({proc.returncode}): {err}")
    return seconds, usage.ru_maxrss / 1024


def _child(
    scale: int, bootstrap: int, pdf: bool, postgres: str | None, folder: Path
) -> dict[str, Any]:
    from cxgap.demo.install import install_demo
    from cxgap.report import build_report_data
    from cxgap.report.html import chart_uris, context, render_template
    from cxgap.report.pptx import write_pptx
    from cxgap.report.xlsx import write_xlsx
    from cxgap.service.studies import analyze_inputs, load_inputs
    from cxgap.settings import Settings
    from cxgap.store.db import Database

    clock = _Clock(scale)
    out: dict[str, Any] = {"scale": scale}
    url = f"sqlite:///{folder / 'bench.db'}"
    with Database.open(Settings.load(database_url=url)) as db:
        demo = clock("create demo, SQLite", lambda: install_demo(db, seed=7, scale=scale))
        out["counts"] = demo.counts()
        print(
            f"  scale {scale:>4}  " + ", ".join(f"{k} {v:,}" for k, v in out["counts"].items()),
            flush=True,
        )
        del demo
        out["rss_after_create_mib"] = _rss_mib()
        inputs = clock("load inputs, SQLite", lambda: load_inputs(db, "demo"))
    if postgres:
        with (
            _pg_database(postgres) as pg_url,
            Database.open(Settings.load(database_url=pg_url)) as pg,
        ):
            clock("create demo, PostgreSQL", lambda: install_demo(pg, seed=7, scale=scale))
            clock("load inputs, PostgreSQL", lambda: load_inputs(pg, "demo"))
    analysis = clock(
        f"analysis (bootstrap {bootstrap})",
        lambda: analyze_inputs(inputs, bootstrap=bootstrap),
    )
    data = clock(
        "report data (balance timelines)",
        lambda: build_report_data(
            inputs.study,
            analysis,
            inputs.events if analysis.ledger is not None else None,
            accounts=inputs.accounts,
        ),
    )
    uris = clock("charts (SVG)", lambda: chart_uris(data))

    def html() -> Path:
        path = folder / "report.html"
        path.write_text(render_template("report.html.j2", context(data, uris)), "utf-8")
        return path

    page = clock("HTML page", html, _mb)
    clock("XLSX workbook", lambda: write_xlsx(data, folder / "report.xlsx"), _mb)
    clock("PPTX deck (charts as PNG)", lambda: write_pptx(data, folder / "report.pptx"), _mb)
    if pdf:
        from cxgap.report.pdf import write_pdf

        clock(
            "PDF (WeasyPrint, from the HTML)",
            lambda: write_pdf(page.read_text("utf-8"), folder / "report.pdf"),
            _mb,
        )
    out["rss_mib"] = _rss_mib()
    out["phases"] = clock.phases
    out["sizes"] = clock.sizes
    print(f"  scale {scale:>4}  peak RSS of the benchmark: {out['rss_mib']:.0f} MiB", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, action="append", help="demo scale (repeat; default 1 and 250)"
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="driver bootstrap resamples")
    parser.add_argument("--pdf", action="store_true", help="also print the PDF (WeasyPrint)")
    parser.add_argument("--postgres", default=None, help="PostgreSQL server URL, no database")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    scales = args.scale or [1, 250]
    if args.child:
        result = _child(scales[0], args.bootstrap, args.pdf, args.postgres, Path(args.child))
        print("RESULT " + json.dumps(result))
        return

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = []
    for scale in scales:
        with tempfile.TemporaryDirectory() as folder:
            cmd = [sys.executable, __file__, "--child", folder, "--scale", str(scale)]
            cmd += ["--bootstrap", str(args.bootstrap)]
            cmd += ["--pdf"] if args.pdf else []
            cmd += ["--postgres", args.postgres] if args.postgres else []
            with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
                assert proc.stdout is not None
                for line in proc.stdout:
                    if line.startswith("RESULT "):
                        results.append(json.loads(line.removeprefix("RESULT ")))
                    else:
                        print(line, end="", flush=True)
            if proc.returncode != 0:
                raise SystemExit(f"scale {scale} failed ({proc.returncode})")
            # from this small process: a child's peak RSS includes its parent's at fork
            seconds, rss = _analyze_cli(f"sqlite:///{Path(folder) / 'bench.db'}")
            results[-1]["phases"]["cxgap analyze --json"] = seconds
            results[-1]["analyze_rss_mib"] = rss
            print(
                f"  scale {scale:>4}  {'cxgap analyze --json':<34} {seconds:8.1f} s"
                f"  (peak RSS {rss:.0f} MiB)",
                flush=True,
            )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    phases = list(dict.fromkeys(p for r in results for p in r["phases"]))
    print("\n| phase | " + " | ".join(f"scale {r['scale']}" for r in results) + " |")
    print("|---|" + "---:|" * len(results))
    for phase in phases:
        cells = [f"{r['phases'][phase]:.1f} s" if phase in r["phases"] else "–" for r in results]
        print(f"| {phase} | " + " | ".join(cells) + " |")
    print(
        "| peak RSS (benchmark process) | "
        + " | ".join(f"{r['rss_mib']:.0f} MiB" for r in results)
        + " |"
    )
    print(
        "| peak RSS (cxgap analyze) | "
        + " | ".join(f"{r['analyze_rss_mib']:.0f} MiB" for r in results)
        + " |"
    )


if __name__ == "__main__":
    main()
