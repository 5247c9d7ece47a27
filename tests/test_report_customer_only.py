"""A study imported from a customer-only export (issue 16): 1-5 service
ratings and a two-option satisfaction question marked as the outcome; no 0-10
likelihood to recommend, no leadership or staff, no stated importance, no
events, no open answers. Built from real answers (the airline passenger
survey). Every output uses what the data holds and says what is missing: no
"None", "nan", "– [–] (0)" or empty table anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import html5lib
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from pptx import Presentation

from cxgap.analysis.perception.proportions import wilson_interval
from cxgap.analysis.study import StudyAnalysis, analyze_study
from cxgap.report import build_report_data, write_report
from cxgap.report.data import ReportData
from cxgap.report.html import render_html
from cxgap.study.model import Factor, Question, StudyDefinition, Wave
from tests.realdata import real_data_path

SERVICES = {
    "wifi": "Inflight wifi service",
    "boarding": "Online boarding",
    "seat": "Seat comfort",
    "entertainment": "Inflight entertainment",
    "legroom": "Leg room service",
    "cleanliness": "Cleanliness",
}
N = 600
FORBIDDEN = ("None", "nan", "NaN", "– [–] (0)", "[–]", "-0.0", "−0.0", "p = <", "(0)")


def _study() -> StudyDefinition:
    questions = [
        Question(
            key=f"perf.{k}",
            text=label,
            kind="rating",
            audiences=["customer"],
            section="ratings",
            scale_min=1,
            scale_max=5,
            factor=k,
        )
        for k, label in SERVICES.items()
    ]
    questions.append(
        Question(
            key="satisfaction",
            text="Overall satisfaction",
            kind="choice",
            audiences=["customer"],
            section="outcome",
            items=["neutral or dissatisfied", "satisfied"],
        )
    )
    return StudyDefinition(
        slug="airline",
        name="Passenger survey",
        organisation="Airline",
        factors=[Factor(key=k, label=v) for k, v in SERVICES.items()],
        touchpoints=[],
        moments=[],
        segments=[],
        waves=[Wave(key="w1", label="Test split")],
        questions=questions,
    )


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    df = pd.read_csv(real_data_path("airline_passenger_satisfaction_test.csv"), nrows=N)
    return df


@pytest.fixture(scope="module")
def frame(raw: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "respondent_id": raw["id"].astype(str),
            "audience": "customer",
            "segment": None,
            "team": None,
            "account_id": None,
            "wave": "w1",
            "source": "individual",
        }
    )
    for k, col in SERVICES.items():
        out[f"perf.{k}"] = raw[col].replace(0, np.nan).astype(float)  # 0 = not applicable
    out["satisfaction"] = raw["satisfaction"]
    return out


@pytest.fixture(scope="module")
def analysis(frame: pd.DataFrame) -> StudyAnalysis:
    return analyze_study(_study(), frame, bootstrap=30)


@pytest.fixture(scope="module")
def data(analysis: StudyAnalysis) -> ReportData:
    return build_report_data(_study(), analysis, None)


def test_the_outcome_is_the_question_marked_outcome_coded_satisfied_1(
    analysis: StudyAnalysis, raw: pd.DataFrame
) -> None:
    s = analysis.outcome
    assert s is not None
    assert (s.outcome.key, s.outcome.kind, s.outcome.positive) == (
        "satisfaction",
        "two-level",
        "satisfied",
    )
    k = int((raw["satisfaction"] == "satisfied").sum())
    assert s.share is not None
    assert (s.share.successes, s.share.n) == (k, N)
    # Wilson (1927) by hand: centre and half-width of the score interval
    z, p = 1.959963984540054, k / N
    centre = (p + z * z / (2 * N)) / (1 + z * z / N)
    half = z / (1 + z * z / N) * np.sqrt(p * (1 - p) / N + z * z / (4 * N * N))
    assert (s.share.ci_low, s.share.ci_high) == pytest.approx((centre - half, centre + half))
    assert wilson_interval(k, N) == pytest.approx((centre - half, centre + half))
    want = f"{round(100 * p)}% of customers are satisfied"
    assert analysis.headline[0].startswith(want)
    assert f"(n = {N}" in analysis.headline[0]


def test_headline_says_the_gap_needs_leadership_and_staff_and_names_top_drivers(
    analysis: StudyAnalysis,
) -> None:
    text = " ".join(analysis.headline)
    assert "NPS" not in text
    assert "needs leadership and staff answers" in text
    assert "What moves “Overall satisfaction” most: Online boarding" in text


def test_drivers_and_derived_importance_explain_the_coded_outcome(
    analysis: StudyAnalysis, frame: pd.DataFrame
) -> None:
    assert analysis.drivers is not None
    (d,) = analysis.drivers
    assert d.outcome == "satisfaction"
    cols = [f"perf.{k}" for k in SERVICES]
    used = frame[cols].assign(y=(frame["satisfaction"] == "satisfied").astype(float)).dropna()
    x = np.column_stack([np.ones(len(used)), used[cols].to_numpy(float)])
    y = used["y"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    r2 = 1 - ((y - x @ beta) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert d.n == len(used)
    assert d.r2 == pytest.approx(r2, abs=1e-10)  # numpy OLS, not cxgap
    pr = analysis.priorities
    assert pr is not None
    assert pr.importance == "derived"
    assert pr.stated_vs_derived is None  # nobody stated importance
    assert pr.derived is not None and pr.derived.outcome == "satisfaction"
    assert "priorities" not in analysis.missing
    assert "drivers" not in analysis.missing


def _visible_text(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body)


def _check(text: str, where: str) -> None:
    for bad in FORBIDDEN:
        assert bad not in text, f"{where}: {bad!r} in {text[max(0, text.find(bad) - 80) :][:200]!r}"
    assert not re.search(r"(?<![\w.])-0(\.0+)?(?![\d.])", text), where


def test_html_has_no_empty_placeholders_and_says_what_is_missing(data: ReportData) -> None:
    page = render_html(data)
    html5lib.HTMLParser(strict=True).parse(page)
    text = _visible_text(page)
    _check(text, "html")
    assert "No 0-10 likelihood-to-recommend question" in text
    # no table without a body row
    for table in re.findall(r"<table.*?</table>", page, flags=re.S):
        assert re.search(r"<tbody>\s*<tr", table), table[:300]
    assert "needs leadership and staff answers" in text


def test_workbook_cells_have_no_placeholders(data: ReportData, tmp_path: Path) -> None:
    wb = load_workbook(write_report(data, tmp_path / "r.xlsx"))
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        assert len(rows) >= 2, f"sheet {ws.title} is an empty table"
        for row in rows:
            for cell in row:
                if isinstance(cell, str):
                    _check(cell, f"xlsx {ws.title}")
                if isinstance(cell, float):
                    assert np.isfinite(cell), ws.title


def test_deck_text_has_no_placeholders(data: ReportData, tmp_path: Path) -> None:
    prs = Presentation(str(write_report(data, tmp_path / "r.pptx")))
    texts = []
    for slide in prs.slides:
        for sh in slide.shapes:
            if sh.has_text_frame:
                texts.append(sh.text_frame.text)
            if sh.has_table:
                texts += [c.text for r in sh.table.rows for c in r.cells]
    whole = "\n".join(texts)
    _check(whole, "pptx")
    assert "satisfied" in whole


def test_cli_report_and_analyze_json_of_a_stored_customer_only_study(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    """The same study through the store and the command line."""
    import json

    from typer.testing import CliRunner

    from cxgap.cli import app
    from cxgap.settings import Settings
    from cxgap.store.db import Database
    from cxgap.store.frames import write_frame
    from cxgap.store.migrate import upgrade
    from cxgap.store.studies import save_study

    url = f"sqlite:///{tmp_path / 'airline.db'}"
    with Database.open(Settings.load(database_url=url)) as db:
        upgrade(db)
        save_study(db, _study())
        assert write_frame(db, "airline", frame.drop(columns=["team", "account_id"])) == N
    runner = CliRunner()
    out = tmp_path / "airline.html"
    res = runner.invoke(
        app, ["report", "airline", "--out", str(out), "--bootstrap", "20", "--db", url]
    )
    assert res.exit_code == 0, res.output
    text = _visible_text(out.read_text(encoding="utf-8"))
    _check(text, "cli html")
    assert "of customers are satisfied" in text
    res = runner.invoke(app, ["analyze", "airline", "--json", "--bootstrap", "0", "--db", url])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["outcome"]["outcome"]["key"] == "satisfaction"
    assert data["outcome"]["share"]["n"] == N
    assert data["headline"][0].endswith("Wilson 95% interval).")
    assert [d["outcome"] for d in data["drivers"]] == ["satisfaction"]
    assert data["priorities"]["importance"] == "derived"
    res = runner.invoke(app, ["analyze", "airline", "--bootstrap", "0", "--db", url])
    assert res.exit_code == 0, res.output
    assert "No 0-10 likelihood-to-recommend answers: no NPS." in res.stdout
    assert "None" not in res.stdout and "nan" not in res.stdout


def test_gap_heatmap_has_a_column_only_for_customers(data: ReportData) -> None:
    from cxgap.report.charts import gap_heatmap

    chart = gap_heatmap(data.analysis.gaps, data.labels, title="t", group_title="g")
    assert chart is not None
    spec = chart.to_dict()
    groups = {row["group"] for rows in spec["datasets"].values() for row in rows if "group" in row}
    assert groups == {"Customers"}
    lines = {row["line1"] for rows in spec["datasets"].values() for row in rows if "line1" in row}
    assert "no answers" not in lines
