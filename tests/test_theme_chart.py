"""Theme labels are shown whole in the report's theme chart, never cut (issue 17)."""

from __future__ import annotations

from cxgap.report.charts import theme_chart, to_svg

LONG = "support tickets wait for days before anyone replies to them at all"


def test_a_long_theme_label_is_drawn_whole() -> None:
    share = {"share": 0.4, "ci_low": 0.3, "ci_high": 0.5, "n": 50}
    question = {
        "themes": {
            "themes": [
                {"label": LONG, "share_by_group": {"customer": share}},
                {"label": "billing errors", "share_by_group": {"customer": share}},
            ]
        }
    }
    svg = to_svg(theme_chart(question, {"customer": "Customers"}))
    assert LONG in svg and "…" not in svg
