"""Benchmark: ``cxgap ledger FILE --accounts FILE`` on a large events file, and
its derived event ids column-wise against the row-by-row version they replace.

The script writes ``--events`` interaction events (account, timestamp to the
second, touchpoint, moment, outcome, severity; no source ids, so every id is
derived) over ``--accounts`` accounts, and an accounts file, then times in the
same process and run:

* ``_with_derived_ids`` (column-wise, as shipped) against the row-by-row
  version it replaced (``DataFrame.map(str)``, ``itertuples``, one hash per
  row), kept here verbatim; both give the same ids (checked);
* ``cxgap ledger FILE --accounts FILE --json`` end to end (through the Typer
  app), with each of the two in place, so the share of the ids in the whole
  command shows.

    .venv/bin/python benchmarks/bench_ledger_file.py               # 1,000,000 events
    .venv/bin/python benchmarks/bench_ledger_file.py --events 200000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from reference_event_ids import row_by_row_ids
from typer.testing import CliRunner

import cxgap.ingest.events as events_module
from cxgap.cli import app
from cxgap.ingest.events import parse_events
from cxgap.ingest.tables import read_table


def write_files(folder: Path, n_events: int, n_accounts: int, seed: int = 0) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    outcome = rng.choice(["met", "exceeded", "failed"], n_events, p=[0.7, 0.15, 0.15])
    severity = np.where(outcome == "failed", rng.integers(1, 4, n_events).astype(str), "")
    start = np.datetime64("2025-01-01T00:00:00")
    seconds = rng.integers(0, 540 * 86400, n_events)
    events = pd.DataFrame(
        {
            "account": [f"A{i:05d}" for i in rng.integers(0, n_accounts, n_events)],
            "timestamp": (start + seconds.astype("timedelta64[s]")).astype(str),
            # Short words: 1,000,000 events must fit in the 50 MiB a table file may have.
            "touchpoint": rng.choice(["web", "call", "mail"], n_events),
            "moment": rng.choice(["routine", "problem_resolution", "implementation"], n_events),
            "outcome": outcome,
            "severity": severity,
        }
    )
    accounts = pd.DataFrame(
        {
            "account": [f"A{i:05d}" for i in range(n_accounts)],
            "defected_at": "",
            "revenue": rng.integers(1_000, 500_000, n_accounts),
        }
    )
    events_path, accounts_path = folder / "events.csv", folder / "accounts.csv"
    events.to_csv(events_path, index=False)
    accounts.to_csv(accounts_path, index=False)
    return events_path, accounts_path


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each (best kept)")
    opts = parser.parse_args()
    shipped = events_module._with_derived_ids
    with tempfile.TemporaryDirectory() as tmp:
        events_path, accounts_path = write_files(Path(tmp), opts.events, opts.accounts)
        parsed = parse_events(read_table(events_path), as_of=pd.Timestamp("2026-07-01"))
        parsed["source_id"] = None  # every id derived, as in the file
        assert shipped(parsed).equals(row_by_row_ids(parsed)), "ids differ"
        t_old = best(lambda: row_by_row_ids(parsed), opts.repeat)
        t_new = best(lambda: shipped(parsed), opts.repeat)

        args = ["ledger", str(events_path), "--accounts", str(accounts_path)]
        args += ["--as-of", "2026-07-01", "--json"]
        runner = CliRunner()

        def command() -> None:
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output

        command()  # warm-up: the first run also pays for the imports
        try:
            events_module._with_derived_ids = row_by_row_ids
            c_old = best(command, opts.repeat)
        finally:
            events_module._with_derived_ids = shipped
        c_new = best(command, opts.repeat)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{opts.events:,} events, {opts.accounts:,} accounts; best of {opts.repeat}; "
        f"load average {load:.2f}, {os.cpu_count()} CPUs"
    )
    print(f"  derived ids, row by row (before)  {t_old:7.2f} s")
    print(f"  derived ids, column-wise (now)    {t_new:7.2f} s   {t_old / t_new:5.1f}x faster")
    print(f"  cxgap ledger, ids row by row      {c_old:7.2f} s   ids {t_old / c_old:4.0%} of it")
    print(f"  cxgap ledger, ids column-wise     {c_new:7.2f} s   ids {t_new / c_new:4.0%} of it")
    print(f"  cxgap ledger speed-up             {c_old / c_new:7.2f}x")


if __name__ == "__main__":
    main()
