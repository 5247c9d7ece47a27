"""Benchmark: how long the ``cxgap`` command takes to start, against the
floor any Typer application pays, ``python -c "import typer"`` (and, for
reference, a two-command Typer app running one command).

Each figure is the best of ``--repeat`` whole processes (a fresh interpreter
each, as a user runs them), so a busy machine inflates them less than a mean
would; the cases are measured in turns in the same run, so they share the
load. Issue 19's goal: ``cxgap --help`` and ``cxgap version`` within 4x the
floor.

    .venv/bin/python benchmarks/bench_startup.py              # best of 15
    .venv/bin/python benchmarks/bench_startup.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: A two-command Typer app running one command without parameters: what Typer
#: itself adds to the floor once a command runs (it converts each parameter's
#: value, the --help flag's too, with pydantic: typer._adapters).
_TINY_APP = """
import typer
app = typer.Typer()
@app.command()
def version() -> None:
    print("0")
@app.command()
def other() -> None:
    pass
app()
"""

#: What is timed: the floor first, the ratios are to it.
CASES: dict[str, list[str]] = {
    'python -c "import typer"': ["-c", "import typer"],
    "tiny Typer app's version": ["-c", _TINY_APP, "version"],
    "cxgap --help": ["-c", "from cxgap.cli import main; main()", "--help"],
    "cxgap version": ["-c", "from cxgap.cli import main; main()", "version"],
}


def _once(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="processes per case (best kept)")
    opts = parser.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    best = dict.fromkeys(CASES, float("inf"))
    for _ in range(opts.repeat):
        # In turns, so a burst of load elsewhere hits every case alike.
        for name, args in CASES.items():
            best[name] = min(best[name], _once(args, env))
    floor = best['python -c "import typer"']
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"best of {opts.repeat} processes, load average {load:.2f}, {os.cpu_count()} CPUs")
    for name, seconds in best.items():
        print(f"  {name:<28} {seconds * 1000:7.0f} ms  {seconds / floor:5.1f}x")


if __name__ == "__main__":
    main()
