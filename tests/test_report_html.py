"""The HTML report of the demo company: valid HTML, self-contained, the same
numbers as `cxgap analyze --json`, user text escaped, small teams suppressed,
and missing sections saying what to collect."""

from __future__ import annotations

import json
import re
from typing import Any

import html5lib
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxgap.analysis.voice.assembly import analyze_voice
from cxgap.cli import app
from cxgap.demo.install import install_demo
from cxgap.report import build_report_data, load_report_data
from cxgap.report.data import ReportData
from cxgap.report.html import render_html
from cxgap.settings import Settings
from cxgap.store.actions import ActionItem, add_action
from cxgap.store.db import Database
from cxgap.store.frames import load_frame

runner = CliRunner()
EVIL = "<script>alert('x')</script> =HYPERLINK(\"http://evil\") & more"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'demo.db'}"
    with Database.open(Settings.load(database_url=url)) as db:
        install_demo(db, seed=7)
        add_action(db, "demo", ActionItem(title=EVIL, factor="resolution", owner="<b>Ann</b>"))
    return url


@pytest.fixture(scope="module")
def data(demo_url: str) -> ReportData:
    with Database.open(Settings.load(database_url=demo_url)) as db:
        return load_report_data(db, "demo", bootstrap=50)


@pytest.fixture(scope="module")
def html(data: ReportData) -> str:
    return render_html(data)


@pytest.fixture(scope="module")
def analysis_json(demo_url: str) -> dict[str, Any]:
    result = runner.invoke(
        app, ["analyze", "demo", "--json", "--bootstrap", "50", "--db", demo_url]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _values(html: str) -> dict[str, float]:
    """Every ``data-key``/``data-value`` pair of the page."""
    pairs = re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', html)
    return {k: float(v) for k, v in pairs if v}


def test_html_is_valid_per_the_html5_parser(html: str) -> None:
    # html5lib's strict parser raises on every parse error of the WHATWG spec
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(html)


def test_html_loads_nothing_from_other_hosts(html: str) -> None:
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html.replace("&lt;script", "")
    assert html.count('src="data:image/svg+xml;base64,') >= 8


def test_headline_numbers_equal_analyze_json(html: str, analysis_json: dict[str, Any]) -> None:
    values = _values(html)
    for share in analysis_json["excellent"]["shares"]:
        # Attributes carry the precision the page shows (42%, -14.1), no more.
        assert values[f"excellent.{share['audience']}.share"] == round(
            share["estimate"]["share"], 2
        )
    assert values["nps.customers.nps"] == round(analysis_json["nps"]["customers"]["nps"], 1)
    for p in analysis_json["nps"]["predicted"]:
        assert values[f"nps.predicted.{p['audience']}"] == round(p["expected"]["nps"], 1)
        assert values[f"nps.gap.{p['audience']}"] == round(p["gap"], 1)
    rar = analysis_json["ledger"]["revenue_at_risk"]["revenue_below_threshold"]
    assert values["ledger.revenue_below_threshold"] == round(rar)


def test_gap_matrix_means_equal_analyze_json(html: str, analysis_json: dict[str, Any]) -> None:
    values = _values(html)
    cells = [c for c in analysis_json["gaps"]["cells"] if not c["suppressed"]]
    assert len(cells) == 36
    for c in cells:
        assert values[f"gaps.{c['item']}.{c['group']}"] == round(c["mean"], 2)
    for c in analysis_json["gaps"]["comparisons"]:
        if c["b"] == "customer" and not c["suppressed"]:
            assert values[f"gaps.diff.{c['item']}.{c['a']}"] == round(c["difference"], 2)


def test_every_section_is_there_in_reading_order(html: str) -> None:
    ids = re.findall(r'<section id="([^"]+)"', html)
    assert ids == [
        "headline",
        "gaps",
        "priorities",
        "drivers",
        "defection",
        "voice",
        "hot-spots",
        "accounts",
        "actions",
        "waves",
        "methods",
    ]
    for words in (
        "Concentrate here",
        "hidden driver",
        "Revenue at risk",
        "Hot spots",
        "Candidate actions",
        "One escalation path",
        "Is the gap closing?",
    ):
        assert words in html


def test_user_text_is_escaped(html: str) -> None:
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html


def test_small_team_never_appears(html: str, data: ReportData, demo_url: str) -> None:
    with Database.open(Settings.load(database_url=demo_url)) as db:
        frame = load_frame(db, "demo")
    billing = frame[(frame["audience"] == "staff") & (frame["team"] == "billing")]
    assert 0 < len(billing[billing["wave"] == data.analysis.wave]) < 5
    texts = billing[[c for c in frame.columns if c.startswith("open.")]].stack().dropna()
    assert len(texts) > 0
    assert "I work in billing" not in html
    # the billing column of the team matrix is suppressed, cell by cell, and so
    # is a complement (the staff total minus five shown teams would be billing)
    assert html.count('data-suppressed="true"') == 24
    assert not any(k.startswith("teams.") and k.endswith(".billing") for k in _values(html))
    assert len([k for k in _values(html) if k.startswith("teams.")]) == 48


def test_missing_sections_say_what_to_collect(data: ReportData) -> None:
    a = data.analysis
    bare = a.model_copy(
        update={
            "ledger": None,
            "consistency": None,
            "hot_spots": None,
            "drivers": None,
            "priorities": None,
            "defection_risks": None,
            "voice": None,
            "missing": {"ledger": "interaction events per account"},
        }
    )
    page = render_html(build_report_data(data.study, bare, pd.DataFrame()), charts={})
    html5lib.HTMLParser(strict=True).parse(page)
    assert page.count('class="missing"') >= 6
    assert "To fill this section, collect interaction events per account" in page
    assert "To fill this section, collect open answers" in page


def test_voice_section_renders_themes_with_their_shares(data: ReportData, demo_url: str) -> None:
    with Database.open(Settings.load(database_url=demo_url)) as db:
        frame = load_frame(db, "demo")
    voice = analyze_voice(data.study, frame, wave=data.analysis.wave, permutations=0)
    with_voice = data.model_copy(
        update={"analysis": data.analysis.model_copy(update={"voice": voice})}
    )
    page = render_html(with_voice, charts={})
    html5lib.HTMLParser(strict=True).parse(page)
    values = _values(page)
    checked = 0
    for q in voice.questions:
        for t in q.themes.themes if q.themes else []:
            for group, share in t.share_by_group.items():
                if share.share is not None:
                    assert values[f"voice.{q.question}.{t.id}.{group}"] == round(share.share, 2)
                    checked += 1
    assert checked > 20
    assert "I work in billing" not in page
    assert "To fill this section, collect open answers" not in page


def test_threshold_paragraph_shows_the_out_of_sample_figures(
    html: str, analysis_json: dict[str, Any]
) -> None:
    v = analysis_json["ledger"]["threshold_detail"]["validation"]
    assert v["sample"] == "out"
    assert v["youden_j"] is not None
    assert f"Out of sample ({v['folds']}-fold cross-validation" in html
    assert "optimistic" in html
