"""Honest number formats (issue 18): ``p < 0.001`` never ``p = < 0.001``, no
``-0`` after rounding, differences of shares and their intervals in points."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxgap.cli._common import fmt
from cxgap.contracts import numbers as n
from cxgap.report import _format as rf

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "cxgap" / "report" / "templates"


@pytest.mark.parametrize(
    ("x", "digits", "want"),
    [
        (-0.004, 2, "0.00"),
        (-0.0049999, 2, "0.00"),
        (-0.005001, 2, "-0.01"),
        (-0.04, 1, "0.0"),
        (-0.4, 0, "0"),
        (-0.6, 0, "-1"),
        (0.0, 1, "0.0"),
        (-0.0, 1, "0.0"),
        (2.345, 1, "2.3"),
        (float("nan"), 2, "–"),
        (float("-inf"), 2, "–"),
        (None, 2, "–"),
    ],
)
def test_num_never_writes_minus_zero(x: float | None, digits: int, want: str) -> None:
    assert n.num(x, digits) == want
    assert fmt(x, digits) == want  # the command line's tables use the same rule


@pytest.mark.parametrize(
    ("x", "digits", "want"),
    [
        (0.421, 2, "+0.42"),
        (-1.3, 2, "-1.30"),
        (-0.0004, 2, "0.00"),
        (0.0004, 2, "0.00"),
        (-0.04, 1, "0.0"),
        (-0.05, 1, "-0.1"),  # -0.05 is a hair beyond -0.05 in binary
        (12.0, 0, "+12"),
    ],
)
def test_signed_has_no_sign_on_zero(x: float, digits: int, want: str) -> None:
    assert n.signed(x, digits) == want


def test_shares_differences_and_their_intervals_are_in_points() -> None:
    assert n.pct(0.4237) == "42%"
    assert n.pct(-0.001) == "0%"
    assert n.signed_pts(0.123) == "+12 pts"
    assert n.signed_pts(-0.004) == "0 pts"
    assert n.ci_pts(-0.031, 0.204) == "[-3, +20] pts"
    assert n.ci_pts(-0.004, 0.004) == "[0, 0] pts"
    assert n.ci_pts(None, 0.2) == "[–]"
    # an interval of a share stays in per cent
    assert n.ci(0.1234, 0.5, pct=True) == "[12%, 50%]"
    assert n.ci(-0.001, 0.5) == "[0.00, 0.50]"


@pytest.mark.parametrize(
    ("p", "text", "cell"),
    [
        (0.0123, "p = 0.012", "0.012"),
        (0.00099, "p < 0.001", "< 0.001"),
        (1e-12, "p < 0.001", "< 0.001"),
        (0.001, "p = 0.001", "0.001"),
        (1.0, "p = 1.000", "1.000"),
        (None, "p = –", "–"),
    ],
)
def test_p_values_read_as_a_sentence_or_a_cell(p: float | None, text: str, cell: str) -> None:
    assert n.p_text(p) == text
    assert n.pval(p) == cell
    assert "= <" not in n.p_text(p)


def test_report_formatters_follow_the_same_rules() -> None:
    assert rf.money(-0.4) == "0"
    assert rf.money(1234567.4) == "1,234,567"
    assert rf.raw(-0.001, 2) == "0.0"
    assert rf.signed_pct is rf.signed_pts


def test_no_template_writes_p_equals_before_a_formatted_p_value() -> None:
    """``p = {{ pval(...) }}`` printed ``p = < 0.001``: sentences use p_text."""
    for path in TEMPLATES.glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"p\s*=\s*\{\{\s*pval", text), path.name
        # a difference of shares is written in points, with its interval in points
        assert not re.search(r"signed_p(ct|ts)\([^)]*\)\s*\}\}\s*\{\{\s*ci\(", text), path.name


def test_dashboard_templates_write_signed_numbers_through_the_rules() -> None:
    """``"%+.2f" | format(x)`` printed ``-0.00`` and ``+0.00``: the dashboard
    uses the ``signed`` and ``num`` filters (cxgap.contracts.numbers)."""
    web = TEMPLATES.parents[1] / "web" / "templates"
    for path in web.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert '"%+.' not in text, path.name
    account = (web / "dashboard" / "account.html").read_text(encoding="utf-8")
    assert "| signed(2)" in account and "| num(1)" in account
