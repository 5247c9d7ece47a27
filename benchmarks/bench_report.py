"""Benchmark: building the report of the demo company at a given scale.

Creates the demo company (``cxgap demo --scale N``) in a temporary SQLite
file, then times separately: the analysis and data loading
(:func:`cxgap.report.load_report_data`), drawing the charts (SVG), and
writing each format (HTML, XLSX, PPTX, and PDF with ``--pdf``). Prints one
line per part and the size of each file.

    .venv/bin/python benchmarks/bench_report.py                 # scale 1
    .venv/bin/python benchmarks/bench_report.py --scale 20 --bootstrap 200
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cxgap.demo.install import install_demo
from cxgap.report import load_report_data
from cxgap.report.html import chart_uris, context, render_template
from cxgap.report.pptx import write_pptx
from cxgap.report.xlsx import write_xlsx
from cxgap.settings import Settings
from cxgap.store.db import Database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="demo scale (respondents × N)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="driver bootstrap resamples")
    parser.add_argument("--pdf", action="store_true", help="also print the PDF (WeasyPrint)")
    parser.add_argument("--no-pptx", action="store_true", help="skip the slide deck")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'bench.db'}"
        with Database.open(Settings.load(database_url=url)) as db:
            t = time.perf_counter()
            created = install_demo(db, seed=7, scale=args.scale)
            counts = created.counts()
            print(f"scale {args.scale}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            print(f"  create demo            {time.perf_counter() - t:7.1f} s")

            t = time.perf_counter()
            data = load_report_data(db, "demo", bootstrap=args.bootstrap)
            print(
                f"  analyse + load         {time.perf_counter() - t:7.1f} s"
                f"  (bootstrap {args.bootstrap})"
            )

        t = time.perf_counter()
        uris = chart_uris(data)
        print(f"  charts (SVG, {len(uris)})       {time.perf_counter() - t:7.1f} s")

        t = time.perf_counter()
        html = render_template("report.html.j2", context(data, uris))
        out = folder / "report.html"
        out.write_text(html, encoding="utf-8")
        print(
            f"  HTML page              {time.perf_counter() - t:7.1f} s"
            f"  ({out.stat().st_size / 1e6:.2f} MB)"
        )

        t = time.perf_counter()
        xlsx = write_xlsx(data, folder / "report.xlsx")
        print(
            f"  XLSX                   {time.perf_counter() - t:7.1f} s"
            f"  ({xlsx.stat().st_size / 1e6:.2f} MB)"
        )

        if not args.no_pptx:
            t = time.perf_counter()
            deck = write_pptx(data, folder / "report.pptx")
            print(
                f"  PPTX (charts as PNG)   {time.perf_counter() - t:7.1f} s"
                f"  ({deck.stat().st_size / 1e6:.2f} MB)"
            )

        if args.pdf:
            from cxgap.report.pdf import write_pdf

            t = time.perf_counter()
            pdf = write_pdf(html, folder / "report.pdf")
            print(
                f"  PDF (from the HTML)    {time.perf_counter() - t:7.1f} s"
                f"  ({pdf.stat().st_size / 1e6:.2f} MB)"
            )


if __name__ == "__main__":
    main()
