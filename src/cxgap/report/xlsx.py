"""The report as a workbook: every table on its own sheet, with its n and
intervals, full precision (the numbers of ``cxgap analyze --json``).

Text cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are written as text with a
leading apostrophe by :func:`cxgap.exports.neutralise_cell` (OWASP, "CSV
Injection"), so an answer such as
``=HYPERLINK(...)`` never runs. Suppressed groups appear as "suppressed"
with the reason, never with their numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cxgap.exports import neutralise_cell
from cxgap.report.data import ReportData

__all__ = ["Sheet", "report_sheets", "write_xlsx"]


@dataclass
class Sheet:
    """One table: a sheet name, column titles, rows and a note."""

    name: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


def _share_cells(est: Any) -> list[Any]:
    if est is None:
        return [None] * 4
    return [est.n, est.share, est.ci_low, est.ci_high]


def _mean_cells(m: Any) -> list[Any]:
    if m is None:
        return [None] * 4
    return [m.n, m.mean, m.ci_low, m.ci_high]


def report_sheets(data: ReportData) -> list[Sheet]:
    """Every table of the report as a :class:`Sheet` (lookups only)."""
    # the analysis holds unions of result and suppressed models: read it as data
    a: Any = data.analysis
    lab = data.labels

    def L(key: str | None) -> str | None:
        return None if key is None else lab.get(key, key)

    sheets: list[Sheet] = []
    info = Sheet("Study", ["field", "value"])
    info.rows += [
        ["study", a.study.name],
        ["organisation", a.study.organisation],
        ["slug", a.study.slug],
        ["wave", a.wave],
        ["confidence", a.study.confidence],
        ["anonymity threshold", a.study.anonymity_threshold],
        *[[f"respondents: {k}", v] for k, v in a.study.respondents.items()],
        *[[f"promise {i + 1}", p] for i, p in enumerate(a.study.promise)],
        ["generated", data.generated_at.isoformat()],
    ]
    sheets.append(info)

    ex = Sheet("Excellent", ["audience", "n", "share", "ci_low", "ci_high", "note"])
    for s in a.excellent.shares:
        if s.suppressed or s.estimate is None:
            ex.rows.append([L(s.audience), None, None, None, None, f"suppressed: {s.reason}"])
        else:
            ex.rows.append([L(s.audience), *_share_cells(s.estimate), s.estimate.method])
    ex.note = a.excellent.headline
    sheets.append(ex)

    nps = Sheet(
        "NPS",
        [
            "who",
            "n",
            "nps",
            "ci_low",
            "ci_high",
            "gap vs customers",
            "gap ci_low",
            "gap ci_high",
            "method",
        ],
    )
    c = a.nps.customers
    nps.rows.append(
        ["Customers (actual)", c.n, c.nps, c.ci_low, c.ci_high, None, None, None, c.method]
    )
    for p in a.nps.predicted:
        e = getattr(p, "expected", None)
        if e is None:
            nps.rows.append(
                [
                    f"{L(p.audience)} (expected)",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    f"suppressed: {getattr(p, 'reason', '')}",
                ]
            )
        else:
            nps.rows.append(
                [
                    f"{L(p.audience)} (expected)",
                    e.n,
                    e.nps,
                    e.ci_low,
                    e.ci_high,
                    p.gap,
                    p.ci_low,
                    p.ci_high,
                    e.method,
                ]
            )
    if a.segments:
        for g in a.segments.nps:
            nps.rows.append(
                [L(g.group), g.n, g.nps, g.ci_low, g.ci_high, None, None, None, g.method]
            )
    sheets.append(nps)

    for title, matrix in (("Gap matrix", a.gaps), ("Teams", a.teams)):
        if matrix is None:
            continue
        sh = Sheet(
            title, ["item", "group", "n", "mean", "ci_low", "ci_high", "top-box share", "note"]
        )
        for cell in matrix.cells:
            if cell.suppressed:
                sh.rows.append(
                    [
                        L(cell.item),
                        L(cell.group),
                        None,
                        None,
                        None,
                        None,
                        None,
                        f"suppressed: {cell.reason}",
                    ]
                )
            else:
                tb = cell.top_box.share if cell.top_box else None
                sh.rows.append(
                    [
                        L(cell.item),
                        L(cell.group),
                        cell.n,
                        cell.mean,
                        cell.ci_low,
                        cell.ci_high,
                        tb,
                        cell.note,
                    ]
                )
        sheets.append(sh)
        if matrix.comparisons:
            cmp = Sheet(
                f"{title} tests",
                [
                    "item",
                    "a",
                    "b",
                    "n_a",
                    "n_b",
                    "difference",
                    "ci_low",
                    "ci_high",
                    "p (Welch, Holm)",
                    "Hedges g",
                    "Cliff's delta",
                ],
            )
            for x in matrix.comparisons:
                if x.suppressed:
                    cmp.rows.append(
                        [
                            L(x.item),
                            L(x.a),
                            L(x.b),
                            None,
                            None,
                            None,
                            None,
                            None,
                            None,
                            None,
                            "suppressed",
                        ]
                    )
                else:
                    cmp.rows.append(
                        [
                            L(x.item),
                            L(x.a),
                            L(x.b),
                            x.n_a,
                            x.n_b,
                            x.difference,
                            x.ci_low,
                            x.ci_high,
                            x.p_welch_holm,
                            x.hedges_g,
                            x.cliffs_delta,
                        ]
                    )
            sheets.append(cmp)

    if a.priorities:
        pr = Sheet(
            "Priorities",
            [
                "factor",
                "quadrant",
                "importance",
                "importance n",
                "importance ci_low",
                "importance ci_high",
                "performance n",
                "performance",
                "performance ci_low",
                "performance ci_high",
                "gap",
                "gap ci_low",
                "gap ci_high",
                "gap rank",
            ],
        )
        for f in a.priorities.factors:
            pm = f.performance
            pr.rows.append(
                [
                    f.label,
                    f.quadrant,
                    f.importance,
                    f.importance_n,
                    f.importance_ci_low,
                    f.importance_ci_high,
                    pm.n,
                    pm.mean,
                    pm.ci_low,
                    pm.ci_high,
                    f.gap,
                    f.gap_ci_low,
                    f.gap_ci_high,
                    f.gap_rank,
                ]
            )
        sheets.append(pr)
        sd = Sheet(
            "Stated vs derived",
            [
                "factor",
                "stated n",
                "stated mean",
                "stated ci_low",
                "stated ci_high",
                "stated rank",
                "derived R2 part",
                "derived ci_low",
                "derived ci_high",
                "share of R2",
                "derived rank",
                "verdict",
            ],
        )
        for s in a.priorities.stated_vs_derived or []:
            sd.rows.append(
                [
                    s.label,
                    *_mean_cells(s.stated),
                    s.stated_rank,
                    s.derived_importance,
                    s.derived_ci_low,
                    s.derived_ci_high,
                    s.derived_share,
                    s.derived_rank,
                    s.verdict,
                ]
            )
        sheets.append(sd)

    if a.drivers:
        dv = Sheet(
            "Drivers",
            [
                "outcome",
                "method",
                "n",
                "R2",
                "R2 ci_low",
                "R2 ci_high",
                "factor",
                "rank",
                "R2 part",
                "ci_low",
                "ci_high",
                "share of R2",
            ],
        )
        for d in a.drivers:
            for x in d.drivers:
                dv.rows.append(
                    [
                        L(d.outcome),
                        d.method,
                        d.n,
                        d.r2,
                        d.r2_ci_low,
                        d.r2_ci_high,
                        L(x.factor),
                        x.rank,
                        x.importance,
                        x.ci_low,
                        x.ci_high,
                        x.share,
                    ]
                )
        sheets.append(dv)

    if a.defection_risks:
        dr = Sheet(
            "Defection risks",
            [
                "group",
                "item",
                "group n",
                "group mean",
                "top n",
                "top mean",
                "difference",
                "ci_low",
                "ci_high",
                "p",
                "Hedges g",
                "separates",
            ],
        )
        rs = Sheet(
            "Defection reasons",
            [
                "group",
                "reason",
                "group count",
                "group n",
                "group share",
                "top count",
                "top n",
                "top share",
                "difference",
                "ci_low",
                "ci_high",
                "p",
                "separates",
            ],
        )
        for grp in (a.defection_risks.defected, a.defection_risks.at_risk):
            if grp is None:
                continue
            for x in [*grp.factors, *grp.touchpoints, *grp.overall]:
                dr.rows.append(
                    [
                        grp.group,
                        x.label,
                        x.group.n,
                        x.group.mean,
                        x.top.n,
                        x.top.mean,
                        x.difference,
                        x.ci_low,
                        x.ci_high,
                        x.p_value,
                        x.hedges_g,
                        x.separates,
                    ]
                )
            for r in grp.reasons:
                rs.rows.append(
                    [
                        grp.group,
                        r.label,
                        r.group_count,
                        r.group_n,
                        r.group_share,
                        r.top_count,
                        r.top_n,
                        r.top_share,
                        r.difference,
                        r.ci_low,
                        r.ci_high,
                        r.p_value,
                        r.separates,
                    ]
                )
        sheets += [dr, rs]

    lf = Sheet("Reasons to leave", ["reason", "group", "n", "share", "ci_low", "ci_high", "note"])
    for r in a.defection_factors.reasons:
        for s in r.shares:
            if s.suppressed or s.estimate is None:
                lf.rows.append([r.label, L(s.group), None, None, None, None, "suppressed"])
            else:
                lf.rows.append([r.label, L(s.group), *_share_cells(s.estimate), None])
    sheets.append(lf)

    voice = a.voice
    if voice is not None:
        vt = Sheet(
            "Voice themes",
            [
                "question",
                "theme",
                "keywords",
                "answers",
                "audience",
                "n",
                "share",
                "ci_low",
                "ci_high",
                "quotes",
            ],
        )
        for q in _get(voice, "questions") or []:
            themes = _get(q, "themes")
            for t in (_get(themes, "themes") or []) if themes else []:
                quotes = " | ".join(str(_get(x, "text")) for x in _get(t, "quotes") or [])
                for g, s in (_get(t, "share_by_group") or {}).items():
                    vt.rows.append(
                        [
                            _get(q, "question"),
                            _get(t, "label"),
                            ", ".join(_get(t, "keywords") or []),
                            _get(t, "size"),
                            L(g),
                            _get(s, "n"),
                            _get(s, "share"),
                            _get(s, "ci_low"),
                            _get(s, "ci_high"),
                            quotes,
                        ]
                    )
        sheets.append(vt)

    if a.consistency:
        cs = a.consistency
        hs = Sheet(
            "Hot spots",
            [
                "touchpoint",
                "moment",
                "n",
                "failures",
                "failure rate",
                "ci_low",
                "ci_high",
                "excess",
                "cost",
                "hot spot",
            ],
        )
        hot = {(h.touchpoint, h.moment) for h in cs.hot_spots}
        for x in cs.cells:
            lo, hi = x.failure_rate_ci if x.failure_rate_ci else (None, None)
            hs.rows.append(
                [
                    L(x.touchpoint),
                    L(x.moment),
                    x.n,
                    x.failures,
                    x.failure_rate,
                    lo,
                    hi,
                    None,
                    x.cost,
                    (x.touchpoint, x.moment) in hot,
                ]
            )
        for h in cs.hot_spots:
            for row in hs.rows:
                if row[0] == L(h.touchpoint) and row[1] == L(h.moment):
                    row[7] = h.excess_failure_rate
        hs.note = (
            f"consistency index {cs.consistency_index}, chi2 {cs.chi2} "
            f"(df {cs.chi2_dof}, p {cs.chi2_p_value})"
        )
        sheets.append(hs)

    if a.ledger:
        lg = a.ledger
        ac = Sheet(
            "Accounts",
            [
                "account",
                "name",
                "owner",
                "balance",
                "below threshold",
                "distance",
                "events",
                "failures",
                "compounded failures",
                "P(defect)",
                "revenue",
            ],
        )
        for x in sorted(lg.accounts, key=lambda x: x.distance):
            ac.rows.append(
                [
                    x.account,
                    data.account_names.get(x.account),
                    x.owner,
                    x.balance,
                    x.below_threshold,
                    x.distance,
                    x.events,
                    x.failures,
                    x.compounded_failures,
                    x.probability,
                    x.revenue,
                ]
            )
        td = lg.threshold_detail
        ac.note = (
            f"threshold {lg.threshold} ({lg.threshold_method}: {td.reason}); AUC {td.auc} "
            f"[{td.auc_ci_low}, {td.auc_ci_high}]"
        )
        if lg.revenue_at_risk:
            r = lg.revenue_at_risk
            ac.note += (
                f"; revenue below threshold {r.revenue_below_threshold} in {r.n_below} "
                f"accounts; expected loss {r.expected_revenue_loss}"
            )
        sheets.append(ac)
        tl = Sheet("Balance timelines", ["account", "date", "balance"])
        for t in data.timelines:
            for p in t.history:
                tl.rows.append([t.account, p.date.replace(tzinfo=None), p.balance])
        sheets.append(tl)

    if a.actions:
        pl = Sheet(
            "Action plan",
            [
                "title",
                "factor",
                "touchpoint",
                "owner",
                "due",
                "status",
                "gap change",
                "ci_low",
                "ci_high",
                "verdict",
            ],
        )
        for p in a.actions.plan:
            pg = p.progress
            pl.rows.append(
                [
                    p.title,
                    L(p.factor),
                    L(p.touchpoint),
                    p.owner,
                    p.due_on,
                    p.status,
                    pg.gap_change if pg else None,
                    pg.gap_change_ci_low if pg else None,
                    pg.gap_change_ci_high if pg else None,
                    f"{pg.status}: {pg.explanation}" if pg else p.progress_note,
                ]
            )
        sheets.append(pl)
        cand = Sheet(
            "Candidate actions",
            [
                "rank",
                "title",
                "priority",
                "customers n",
                "customers mean",
                "leadership n",
                "leadership mean",
                "gap",
                "gap ci_low",
                "gap ci_high",
            ],
        )
        for x in a.actions.candidates.actions:
            e = x.evidence
            cf, lf_, gap = e.customer_factor, e.leadership_factor, e.gap
            cand.rows.append(
                [
                    x.rank,
                    x.title,
                    x.priority,
                    cf.n if cf else None,
                    cf.mean if cf else None,
                    lf_.n if lf_ else None,
                    lf_.mean if lf_ else None,
                    gap.difference if gap else None,
                    gap.ci_low if gap else None,
                    gap.ci_high if gap else None,
                ]
            )
        sheets.append(cand)

    wv = Sheet(
        "Waves",
        [
            "before",
            "after",
            "item",
            "audience",
            "gap before",
            "gap after",
            "change",
            "ci_low",
            "ci_high",
            "p",
            "closing",
        ],
    )
    for pair in a.waves.pairs:
        for g in pair.gaps:
            if g.suppressed:
                wv.rows.append(
                    [
                        pair.before,
                        pair.after,
                        L(g.item),
                        L(g.audience),
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        "suppressed",
                    ]
                )
            else:
                wv.rows.append(
                    [
                        pair.before,
                        pair.after,
                        L(g.item),
                        L(g.audience),
                        g.gap_before,
                        g.gap_after,
                        g.change,
                        g.ci_low,
                        g.ci_high,
                        g.p_value,
                        g.closing,
                    ]
                )
    sheets.append(wv)

    ms = Sheet("Missing data", ["section", "what to collect"])
    ms.rows = [[k, v] for k, v in a.missing.items()]
    sheets.append(ms)
    return sheets


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _write_sheet(wb: Workbook, sheet: Sheet) -> None:
    ws = wb.create_sheet(sheet.name[:31])
    ws.append([neutralise_cell(c) for c in sheet.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        ws.append([neutralise_cell(v) for v in row])
    if sheet.note:
        ws.append([])
        ws.append([neutralise_cell(sheet.note)])
    ws.freeze_panes = "A2"
    for i, title in enumerate(sheet.columns, start=1):
        width = max(
            [len(str(title))] + [len(str(r[i - 1])) for r in sheet.rows[:200] if len(r) >= i]
        )
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))


def write_xlsx(data: ReportData, path: Path, sheets: Sequence[Sheet] | None = None) -> Path:
    """Write every table of the report to an XLSX workbook at ``path``."""
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    for sheet in sheets if sheets is not None else report_sheets(data):
        _write_sheet(wb, sheet)
    wb.save(path)
    return path
