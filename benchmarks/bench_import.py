"""Import throughput: a synthetic Qualtrics export of N customer responses
(three header rows, every customer question of the default study, open text
in two columns) read, validated and written to a database.

    .venv/bin/python benchmarks/bench_import.py --rows 10000
    .venv/bin/python benchmarks/bench_import.py --rows 100000 --db postgresql+psycopg://...

Prints the time of each stage and rows per second. A fresh SQLite file in a
temporary folder is used unless --db names a database (its schema is reset).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np

from cxgap.ingest.formats import read_export
from cxgap.ingest.responses import parse_responses
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.frames import load_frame, write_frame
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.study import default_study


def write_export(path: Path, rows: int, seed: int = 1) -> None:
    study = default_study("bench", organisation="Bench")
    rng = np.random.default_rng(seed)
    qs = [q for q in study.questions_for("customer") if q.kind in ("rating", "nps", "text")]
    names = ["StartDate", "Finished", "ResponseId"] + [f"Q{i + 1}" for i in range(len(qs))]
    texts = ["Start Date", "Finished", "Response ID"] + [q.text for q in qs]
    ids = ['{"ImportId":"startDate"}', '{"ImportId":"finished"}', '{"ImportId":"_recordId"}']
    ids += [f'{{"ImportId":"QID{i + 1}"}}' for i in range(len(qs))]
    words = np.array(["Fast and friendly", "Slow to answer tickets", "", "Keep the QBRs"])
    cols = []
    for q in qs:
        if q.kind == "text":
            cols.append(words[rng.integers(0, len(words), rows)])
        else:
            lo, hi = int(q.scale_min or 0), int(q.scale_max or 0)
            cols.append(rng.integers(lo, hi + 1, rows).astype(str))
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerows([names, texts, ids])
        for i in range(rows):
            w.writerow(["2026-03-01 10:00:00", "1", f"R_{i:012d}", *(c[i] for c in cols)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "qualtrics.csv"
        t0 = time.perf_counter()
        write_export(export, args.rows)
        t1 = time.perf_counter()
        url = args.db or f"sqlite:///{tmp}/bench.db"
        db = Database.open(Settings.load(database_url=url))
        if db.dialect == "postgresql":
            with db.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade(db)
        study = default_study("bench", organisation="Bench")
        save_study(db, study)
        t2 = time.perf_counter()
        ex = read_export(export)
        t3 = time.perf_counter()
        parsed = parse_responses(ex, study, audience="customer", wave="w1")
        assert not parsed.problems and not parsed.file_problems
        t4 = time.perf_counter()
        n = write_frame(db, "bench", parsed.valid_frame, file=str(export))
        t5 = time.perf_counter()
        again = write_frame(db, "bench", parsed.valid_frame, file=str(export))
        t6 = time.perf_counter()
        stored = len(load_frame(db, "bench"))
        db.close()
    answers = int(parsed.valid_frame.iloc[:, 8:].notna().sum().sum())
    print(f"database: {db.dialect}; rows: {args.rows:,}; answers: {answers:,}; stored: {stored:,}")
    print(f"generate export      {t1 - t0:7.2f} s")
    print(f"read + detect        {t3 - t2:7.2f} s")
    print(f"map + validate       {t4 - t3:7.2f} s  ({args.rows / (t4 - t3):,.0f} rows/s)")
    print(f"write (1 txn)        {t5 - t4:7.2f} s  ({n / (t5 - t4):,.0f} rows/s)")
    print(f"re-import (0 new)    {t6 - t5:7.2f} s  (wrote {again})")
    total = t5 - t2
    print(f"import total         {total:7.2f} s  ({args.rows / total:,.0f} rows/s)")


if __name__ == "__main__":
    main()
