"""A study with customers only (no leadership, staff, events, open answers
or second wave): every format is still written, and each empty section says
what to collect instead of vanishing or crashing."""

from __future__ import annotations

from pathlib import Path

import html5lib
import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from openpyxl import load_workbook
from pptx import Presentation

from cxgap.analysis.study import analyze_study
from cxgap.report import build_report_data, write_report
from cxgap.report.data import ReportData
from cxgap.report.html import render_html
from cxgap.study import default_study


@pytest.fixture(scope="module")
def data() -> ReportData:
    study = default_study("tiny", organisation="Tiny Ltd")
    rng = np.random.default_rng(1)
    n = 40
    frame = pd.DataFrame(
        {
            "respondent_id": [f"c{i}" for i in range(n)],
            "audience": "customer",
            "segment": rng.choice(["top", "other"], n),
            "team": None,
            "account_id": None,
            "wave": study.wave_keys()[0],
            "source": "individual",
        }
    )
    for f in study.factors:
        frame[f"perf.{f.key}"] = rng.integers(1, 6, n).astype(float)
    frame["ltr"] = rng.integers(0, 11, n).astype(float)
    frame["excellent"] = rng.integers(1, 6, n).astype(float)
    analysis = analyze_study(study, frame, bootstrap=20)
    return build_report_data(study, analysis, None)


def test_html_of_a_sparse_study_says_what_to_collect(data: ReportData) -> None:
    page = render_html(data)
    html5lib.HTMLParser(strict=True).parse(page)
    for key in ("ledger", "defection_risks", "voice", "consistency"):
        assert key in data.analysis.missing
        assert str(escape(data.analysis.missing[key])) in page
    # no stated importance: the priorities use importance derived from ltr
    pr = data.analysis.priorities
    assert pr is not None and pr.importance == "derived"
    assert pr.derived is not None and pr.derived.outcome == "ltr"
    assert "No customer stated how important each factor is" in page
    assert "a second wave of the same study" in page
    assert page.count('class="missing"') >= 7


def test_workbook_and_deck_of_a_sparse_study(data: ReportData, tmp_path: Path) -> None:
    wb = load_workbook(write_report(data, tmp_path / "r.xlsx"))
    missing = {r[0]: r[1] for r in wb["Missing data"].iter_rows(min_row=2, values_only=True)}
    assert missing == data.analysis.missing
    prs = Presentation(str(write_report(data, tmp_path / "r.pptx")))
    notes = [
        sh.text_frame.text
        for s in prs.slides
        for sh in s.shapes
        if sh.has_text_frame and sh.text_frame.text.startswith("No data yet.")
    ]
    assert len(prs.slides) == 12
    assert len(notes) >= 5
