"""Every number the XLSX workbook, the PPTX deck and ``cxgap analyze --json``
show is at display precision (issue 15), and the differencing attack on
those outputs of the demo gives back no withheld team.

The attack (as in tests/test_disclosure_attacks.py, here played on what the
outputs publish rather than on the analysis objects): each staff figure an
output shows, the staff cell of an item and every team cell not withheld, is
a linear equation over the respondents' answers, with the n the output
prints. A withheld team is recovered when the indicator of its respondents
lies in the span of the published indicators (least squares), or when the
staff total minus the shown teams leaves fewer than the threshold.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from pptx import Presentation
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.contracts.disclosure import counted_rows
from cxgap.contracts.precision import display_rounded, round_significant
from cxgap.report import write_report
from cxgap.report.data import load_report_data
from cxgap.service.studies import analyze
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.studies import load_study

runner = CliRunner()
P_KEY = re.compile(r"^(?:p|p_.*|.*_p|p_value|pvalue)$")


def test_the_rounding_rules_by_hand() -> None:
    given = {
        "mean": 3.14159,
        "share": 0.42371,
        "n": 12,
        "ok": True,
        "label": "3.14159",
        "p_welch_holm": 0.0004567,
        "p": 0.2345,
        "customers": {"nps": -14.0625, "ci_low": -30.04, "ci_high": 2.96, "n": 64},
        "predicted": [{"expected": {"nps": 40.123}, "gap": 54.1856, "ci_low": 30.05}],
        "missing": None,
        "nan": float("nan"),
    }
    out = display_rounded(given)
    assert out["mean"] == 3.14 and out["share"] == 0.42 and out["n"] == 12
    assert out["ok"] is True and out["label"] == "3.14159" and out["missing"] is None
    assert (out["p_welch_holm"], out["p"]) == (0.00046, 0.23)
    assert out["customers"] == {"nps": -14.1, "ci_low": -30.0, "ci_high": 3.0, "n": 64}
    assert out["predicted"] == [{"expected": {"nps": 40.1}, "gap": 54.2, "ci_low": 30.1}]
    assert math.isnan(out["nan"])
    assert given["mean"] == 3.14159  # the input is left as it was
    assert display_rounded(out) == {**out, "nan": out["nan"]}  # rounding twice changes nothing
    assert round_significant(123456.0) == 120000.0


def _floats(value: Any, key: str = "") -> list[tuple[str, float]]:
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _floats(v, str(k))]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v, key)]
    return [(key, value)] if isinstance(value, float) else []


def _decimals(x: float) -> int:
    text = repr(x)
    return 0 if "e" in text or "." not in text else len(text.split(".")[1].rstrip("0"))


def test_analyze_json_is_rounded_unless_precise(demo_db_url: str) -> None:
    args = ["analyze", "demo", "--json", "--bootstrap", "20", "--db", demo_db_url]
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0, shown.stderr
    floats = _floats(json.loads(shown.stdout))
    assert len(floats) > 500
    long = [(k, x) for k, x in floats if not P_KEY.match(k) and _decimals(x) > 2]
    assert long == []
    precise = runner.invoke(app, [*args, "--precise"])
    assert precise.exit_code == 0, precise.stderr
    full = json.loads(precise.stdout)
    assert max(_decimals(x) for _, x in _floats(full)) > 10
    cells = {(c["item"], c["group"]): c for c in full["gaps"]["cells"]}
    rounded = {(c["item"], c["group"]): c for c in json.loads(shown.stdout)["gaps"]["cells"]}
    key = ("perf.resolution", "customer")
    assert rounded[key]["mean"] == round(cells[key]["mean"], 2) != cells[key]["mean"]


def _json_cells(analysis: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(item, group, n) of every staff and team figure the JSON shows."""
    cells = [
        (c["item"], "staff", c["n"])
        for c in analysis["gaps"]["cells"]
        if c["group"] == "staff" and not c["suppressed"]
    ]
    teams = analysis["teams"]["cells"] if analysis["teams"] else []
    return cells + [(c["item"], c["group"], c["n"]) for c in teams if not c["suppressed"]]


def _attack(
    frame: pd.DataFrame, wave: str, shown: list[tuple[str, str, int]], threshold: int
) -> list[str]:
    """The withheld teams of ``wave`` that the shown (item, group, n) give back."""
    staff = (frame["audience"] == "staff") & (frame["wave"] == wave)
    equations: dict[str, list[np.ndarray]] = {}
    for item, group, n in shown:
        rows = staff & frame[item].notna()
        if group != "staff":
            rows &= frame["team"] == group
        assert int(rows.sum()) == n, (item, group)  # the output's n is these respondents
        equations.setdefault(item, []).append(frame.index.isin(rows[rows].index).astype(float))
    counted = counted_rows(frame)
    found = []
    for item, vectors in equations.items():
        answered = staff & frame[item].notna()
        total = int(answered.sum())
        shown_teams = sum(n for i, g, n in shown if i == item and g != "staff")
        if 0 < total - shown_teams < threshold:
            found.append(f"the remainder of {item} in {wave}")
        design = np.array(vectors).T
        for team, members in frame[answered].groupby("team").groups.items():
            if counted[frame.index.isin(members)].sum() >= threshold:
                continue
            target = frame.index.isin(members).astype(float)
            x, *_ = np.linalg.lstsq(design, target, rcond=None)
            if np.allclose(design @ x, target, atol=1e-9):
                found.append(f"{team} in {wave} on {item}")
    return found


def test_the_json_of_each_wave_gives_back_no_withheld_team(demo_db_url: str) -> None:
    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        study, frame = load_study(db, "demo"), load_frame(db, "demo")
        outputs = {
            w: display_rounded(analyze(db, "demo", wave=w, bootstrap=20).to_json_dict())
            for w in study.wave_keys()
        }
    billing = frame[(frame["audience"] == "staff") & (frame["team"] == "billing")]
    assert 0 < billing.groupby("wave").size().max() < study.anonymity_threshold
    for wave, analysis in outputs.items():
        shown = _json_cells(analysis)
        assert any(g == "support" for _, g, _ in shown)  # teams are shown
        assert _attack(frame, wave, shown, study.anonymity_threshold) == []


def test_the_attack_on_the_json_finds_billing_without_complements(
    monkeypatch: pytest.MonkeyPatch, demo_db_url: str
) -> None:
    """The attack is real: with primary suppression only, the same JSON gives
    billing back on every item."""
    import cxgap.analysis.perception.gaps as gaps

    real = gaps.gap_matrix

    def primary_only(*args: Any, **kwargs: Any) -> Any:
        kwargs.update(complementary=False, withheld=())
        return real(*args, **kwargs)

    monkeypatch.setattr("cxgap.analysis.perception.assembly.gap_matrix", primary_only)
    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        study, frame = load_study(db, "demo"), load_frame(db, "demo")
        analysis = display_rounded(analyze(db, "demo", wave="w2", bootstrap=20).to_json_dict())
    found = _attack(frame, "w2", _json_cells(analysis), study.anonymity_threshold)
    assert any(f.startswith("billing in w2") for f in found)


@pytest.fixture(scope="module")
def report_files(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("precision")
    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        data = load_report_data(db, "demo", bootstrap=20)
        frame = load_frame(db, "demo")
    return {
        "data": data,
        "frame": frame,
        "xlsx": write_report(data, out / "r.xlsx"),
        "pptx": write_report(data, out / "r.pptx"),
    }


def test_the_workbook_is_rounded_and_gives_back_no_withheld_team(
    report_files: dict[str, Any],
) -> None:
    data = report_files["data"]
    wb = load_workbook(report_files["xlsx"])
    numbers = []
    for ws in wb.worksheets:
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2, values_only=True):
            numbers += [
                (ws.title, h, v) for h, v in zip(header, row, strict=False) if isinstance(v, float)
            ]
    assert len(numbers) > 200
    # p-values keep 2 significant digits; everything else at most 2 decimals
    p_value = re.compile(r"^p(?: \(|$)")
    long = [n for n in numbers if _decimals(n[2]) > 2 and not p_value.match(str(n[1]))]
    assert long == []
    by_label = {v: k for k, v in data.labels.items()}
    shown = []
    for title in ("Gap matrix", "Teams"):
        for item, group, n, *_rest in wb[title].iter_rows(min_row=2, values_only=True):
            if item is None or n is None:
                continue  # a note, or a withheld cell (no n)
            group = by_label.get(group, group)
            if title == "Teams" or group == "staff":
                shown.append((by_label.get(item, item), group, n))
    assert any(g == "support" for _, g, _ in shown)
    threshold = data.analysis.study.anonymity_threshold
    assert _attack(report_files["frame"], data.analysis.wave, shown, threshold) == []


def test_the_deck_shows_no_number_past_display_precision(report_files: dict[str, Any]) -> None:
    prs = Presentation(str(report_files["pptx"]))
    text = " ".join(sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame)
    cells = " ".join(
        c.text
        for s in prs.slides
        for sh in s.shapes
        if sh.has_table
        for r in sh.table.rows
        for c in r.cells
    )
    assert re.findall(r"\d+\.\d{3,}", text + " " + cells) == []
    assert re.findall(r"\d+\.\d{1,2}", text + " " + cells)  # numbers are shown
