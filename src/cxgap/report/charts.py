"""The report's charts: Altair (Vega-Lite) specifications rendered offline
to SVG (HTML, PDF) or PNG (slides) with vl-convert.

Each chart function takes parts of a :class:`~cxgap.report.data.ReportData`
and returns an ``altair`` chart, or ``None`` when there is nothing to draw.
Charts show every estimate with its interval and every group with its n;
labels are the study's labels, never keys. Colours are the Okabe-Ito
palette (Okabe & Ito 2008), which stays distinct under the common forms of
colour blindness. Charts never compute a statistic: they draw the numbers of
the analysis.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from cxgap.analysis.drivers.defection import DefectionRisks
from cxgap.analysis.drivers.keydrivers import DriversResult
from cxgap.analysis.drivers.priorities import PrioritiesResult
from cxgap.analysis.ledger.consistency import ConsistencyResult
from cxgap.analysis.ledger.risk import AccountDetail
from cxgap.analysis.perception.assembly import PerceptionNps
from cxgap.analysis.perception.excellent import ExcellentHeadline
from cxgap.analysis.perception.gaps import GapMatrix
from cxgap.analysis.perception.waves import WaveChanges
from cxgap.contracts import numbers as fmtn

__all__ = [
    "AUDIENCE_COLOURS",
    "defection_chart",
    "drivers_chart",
    "excellent_chart",
    "gap_heatmap",
    "hot_spot_chart",
    "importance_chart",
    "nps_chart",
    "priority_map",
    "report_charts",
    "svg_data_uri",
    "theme_chart",
    "timeline_chart",
    "to_png",
    "to_svg",
    "wave_chart",
]

# Okabe & Ito (2008), "Color Universal Design": distinct for protan, deutan
# and tritan viewers.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
AUDIENCE_COLOURS = {
    "Leadership": OKABE_ITO["vermillion"],
    "Staff": OKABE_ITO["orange"],
    "Customers": OKABE_ITO["blue"],
}
FONT = "DejaVu Sans"
WIDTH = 560


def _configure(chart: Any) -> Any:
    return (
        chart.configure(font=FONT, background="white")
        .configure_axis(labelFontSize=12, titleFontSize=12, labelLimit=260)
        .configure_legend(labelFontSize=12, titleFontSize=12, orient="bottom", labelLimit=0)
        .configure_title(fontSize=14, anchor="start")
        .configure_view(stroke=None)
    )


def to_svg(chart: Any) -> str:
    """The chart as an SVG document (rendered offline by vl-convert)."""
    return str(vlc.vegalite_to_svg(_configure(chart).to_dict(validate=False)))


def to_png(chart: Any, scale: float = 2.0) -> bytes:
    """The chart as a PNG image (rendered offline by vl-convert)."""
    return bytes(vlc.vegalite_to_png(_configure(chart).to_dict(validate=False), scale=scale))


def svg_data_uri(svg: str) -> str:
    """An SVG document as a ``data:`` URI for an ``<img>`` element.

    Examples
    --------
    >>> svg_data_uri("<svg/>")
    'data:image/svg+xml;base64,PHN2Zy8+'
    """
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _pct(x: float | None) -> str:
    return fmtn.pct(x)


def _audience_scale(names: Sequence[str]) -> alt.Scale:
    return alt.Scale(
        domain=list(names),
        range=[AUDIENCE_COLOURS.get(n, OKABE_ITO["grey"]) for n in names],
    )


def _interval_chart(
    df: pd.DataFrame,
    *,
    x_title: str,
    y_title: str = "",
    domain: tuple[float, float] | None = None,
    colour: str | alt.Color = OKABE_ITO["blue"],
    zero: float | None = None,
    title: str = "",
    width: int = WIDTH,
    text: str = "text",
    under: Sequence[Any] = (),
) -> Any:
    """Points with horizontal interval rules; one row per label ``y``.

    ``df`` has columns ``y``, ``value``, ``lo``, ``hi`` and ``text`` (shown
    right of the interval).
    """
    df = df.assign(tx=df[["hi", "value"]].max(axis=1))
    order = list(dict.fromkeys(df["y"]))
    scale = alt.Scale(domain=list(domain), nice=False) if domain else alt.Scale(zero=False)
    y = alt.Y("y:N", sort=order, title=y_title)
    base = alt.Chart(df)
    colour_enc: Any = {"color": colour} if isinstance(colour, str) else {}
    enc_colour: Any = {} if isinstance(colour, str) else {"color": colour}
    rules = base.mark_rule(strokeWidth=2.5, **colour_enc).encode(
        x=alt.X("lo:Q", scale=scale, title=x_title), x2="hi:Q", y=y, **enc_colour
    )
    points = base.mark_point(filled=True, size=90, **colour_enc).encode(
        x="value:Q", y=y, tooltip=[alt.Tooltip(f"{text}:N", title="estimate")], **enc_colour
    )
    labels = base.mark_text(align="left", dx=6, fontSize=11, color="#222").encode(
        x="tx:Q", y=y, text=f"{text}:N"
    )
    layers: list[Any] = [*under, rules, points, labels]
    if zero is not None:
        layers.insert(
            0,
            alt.Chart(pd.DataFrame({"z": [zero]}))
            .mark_rule(color="#555", strokeDash=[4, 3])
            .encode(x="z:Q"),
        )
    height = max(60, 30 * len(df))
    return alt.layer(*layers).properties(width=width, height=height, title=title)


def excellent_chart(excellent: ExcellentHeadline, labels: dict[str, str]) -> Any | None:
    """Share of each audience calling the service excellent, with Wilson
    intervals and n."""
    rows = []
    for s in excellent.shares:
        e = getattr(s, "estimate", None)
        if s.suppressed or e is None or e.share is None:
            continue
        name = labels.get(s.audience, s.audience)
        rows.append(
            {
                "y": name,
                "audience": name,
                "value": e.share,
                "lo": e.ci_low if e.ci_low is not None else e.share,
                "hi": e.ci_high if e.ci_high is not None else e.share,
                "text": f"{_pct(e.share)} (n = {e.n})",
            }
        )
    if not rows:
        return None
    df = pd.DataFrame(rows)
    colour = alt.Color("audience:N", scale=_audience_scale(list(df["audience"])), legend=None)
    bars = (
        alt.Chart(df)
        .mark_bar(opacity=0.35, height=22)
        .encode(
            x=alt.X("value:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            y=alt.Y("y:N", sort=list(df["y"]), title=""),
            color=colour,
        )
    )
    return _interval_chart(
        df,
        x_title='Share answering "excellent" (top box), 95% interval',
        domain=(0, 1),
        colour=colour,
        title="Who calls the service excellent",
        under=[bars],
    )


def nps_chart(nps: PerceptionNps, labels: dict[str, str]) -> Any | None:
    """Customers' NPS next to the NPS leadership and staff expect, with
    intervals."""
    c = nps.customers
    rows = []
    if c.nps is not None:
        rows.append(
            {
                "y": "Customers (actual)",
                "audience": "Customers",
                "value": c.nps,
                "lo": c.ci_low if c.ci_low is not None else c.nps,
                "hi": c.ci_high if c.ci_high is not None else c.nps,
                "text": f"{fmtn.signed(c.nps, 1)} (n = {c.n})",
            }
        )
    for p in nps.predicted:
        e = getattr(p, "expected", None)
        if e is None or e.nps is None:
            continue
        name = labels.get(p.audience, p.audience)
        rows.append(
            {
                "y": f"{name} (expected)",
                "audience": name,
                "value": e.nps,
                "lo": e.ci_low if e.ci_low is not None else e.nps,
                "hi": e.ci_high if e.ci_high is not None else e.nps,
                "text": f"{fmtn.signed(e.nps, 1)} (n = {e.n})",
            }
        )
    if not rows:
        return None
    df = pd.DataFrame(rows)
    colour = alt.Color(
        "audience:N", scale=_audience_scale(sorted(set(df["audience"]))), legend=None
    )
    return _interval_chart(
        df,
        x_title="Net Promoter Score, 95% interval",
        domain=(-100, 100),
        colour=colour,
        zero=0.0,
        title="NPS: what customers give vs what leadership and staff expect",
    )


def gap_heatmap(
    gaps: GapMatrix, labels: dict[str, str], *, title: str, group_title: str
) -> Any | None:
    """Mean rating per item and group (1–5) with its interval and n;
    suppressed cells are grey and say so. A group with no answer to any item
    (leadership and staff of a customer-only study) gets no column."""
    answered = {c.group for c in gaps.cells if c.suppressed or getattr(c, "mean", None) is not None}
    rows = []
    for cell in gaps.cells:
        if cell.group not in answered:
            continue
        item = labels.get(cell.item, cell.item)
        group = labels.get(cell.group, cell.group)
        mean = getattr(cell, "mean", None)
        if cell.suppressed or mean is None:
            rows.append(
                {
                    "item": item,
                    "group": group,
                    "mean": None,
                    "line1": "suppressed" if cell.suppressed else "no answers",
                    "line2": "n < threshold" if cell.suppressed else "",
                }
            )
            continue
        lo, hi = getattr(cell, "ci_low", None), getattr(cell, "ci_high", None)
        ci = fmtn.ci(lo, hi)
        rows.append(
            {
                "item": item,
                "group": group,
                "mean": mean,
                "line1": f"{fmtn.num(mean)} {ci}",
                "line2": f"n = {getattr(cell, 'n', '–')}",
            }
        )
    if not rows:
        return None
    df = pd.DataFrame(rows)
    items = [labels.get(i, i) for i in gaps.items]
    groups = [labels.get(g, g) for g in gaps.groups]
    cell_w = max(110, min(150, (WIDTH + 160) // max(1, len(groups))))
    x = alt.X("group:N", sort=groups, title=group_title, axis=alt.Axis(orient="top", labelAngle=0))
    y = alt.Y("item:N", sort=items, title="")
    base = alt.Chart(df)
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        x=x,
        y=y,
        color=alt.condition(
            "datum.mean === null",
            alt.value("#dddddd"),
            alt.Color(
                "mean:Q",
                scale=alt.Scale(scheme="blueorange", domain=[1, 5], reverse=True),
                title="Mean (1–5)",
            ),
        ),
    )
    dark = "datum.mean !== null && (datum.mean > 4.3 || datum.mean < 1.7)"
    text_colour = alt.condition(dark, alt.value("white"), alt.value("#111"))
    t1 = base.mark_text(baseline="bottom", dy=1, fontSize=11).encode(
        x=x, y=y, text="line1:N", color=text_colour
    )
    t2 = base.mark_text(baseline="top", dy=3, fontSize=10).encode(
        x=x, y=y, text="line2:N", color=text_colour
    )
    return alt.layer(rect, t1, t2).properties(
        width=cell_w * len(groups), height=40 * len(items), title=title
    )


def priority_map(priorities: PrioritiesResult) -> Any | None:
    """The importance–performance map: each factor with its intervals on
    both axes, the cut lines and the quadrant names."""
    rows = []
    for f in priorities.factors:
        p = f.performance
        if p.mean is None or f.importance is None:
            continue
        rows.append(
            {
                "label": f"{f.label} (n = {p.n})",
                "perf": p.mean,
                "perf_lo": p.ci_low if p.ci_low is not None else p.mean,
                "perf_hi": p.ci_high if p.ci_high is not None else p.mean,
                "imp": f.importance,
                "imp_lo": f.importance_ci_low if f.importance_ci_low is not None else f.importance,
                "imp_hi": f.importance_ci_high
                if f.importance_ci_high is not None
                else f.importance,
                "quadrant": f.quadrant,
            }
        )
    if not rows:
        return None
    df = pd.DataFrame(rows)
    x_cut = priorities.performance_cut
    y_cut = priorities.importance_cut
    lo_x = min(float(df["perf_lo"].min()), x_cut if x_cut is not None else 5.0) - 0.25
    hi_x = max(float(df["perf_hi"].max()), x_cut if x_cut is not None else 1.0) + 0.25
    lo_y = min(float(df["imp_lo"].min()), y_cut if y_cut is not None else 5.0) - 0.15
    hi_y = max(float(df["imp_hi"].max()), y_cut if y_cut is not None else 1.0) + 0.15
    sx = alt.Scale(domain=[lo_x, hi_x], nice=False, zero=False)
    sy = alt.Scale(domain=[lo_y, hi_y], nice=False, zero=False)
    quadrants = ["Concentrate here", "Keep up the good work", "Low priority", "Possible overkill"]
    colours = [OKABE_ITO["vermillion"], OKABE_ITO["green"], OKABE_ITO["grey"], OKABE_ITO["purple"]]
    colour = alt.Color(
        "quadrant:N", scale=alt.Scale(domain=quadrants, range=colours), title="Quadrant"
    )
    base = alt.Chart(df)
    x_title = "Performance: customers' mean rating (1–5), 95% interval"
    y_title = f"Importance ({priorities.importance}), 95% interval"
    hbar = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("perf_lo:Q", scale=sx, title=x_title),
        x2="perf_hi:Q",
        y=alt.Y("imp:Q", scale=sy, title=y_title),
        color=colour,
    )
    vbar = base.mark_rule(strokeWidth=2).encode(
        x="perf:Q", y="imp_lo:Q", y2="imp_hi:Q", color=colour
    )
    pts = base.mark_point(filled=True, size=110).encode(x="perf:Q", y="imp:Q", color=colour)
    txt = base.mark_text(align="left", dx=8, dy=-12, fontSize=11, color="#222").encode(
        x="perf:Q", y="imp:Q", text="label:N"
    )
    cuts = pd.DataFrame({"x": [priorities.performance_cut], "y": [priorities.importance_cut]})
    vcut = alt.Chart(cuts).mark_rule(strokeDash=[4, 3], color="#555").encode(x="x:Q")
    hcut = alt.Chart(cuts).mark_rule(strokeDash=[4, 3], color="#555").encode(y="y:Q")
    corner = pd.DataFrame(
        [
            {"x": lo_x, "y": hi_y, "t": "Concentrate here", "a": "left"},
            {"x": hi_x, "y": hi_y, "t": "Keep up the good work", "a": "right"},
            {"x": lo_x, "y": lo_y, "t": "Low priority", "a": "left"},
            {"x": hi_x, "y": lo_y, "t": "Possible overkill", "a": "right"},
        ]
    )
    qlabels = []
    for align in ("left", "right"):
        for top in (True, False):
            part = corner[(corner["a"] == align) & ((corner["y"] == hi_y) == top)]
            qlabels.append(
                alt.Chart(part)
                .mark_text(
                    align=align,
                    baseline="top" if top else "bottom",
                    dx=6 if align == "left" else -6,
                    dy=6 if top else -6,
                    fontSize=12,
                    fontWeight="bold",
                    color="#666",
                )
                .encode(x="x:Q", y="y:Q", text="t:N")
            )
    return alt.layer(vcut, hcut, *qlabels, hbar, vbar, pts, txt).properties(
        width=WIDTH, height=380, title="Priorities: importance vs performance"
    )


def importance_chart(priorities: PrioritiesResult) -> Any | None:
    """Stated importance (customers' mean rating) next to derived importance
    (share of explained variance of recommending), each with its interval."""
    svd = priorities.stated_vs_derived or []
    if not svd:
        return None
    order = [s.label for s in sorted(svd, key=lambda s: s.stated_rank or len(svd) + 1)]
    stated = pd.DataFrame(
        [
            {
                "y": s.label,
                "value": s.stated.mean,
                "lo": s.stated.ci_low,
                "hi": s.stated.ci_high,
                "text": f"{fmtn.num(s.stated.mean)} (n = {s.stated.n})",
            }
            for s in svd
            if s.stated.mean is not None
        ]
    )
    derived = pd.DataFrame(
        [
            {
                "y": s.label,
                "value": s.derived_importance,
                "lo": s.derived_ci_low if s.derived_ci_low is not None else s.derived_importance,
                "hi": s.derived_ci_high if s.derived_ci_high is not None else s.derived_importance,
                "text": f"{_pct(s.derived_share)} of R² ({s.verdict})",
            }
            for s in svd
            if s.derived_importance is not None
        ]
    )
    parts = []
    if len(stated):
        stated["y"] = pd.Categorical(stated["y"], categories=order)
        parts.append(
            _interval_chart(
                stated.sort_values("y").astype({"y": str}),
                x_title="Stated: mean importance (1–5)",
                title="Stated importance",
                width=230,
            )
        )
    if len(derived):
        derived["y"] = pd.Categorical(derived["y"], categories=order)
        n = priorities.derived.n if priorities.derived else None
        parts.append(
            _interval_chart(
                derived.sort_values("y").astype({"y": str}),
                x_title="Derived: R² contribution to recommending",
                title=f"Derived importance (n = {n})",
                colour=OKABE_ITO["vermillion"],
                width=230,
            )
        )
    return alt.hconcat(*parts, spacing=150) if parts else None


def drivers_chart(drivers: Sequence[DriversResult], labels: dict[str, str]) -> Any | None:
    """Relative importance of each factor per outcome (share of R²) with
    bootstrap intervals."""
    charts = []
    for d in drivers:
        rows = [
            {
                "y": labels.get(x.factor, x.factor),
                "value": x.importance,
                "lo": x.ci_low if x.ci_low is not None else x.importance,
                "hi": x.ci_high if x.ci_high is not None else x.importance,
                "text": f"{_pct(x.share)} of R²",
            }
            for x in sorted(d.drivers, key=lambda x: x.rank)
            if x.importance is not None
        ]
        if not rows:
            continue
        r2 = f"R² = {fmtn.num(d.r2)}" if d.r2 is not None else ""
        charts.append(
            _interval_chart(
                pd.DataFrame(rows),
                x_title="R² contribution, 95% bootstrap interval",
                title=f"{labels.get(d.outcome, d.outcome)}: n = {d.n}, {r2}",
                width=230,
            )
        )
    return alt.hconcat(*charts, spacing=150) if charts else None


def defection_chart(risks: DefectionRisks) -> Any | None:
    """Defected (and at-risk) customers minus top customers, per factor and
    touchpoint, with Welch intervals."""
    rows = []
    for group in (risks.defected, risks.at_risk):
        if group is None:
            continue
        name = "Defected" if group.group == "defected" else "At risk"
        for c in [*group.factors, *group.touchpoints]:
            if c.difference is None:
                continue
            rows.append(
                {
                    "y": c.label + (" (team)" if c.kind == "touchpoint" else ""),
                    "group": f"{name} (n = {group.n}) − top (n = {group.n_top})",
                    "value": c.difference,
                    "lo": c.ci_low if c.ci_low is not None else c.difference,
                    "hi": c.ci_high if c.ci_high is not None else c.difference,
                    "text": fmtn.signed(c.difference),
                }
            )
    if not rows:
        return None
    df = pd.DataFrame(rows)
    groups = list(dict.fromkeys(df["group"]))
    colour = alt.Color(
        "group:N",
        scale=alt.Scale(domain=groups, range=[OKABE_ITO["vermillion"], OKABE_ITO["orange"]]),
        title="",
    )
    base = alt.Chart(df)
    y = alt.Y("y:N", sort=list(dict.fromkeys(df["y"])), title="")
    off = alt.YOffset("group:N", sort=groups)
    zero = alt.Chart(pd.DataFrame({"z": [0.0]})).mark_rule(color="#555", strokeDash=[4, 3])
    return alt.layer(
        zero.encode(x="z:Q"),
        base.mark_rule(strokeWidth=2.5).encode(
            x=alt.X("lo:Q", title="Difference in mean rating vs top customers, 95% interval"),
            x2="hi:Q",
            y=y,
            yOffset=off,
            color=colour,
        ),
        base.mark_point(filled=True, size=70).encode(x="value:Q", y=y, yOffset=off, color=colour),
    ).properties(width=WIDTH, height=32 * df["y"].nunique(), title="What defecting customers say")


def hot_spot_chart(consistency: ConsistencyResult, labels: dict[str, str]) -> Any | None:
    """Failure rate of each touchpoint × moment cell with its Wilson
    interval; the hot spots stand out."""
    hot = {(h.touchpoint, h.moment) for h in consistency.hot_spots}
    rows = []
    for c in consistency.cells:
        if c.failure_rate is None:
            continue
        ci = list(c.failure_rate_ci or [c.failure_rate, c.failure_rate])
        tp = labels.get(c.touchpoint or "", c.touchpoint or "–")
        mo = labels.get(c.moment or "", c.moment or "–")
        rows.append(
            {
                "y": f"{tp} × {mo}",
                "value": c.failure_rate,
                "lo": ci[0] if ci[0] is not None else c.failure_rate,
                "hi": ci[1] if ci[1] is not None else c.failure_rate,
                "text": f"{_pct(c.failure_rate)} of {c.n}",
                "kind": "hot spot" if (c.touchpoint, c.moment) in hot else "other",
            }
        )
    if not rows:
        return None
    df = pd.DataFrame(rows).sort_values("value", ascending=False)
    colour = alt.Color(
        "kind:N",
        scale=alt.Scale(domain=["hot spot", "other"], range=[OKABE_ITO["vermillion"], "#7a7a7a"]),
        title="",
    )
    overall = consistency.overall_failure_rate
    return _interval_chart(
        df,
        x_title="Share of interactions that failed, 95% Wilson interval",
        colour=colour,
        zero=overall,
        title=f"Hot spots (dashed line: overall failure rate {_pct(overall)})",
    )


def _date_format(dates: pd.Series) -> str:
    """A time axis' label format that always carries the year: month and
    year over a long span, day, month and year over a short one (d3 format).

    >>> _date_format(pd.Series(["2025-01-01", "2026-06-30"]))
    '%b %Y'
    >>> _date_format(pd.Series(["2025-01-01", "2025-02-15"]))
    '%d %b %Y'

    """
    days = pd.to_datetime(dates)
    span = (days.max() - days.min()).days if len(days) else 0
    return "%b %Y" if span > 120 else "%d %b %Y"


def timeline_chart(
    timelines: Sequence[AccountDetail], threshold: float, names: dict[str, str]
) -> Any | None:
    """Balance over time of the accounts at risk, with the defection
    threshold."""
    rows = [
        {"date": p.date, "balance": p.balance, "account": names.get(t.account, t.account)}
        for t in timelines
        for p in t.history
    ]
    if not rows:
        return None
    df = pd.DataFrame(rows)
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d")
    palette = [OKABE_ITO[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky")]
    palette += ["#000000", "#7a7a7a"]
    accounts = list(dict.fromkeys(df["account"]))
    lines = (
        alt.Chart(df)
        .mark_line(point=alt.OverlayMarkDef(size=18), strokeWidth=2)
        .encode(
            x=alt.X("date:T", title="Date", axis=alt.Axis(format=_date_format(df["date"]))),
            y=alt.Y("balance:Q", title="Relationship balance"),
            color=alt.Color(
                "account:N",
                scale=alt.Scale(domain=accounts, range=palette),
                title="Account",
                legend=alt.Legend(orient="right", labelLimit=200, columns=1),
            ),
            strokeDash=alt.StrokeDash("account:N", legend=None),
        )
    )
    rule = (
        alt.Chart(
            pd.DataFrame({"t": [threshold], "label": [f"threshold {fmtn.num(threshold, 1)}"]})
        )
        .mark_rule(color="#000", strokeDash=[6, 4])
        .encode(y="t:Q")
    )
    label = (
        alt.Chart(
            pd.DataFrame(
                {"t": [threshold], "label": [f"defection threshold {fmtn.num(threshold, 1)}"]}
            )
        )
        .mark_text(align="left", dy=-6, x=4, fontSize=11)
        .encode(y="t:Q", text="label:N")
    )
    return alt.layer(lines, rule, label).properties(
        width=WIDTH - 60, height=300, title="Balance timelines of the accounts at risk"
    )


def wave_chart(waves: WaveChanges, labels: dict[str, str]) -> Any | None:
    """Change of the customers' mean rating of each item between the last
    two waves, with Welch intervals."""
    if not waves.pairs:
        return None
    pair = waves.pairs[-1]
    changes: list[Any] = list(pair.changes)
    rows = [
        {
            "y": labels.get(c.item, c.item),
            "value": c.change,
            "lo": c.ci_low if c.ci_low is not None else c.change,
            "hi": c.ci_high if c.ci_high is not None else c.change,
            "text": f"{fmtn.signed(c.change)} (n {c.n_before}→{c.n_after})",
        }
        for c in changes
        if c.audience == "customer" and not c.suppressed and c.change is not None
    ]
    if not rows:
        return None
    return _interval_chart(
        pd.DataFrame(rows),
        x_title=f"Change of customers' mean rating, {pair.before} → {pair.after}, 95% interval",
        zero=0.0,
        title=f"What changed for customers since wave {pair.before}",
    )


def theme_chart(question: Any, labels: dict[str, str]) -> Any | None:
    """Share of each audience's answers in each theme of one open question,
    with intervals (``question`` is a voice question, model or dict)."""
    themes = _get(question, "themes")
    if themes is None:
        return None
    rows = []
    for t in _get(themes, "themes") or []:
        for group, share in (_get(t, "share_by_group") or {}).items():
            s = _get(share, "share")
            if s is None:
                continue
            lo, hi = _get(share, "ci_low"), _get(share, "ci_high")
            name = labels.get(group, group)
            rows.append(
                {
                    "y": str(_get(t, "label")),
                    "audience": name,
                    "value": s,
                    "lo": lo if lo is not None else s,
                    "hi": hi if hi is not None else s,
                    "n": _get(share, "n"),
                }
            )
    if not rows:
        return None
    df = pd.DataFrame(rows)
    groups = list(dict.fromkeys(df["audience"]))
    colour = alt.Color("audience:N", scale=_audience_scale(groups), title="")
    # labelLimit=0: a theme's label is shown whole, never cut with "…"
    y = alt.Y("y:N", sort=list(dict.fromkeys(df["y"])), title="", axis=alt.Axis(labelLimit=0))
    off = alt.YOffset("audience:N", sort=groups)
    base = alt.Chart(df)
    return alt.layer(
        base.mark_bar(opacity=0.35).encode(
            x=alt.X("value:Q", axis=alt.Axis(format="%"), title="Share of answers, 95% interval"),
            y=y,
            yOffset=off,
            color=colour,
        ),
        base.mark_rule(strokeWidth=2).encode(x="lo:Q", x2="hi:Q", y=y, yOffset=off, color=colour),
        base.mark_point(filled=True, size=40).encode(
            x="value:Q", y=y, yOffset=off, color=colour, tooltip=["n:Q"]
        ),
    ).properties(width=WIDTH - 100, height=22 * len(groups) * df["y"].nunique())


def _get(obj: Any, key: str) -> Any:
    """A field of a pydantic model or a dict (the voice section may be either)."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def report_charts(data: Any) -> dict[str, Any]:
    """Every chart of a report (``data`` is a
    :class:`~cxgap.report.data.ReportData`), keyed by section; a chart with
    nothing to draw is left out."""
    a, labels = data.analysis, data.labels
    names = dict(data.account_names)
    charts: dict[str, Any] = {
        "excellent": excellent_chart(a.excellent, labels),
        "nps": nps_chart(a.nps, labels),
        "gaps": gap_heatmap(
            a.gaps, labels, title="Mean rating by audience", group_title="Audience"
        ),
    }
    if a.teams is not None:
        charts["teams"] = gap_heatmap(
            a.teams, labels, title="Staff ratings by team", group_title="Team"
        )
    if a.priorities is not None:
        charts["priorities"] = priority_map(a.priorities)
        charts["importance"] = importance_chart(a.priorities)
    if a.drivers:
        charts["drivers"] = drivers_chart(a.drivers, labels)
    if a.defection_risks is not None:
        charts["defection"] = defection_chart(a.defection_risks)
    if a.consistency is not None:
        charts["hot_spots"] = hot_spot_chart(a.consistency, labels)
    if a.ledger is not None and data.timelines:
        charts["timelines"] = timeline_chart(data.timelines, a.ledger.threshold, names)
    charts["waves"] = wave_chart(a.waves, labels)
    for q in _get(a.voice, "questions") or []:
        charts[f"voice.{_get(q, 'question')}"] = theme_chart(q, labels)
    return {k: v for k, v in charts.items() if v is not None}
