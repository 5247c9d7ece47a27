"""The leadership deck: 12 slides (16:9) with the report's charts as PNG
images rendered offline by vl-convert, a one-line takeaway per slide, and
the n and method of each chart in the slide notes. A section without data
gets a slide saying what to collect.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from pptx import Presentation
from pptx.util import Emu, Inches, Pt

from cxgap.report import _format as f
from cxgap.report.charts import report_charts, to_png
from cxgap.report.data import ReportData, for_display

__all__ = ["SLIDE_TITLES", "write_pptx"]

Step = Callable[[str], None]

SLIDE_TITLES = [
    "Title",
    "Who calls the service excellent",
    "NPS: given vs expected",
    "The gap matrix",
    "Priorities",
    "What drives recommendation",
    "Defection risks",
    "The voice of each audience",
    "Hot spots",
    "Accounts at risk",
    "The action plan",
    "Wave over wave",
]
_W, _H = Inches(13.333), Inches(7.5)


def _title(slide: Any, text: str, sub: str = "") -> None:
    box = slide.shapes.add_textbox(Inches(0.5), Inches(0.3), _W - Inches(1), Inches(1.0))
    tf = box.text_frame
    tf.word_wrap = True
    tf.text = text
    tf.paragraphs[0].runs[0].font.size = Pt(28)
    tf.paragraphs[0].runs[0].font.bold = True
    if sub:
        p = tf.add_paragraph()
        p.text = sub
        p.runs[0].font.size = Pt(16)


def _text(slide: Any, lines: list[str], top: float = 1.6, size: int = 18) -> None:
    box = slide.shapes.add_textbox(Inches(0.6), Inches(top), _W - Inches(1.2), Inches(5))
    tf = box.text_frame
    tf.word_wrap = True
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.text = line
        p.runs[0].font.size = Pt(size)


def _picture(slide: Any, png: bytes) -> None:
    with Image.open(io.BytesIO(png)) as im:
        w, h = im.size
    box_w, box_h = _W - Inches(1), _H - Inches(1.9)
    scale = min(box_w / w, box_h / h)
    pw, ph = Emu(int(w * scale)), Emu(int(h * scale))
    left = Emu(int((_W - pw) / 2))
    slide.shapes.add_picture(io.BytesIO(png), left, Inches(1.6), pw, ph)


def _notes(slide: Any, text: str) -> None:
    slide.notes_slide.notes_text_frame.text = text


def write_pptx(data: ReportData, path: Path, *, step: Step | None = None) -> Path:
    """Write the leadership deck (12 slides) to ``path``.

    Parameters
    ----------
    data : ReportData
        What to show.
    path : Path
        The ``.pptx`` file to write.
    step : callable, optional
        Called with the name of each slide as it is built (progress).

    Returns
    -------
    Path
    """
    data = for_display(data)
    a, lab = data.analysis, data.labels
    charts = report_charts(data)
    prs = Presentation()
    prs.slide_width, prs.slide_height = _W, _H
    layout = prs.slide_layouts[6]  # blank

    def slide(title: str, sub: str, chart: str | None, missing: str | None, notes: str) -> None:
        if step:
            step(f"Slide: {title}")
        s = prs.slides.add_slide(layout)
        _title(s, title, sub)
        if chart and chart in charts:
            _picture(s, to_png(charts[chart], scale=2.0))
        elif missing:
            _text(s, ["No data yet.", f"To fill this slide, collect {missing}."])
        _notes(s, notes)

    n = ", ".join(f"{lab.get(k, k)} {v}" for k, v in a.study.respondents.items())
    if step:
        step("Slide: title")
    s = prs.slides.add_slide(layout)
    _title(s, a.study.name, f"{a.study.organisation} · insight report · wave {a.wave}")
    _text(s, [f"Respondents: {n}", *[f"Promise: {p}" for p in a.study.promise]], top=2.4)
    _notes(
        s,
        "Every number in this deck comes from cxgap analyze --json; intervals are "
        f"{a.study.confidence:.0%}.",
    )

    c = a.nps.customers
    present = {k for k, v in a.study.respondents.items() if v > 0}
    internal = bool(present & {"leadership", "staff"})
    has_excellent = any(
        getattr(getattr(x, "estimate", None), "n", 0) > 0 for x in a.excellent.shares
    )
    slide(
        SLIDE_TITLES[1],
        " ".join(a.headline) if a.headline else a.excellent.headline,
        "excellent" if has_excellent else None,
        None if has_excellent else "answers to the excellent question (1-5) from each audience",
        "Top-box share of the 'excellent' item with Wilson intervals; n per audience on the chart."
        + (f" Outcome: {a.outcome.sentence}" if a.outcome else ""),
    )
    slide(
        SLIDE_TITLES[2],
        f"Customers give NPS {f.num(c.nps, 1)} {f.ci(c.ci_low, c.ci_high, 1)}, n = {c.n}"
        if c.n
        else "No 0-10 likelihood-to-recommend question",
        "nps" if c.n else None,
        "a 0-10 likelihood-to-recommend answer (ltr) from customers, and the NPS "
        "leadership and staff expect",
        f"Customers: {c.method} interval. Expected NPS: leadership and staff "
        "expected promoters % minus detractors %, interval on -100..100 "
        "(Wilson at the effective n).",
    )
    slide(
        SLIDE_TITLES[3],
        "Mean rating [95% interval] and n by audience"
        if internal
        else "Customers' mean ratings; the gap needs leadership and staff answers",
        "gaps",
        None,
        "Intervals stay on the scale (Wilson at the effective n; MOVER differences); "
        "p-values Holm-adjusted over the audience pairs of each item."
        if internal
        else "Intervals of the customers' means stay on the scale (Wilson at the effective n).",
    )
    focus = [
        x.label
        for x in (a.priorities.factors if a.priorities else [])
        if x.quadrant == "Concentrate here"
    ]
    slide(
        SLIDE_TITLES[4],
        "Concentrate here: " + (", ".join(focus) or "–"),
        "priorities",
        a.missing.get("priorities", "customers' importance and performance ratings"),
        "Martilla & James importance-performance map; intervals on both axes."
        + (
            " Importance derived from the outcome (share of R², Shapley / LMG): "
            "no customer stated importance."
            if a.priorities and a.priorities.importance == "derived"
            else ""
        ),
    )
    top = ""
    if a.drivers:
        d0 = a.drivers[0]
        best = min(d0.drivers, key=lambda x: x.rank)
        top = f"{lab.get(best.factor, best.factor)} drives {lab.get(d0.outcome, d0.outcome)} most"
    slide(
        SLIDE_TITLES[5],
        top,
        "drivers",
        a.missing.get("drivers", "factor ratings with an overall outcome"),
        "Shapley (LMG) decomposition of R² with bootstrap percentile intervals.",
    )
    sub = ""
    if a.defection_risks:
        dd = a.defection_risks.defected
        sub = f"Defected (n = {dd.n}) vs top customers (n = {dd.n_top})"
    slide(
        SLIDE_TITLES[6],
        sub,
        "defection",
        a.missing.get("defection_risks", "answers from defected and top customers"),
        "Differences of means with Welch intervals.",
    )
    voice_chart = next((k for k in charts if k.startswith("voice.")), None)
    slide(
        SLIDE_TITLES[7],
        "Themes of the open answers by audience",
        voice_chart,
        a.missing.get("voice", "open answers of the three audiences"),
        "Themes by TF-IDF + NMF; shares with Wilson intervals.",
    )
    hs = a.hot_spots[0] if a.hot_spots else None
    sub = (
        (
            f"Worst: {lab.get(hs.touchpoint, hs.touchpoint)} × {lab.get(hs.moment, hs.moment)}, "
            f"{f.pct(hs.failure_rate)} failed of {hs.n}"
        )
        if hs
        else ""
    )
    slide(
        SLIDE_TITLES[8],
        sub,
        "hot_spots",
        a.missing.get("consistency", "interaction events per account"),
        "Failure rates with Wilson intervals.",
    )
    sub = ""
    if a.ledger:
        below = sum(x.below_threshold for x in a.ledger.accounts)
        rar = a.ledger.revenue_at_risk
        sub = f"{below} of {a.ledger.n_accounts} accounts below the threshold" + (
            f"; revenue at risk {f.money(rar.revenue_below_threshold)}" if rar else ""
        )
    slide(
        SLIDE_TITLES[9],
        sub,
        "timelines",
        a.missing.get("ledger", "interaction events per account"),
        f"Threshold by {a.ledger.threshold_method}." if a.ledger else "",
    )

    if step:
        step("Slide: action plan")
    s = prs.slides.add_slide(layout)
    _title(s, SLIDE_TITLES[10], "Adopted actions and the top candidates")
    if a.actions:
        rows = [
            [
                p.title,
                p.owner or "–",
                p.status,
                (p.progress.status if p.progress else (p.progress_note or "–")),
            ]
            for p in a.actions.plan
        ]
        rows += [
            [
                x.title,
                "candidate",
                f"priority {f.num(x.priority, 1)}",
                f"gap {f.signed(x.evidence.gap.difference) if x.evidence.gap else '–'}",
            ]
            for x in [c for c in a.actions.candidates.actions if c.rank is not None][
                : max(0, 8 - len(rows))
            ]
        ]
        table = s.shapes.add_table(
            len(rows) + 1,
            4,
            Inches(0.5),
            Inches(1.6),
            _W - Inches(1),
            Inches(0.4) * (len(rows) + 1),
        ).table
        for j, h in enumerate(["Action", "Owner", "Status", "Progress / evidence"]):
            table.cell(0, j).text = h
        for i, row in enumerate(rows, start=1):
            for j, v in enumerate(row):
                table.cell(i, j).text = str(v)
                table.cell(i, j).text_frame.paragraphs[0].runs[0].font.size = Pt(14)
    else:
        _text(s, ["No data yet.", f"To fill this slide, collect {a.missing.get('actions', '')}."])
    _notes(s, "Progress re-measures the leadership − customer gap in the follow-up wave.")

    slide(
        SLIDE_TITLES[11],
        "Change of customers' ratings since the previous wave",
        "waves",
        "a second wave of the same study",
        "Welch intervals of the change in means.",
    )
    prs.save(str(path))
    return path
