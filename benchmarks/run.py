"""Run every benchmark at a small, quick size and print their figures.

    .venv/bin/python benchmarks/run.py            # all, small sizes
    .venv/bin/python benchmarks/run.py ledger     # those whose name contains "ledger"

Each ``bench_*.py`` script also runs on its own with its own size options
(``--help``); the figures reported in docs/PERFORMANCE.md come from those
runs at full size. Benchmarks are never part of the test suite.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Quick sizes for a smoke run of each script (arguments passed through).
QUICK: dict[str, list[str]] = {
    "bench_backup.py": ["--scale", "1"],
    "bench_drivers.py": ["--rows", "2000", "--factors", "6,8", "--bootstrap", "50"],
    "bench_import.py": ["--rows", "2000"],
    "bench_ledger.py": ["--events", "200000", "--accounts", "2000"],
    "bench_perception.py": ["--respondents", "10000", "--repeat", "1"],
    "bench_quick.py": ["--rows", "100000", "--repeat", "1"],
    "bench_report.py": ["--scale", "1", "--bootstrap", "100"],
    "bench_startup.py": ["--repeat", "3"],
    "bench_submit.py": ["--n", "50", "--concurrency", "2"],
    "bench_themes.py": ["--scale", "5000"],
}


def main(argv: list[str]) -> int:
    pattern = argv[0] if argv else ""
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        if pattern not in script.stem:
            continue
        args = QUICK.get(script.name, [])
        print(f"== {script.name} {' '.join(args)}", flush=True)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(script), *args], check=False)
        print(
            f"== {script.name}: exit {done.returncode} in {time.perf_counter() - start:.1f} s\n",
            flush=True,
        )
        failed += done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
