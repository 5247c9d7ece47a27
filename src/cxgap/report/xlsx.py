"""The report as a workbook: every table on its own sheet, with its n and
intervals, at display precision (the numbers of ``cxgap analyze --json``,
rounded as the HTML report shows them: :mod:`cxgap.contracts.precision`).

Text cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are written as text with a
leading apostrophe by :func:`cxgap.contracts.cells.neutralise_cell` (OWASP, "CSV
Injection"), so an answer such as
``=HYPERLINK(...)`` never runs. Suppressed groups appear as "suppressed"
with the reason, never with their numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cxgap.contracts.cells import neutralise_cell
from cxgap.contracts.numbers import num, p_text
from cxgap.report.data import ReportData, for_display

__all__ = ["Sheet", "report_sheets", "write_xlsx"]


@dataclass
class Sheet:
    """One table: a sheet name, column titles, rows and a note."""

    name: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


#: How a column reads its value from an item: an attribute (or key) path such
#: as ``"performance.mean"``, or a function of the item.
Getter = str | Callable[[Any], Any]


def _read(item: Any, how: Getter) -> Any:
    """The value ``how`` reads from ``item``: ``None`` where a step of the
    path is ``None`` (or a key a dict lacks); a misspelt attribute raises."""
    if callable(how):
        return how(item)
    value = item
    for key in how.split("."):
        value = value.get(key) if isinstance(value, dict) else getattr(value, key)
        if value is None:
            return None
    return value


def _table(
    name: str,
    columns: Sequence[tuple[str, Getter]],
    items: Iterable[Any],
    *,
    withheld: Callable[[Any], str | None] | None = None,
    keep: int = 1,
    note: str = "",
) -> Sheet:
    """A sheet with one row per item, each column read by its getter.

    An item for which ``withheld(item)`` gives a text (a group below the
    anonymity threshold) shows only its first ``keep`` cells, then empty
    cells, and that text in the last column: never its numbers.
    """
    sheet = Sheet(name, [title for title, _ in columns], note=note)
    for item in items:
        why = withheld(item) if withheld is not None else None
        if why is None:
            sheet.rows.append([_read(item, how) for _, how in columns])
        else:
            lead = [_read(item, how) for _, how in columns[:keep]]
            sheet.rows.append([*lead, *([None] * (len(columns) - keep - 1)), why])
    return sheet


def report_sheets(data: ReportData) -> list[Sheet]:
    """Every table of the report as a :class:`Sheet` (lookups only), its
    numbers at display precision."""
    data = for_display(data)
    # the analysis holds unions of result and suppressed models: read it as data
    a: Any = data.analysis
    lab = data.labels

    def L(key: str | None) -> str | None:
        return None if key is None else lab.get(key, key)

    def label(path: str) -> Callable[[Any], Any]:
        """A getter of the readable label of the key at ``path``."""
        return lambda item: L(_read(item, path))

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
        *[["headline", line] for line in a.headline],
    ]
    sheets.append(info)
    if a.outcome is not None:
        o, est = a.outcome.outcome, a.outcome.share or a.outcome.mean
        out = Sheet("Outcome", ["field", "value"], note=a.outcome.sentence)
        out.rows += [
            ["question", o.key],
            ["text", o.label],
            ["chosen as", o.basis],
            *([["coded 1", o.positive], ["coded 0", o.negative]] if o.kind == "two-level" else []),
            ["n", est.n],
            [
                "share coded 1" if a.outcome.share else "mean",
                _get(est, "share") or _get(est, "mean"),
            ],
            ["ci_low", est.ci_low],
            ["ci_high", est.ci_high],
            ["interval", "Wilson" if a.outcome.share else "t"],
        ]
        sheets.append(out)

    sheets.append(
        _table(
            "Excellent",
            [
                ("audience", label("audience")),
                ("n", "estimate.n"),
                ("share", "estimate.share"),
                ("ci_low", "estimate.ci_low"),
                ("ci_high", "estimate.ci_high"),
                ("note", "estimate.method"),
            ],
            a.excellent.shares,
            withheld=lambda s: (
                f"suppressed: {s.reason}" if s.suppressed or s.estimate is None else None
            ),
            note=a.excellent.headline,
        )
    )

    nps_columns: list[tuple[str, Getter]] = [
        ("who", lambda p: f"{L(p.audience)} (expected)"),
        ("n", "expected.n"),
        ("nps", "expected.nps"),
        ("ci_low", "expected.ci_low"),
        ("ci_high", "expected.ci_high"),
        ("gap vs customers", "gap"),
        ("gap ci_low", "ci_low"),
        ("gap ci_high", "ci_high"),
        ("method", "expected.method"),
    ]
    nps = _table(
        "NPS",
        nps_columns,
        a.nps.predicted,
        withheld=lambda p: (
            f"suppressed: {getattr(p, 'reason', '')}"
            if getattr(p, "expected", None) is None
            else None
        ),
    )

    def nps_row(who: str | None, e: Any) -> list[Any]:
        return [who, e.n, e.nps, e.ci_low, e.ci_high, None, None, None, e.method]

    nps.rows.insert(0, nps_row("Customers (actual)", a.nps.customers))
    if a.segments:
        nps.rows += [nps_row(L(g.group), g) for g in a.segments.nps]
    sheets.append(nps)

    by_attribute = [(_sheet_title(f"By {b.label}", b.attribute), b.gaps) for b in a.attributes]
    for title, matrix in (("Gap matrix", a.gaps), ("Teams", a.teams), *by_attribute):
        if matrix is None:
            continue
        sheets.append(
            _table(
                title,
                [
                    ("item", label("item")),
                    ("group", label("group")),
                    ("n", "n"),
                    ("mean", "mean"),
                    ("ci_low", "ci_low"),
                    ("ci_high", "ci_high"),
                    ("top-box share", "top_box.share"),
                    ("note", "note"),
                ],
                matrix.cells,
                withheld=lambda c: f"suppressed: {c.reason}" if c.suppressed else None,
                keep=2,
            )
        )
        if matrix.comparisons:
            sheets.append(
                _table(
                    f"{title} tests",
                    [
                        ("item", label("item")),
                        ("a", label("a")),
                        ("b", label("b")),
                        ("n_a", "n_a"),
                        ("n_b", "n_b"),
                        ("difference", "difference"),
                        ("ci_low", "ci_low"),
                        ("ci_high", "ci_high"),
                        ("p (Welch, Holm)", "p_welch_holm"),
                        ("Hedges g", "hedges_g"),
                        ("Cliff's delta", "cliffs_delta"),
                    ],
                    matrix.comparisons,
                    withheld=lambda x: "suppressed" if x.suppressed else None,
                    keep=3,
                )
            )

    if a.priorities:
        sheets.append(
            _table(
                "Priorities",
                [
                    ("factor", "label"),
                    ("quadrant", "quadrant"),
                    ("importance", "importance"),
                    ("importance n", "importance_n"),
                    ("importance ci_low", "importance_ci_low"),
                    ("importance ci_high", "importance_ci_high"),
                    ("performance n", "performance.n"),
                    ("performance", "performance.mean"),
                    ("performance ci_low", "performance.ci_low"),
                    ("performance ci_high", "performance.ci_high"),
                    ("gap", "gap"),
                    ("gap ci_low", "gap_ci_low"),
                    ("gap ci_high", "gap_ci_high"),
                    ("gap rank", "gap_rank"),
                ],
                a.priorities.factors,
            )
        )
        sheets.append(
            _table(
                "Stated vs derived",
                [
                    ("factor", "label"),
                    ("stated n", "stated.n"),
                    ("stated mean", "stated.mean"),
                    ("stated ci_low", "stated.ci_low"),
                    ("stated ci_high", "stated.ci_high"),
                    ("stated rank", "stated_rank"),
                    ("derived R2 part", "derived_importance"),
                    ("derived ci_low", "derived_ci_low"),
                    ("derived ci_high", "derived_ci_high"),
                    ("share of R2", "derived_share"),
                    ("derived rank", "derived_rank"),
                    ("verdict", "verdict"),
                ],
                a.priorities.stated_vs_derived or [],
            )
        )

    if a.drivers:
        sheets.append(
            _table(
                "Drivers",
                [
                    ("outcome", label("d.outcome")),
                    ("method", "d.method"),
                    ("n", "d.n"),
                    ("R2", "d.r2"),
                    ("R2 ci_low", "d.r2_ci_low"),
                    ("R2 ci_high", "d.r2_ci_high"),
                    ("factor", label("x.factor")),
                    ("rank", "x.rank"),
                    ("R2 part", "x.importance"),
                    ("ci_low", "x.ci_low"),
                    ("ci_high", "x.ci_high"),
                    ("share of R2", "x.share"),
                ],
                [{"d": d, "x": x} for d in a.drivers for x in d.drivers],
            )
        )

    if a.defection_risks:
        groups = [
            g for g in (a.defection_risks.defected, a.defection_risks.at_risk) if g is not None
        ]
        sheets.append(
            _table(
                "Defection risks",
                [
                    ("group", "grp.group"),
                    ("item", "x.label"),
                    ("group n", "x.group.n"),
                    ("group mean", "x.group.mean"),
                    ("top n", "x.top.n"),
                    ("top mean", "x.top.mean"),
                    ("difference", "x.difference"),
                    ("ci_low", "x.ci_low"),
                    ("ci_high", "x.ci_high"),
                    ("p", "x.p_value"),
                    ("Hedges g", "x.hedges_g"),
                    ("separates", "x.separates"),
                ],
                [
                    {"grp": g, "x": x}
                    for g in groups
                    for x in [*g.factors, *g.touchpoints, *g.overall]
                ],
            )
        )
        sheets.append(
            _table(
                "Defection reasons",
                [
                    ("group", "grp.group"),
                    ("reason", "r.label"),
                    ("group count", "r.group_count"),
                    ("group n", "r.group_n"),
                    ("group share", "r.group_share"),
                    ("top count", "r.top_count"),
                    ("top n", "r.top_n"),
                    ("top share", "r.top_share"),
                    ("difference", "r.difference"),
                    ("ci_low", "r.ci_low"),
                    ("ci_high", "r.ci_high"),
                    ("p", "r.p_value"),
                    ("separates", "r.separates"),
                ],
                [{"grp": g, "r": r} for g in groups for r in g.reasons],
            )
        )

    sheets.append(
        _table(
            "Reasons to leave",
            [
                ("reason", "r.label"),
                ("group", label("s.group")),
                ("n", "s.estimate.n"),
                ("share", "s.estimate.share"),
                ("ci_low", "s.estimate.ci_low"),
                ("ci_high", "s.estimate.ci_high"),
                ("note", lambda _: None),
            ],
            [{"r": r, "s": s} for r in a.defection_factors.reasons for s in r.shares],
            withheld=lambda i: (
                "suppressed" if i["s"].suppressed or i["s"].estimate is None else None
            ),
            keep=2,
        )
    )

    voice = a.voice
    if voice is not None:
        sheets.append(
            _table(
                "Voice themes",
                [
                    ("question", "q.question"),
                    ("theme", "t.label"),
                    ("keywords", lambda i: ", ".join(_get(i["t"], "keywords") or [])),
                    ("answers", "t.size"),
                    ("audience", lambda i: L(i["g"])),
                    ("n", "s.n"),
                    ("share", "s.share"),
                    ("ci_low", "s.ci_low"),
                    ("ci_high", "s.ci_high"),
                    (
                        "quotes",
                        lambda i: " | ".join(
                            str(_get(x, "text")) for x in _get(i["t"], "quotes") or []
                        ),
                    ),
                ],
                [
                    {"q": q, "t": t, "g": g, "s": s}
                    for q in _get(voice, "questions") or []
                    for t in _read(q, "themes.themes") or []
                    for g, s in (_get(t, "share_by_group") or {}).items()
                ],
            )
        )

    if a.consistency:
        cs = a.consistency
        hot = {(h.touchpoint, h.moment) for h in cs.hot_spots}
        excess = {(h.touchpoint, h.moment): h.excess_failure_rate for h in cs.hot_spots}
        sheets.append(
            _table(
                "Hot spots",
                [
                    ("touchpoint", label("touchpoint")),
                    ("moment", label("moment")),
                    ("n", "n"),
                    ("failures", "failures"),
                    ("failure rate", "failure_rate"),
                    ("ci_low", lambda x: x.failure_rate_ci[0] if x.failure_rate_ci else None),
                    ("ci_high", lambda x: x.failure_rate_ci[1] if x.failure_rate_ci else None),
                    ("excess", lambda x: excess.get((x.touchpoint, x.moment))),
                    ("cost", "cost"),
                    ("hot spot", lambda x: (x.touchpoint, x.moment) in hot),
                ],
                cs.cells,
                note=(
                    f"consistency index {num(cs.consistency_index, 3)}, chi2 {num(cs.chi2, 2)} "
                    f"(df {cs.chi2_dof}, {p_text(cs.chi2_p_value)})"
                ),
            )
        )

    if a.ledger:
        lg = a.ledger
        td = lg.threshold_detail
        note = (
            f"threshold {lg.threshold} ({lg.threshold_method}: {td.reason}); AUC {td.auc} "
            f"[{td.auc_ci_low}, {td.auc_ci_high}]"
        )
        if lg.revenue_at_risk:
            r = lg.revenue_at_risk
            note += (
                f"; revenue below threshold {r.revenue_below_threshold} in {r.n_below} "
                f"accounts; expected loss within {r.horizon_days} days "
                f"{r.expected_revenue_loss} (95% interval {r.expected_revenue_loss_ci}; "
                f"revenue actually lost, 95%: {r.revenue_lost_interval})"
            )
        if td.sample is not None:
            note += f"; sample: {td.sample.description}"
        sheets.append(
            _table(
                "Accounts",
                [
                    ("account", "account"),
                    ("name", lambda x: data.account_names.get(x.account)),
                    ("owner", "owner"),
                    ("balance", "balance"),
                    ("below threshold", "below_threshold"),
                    ("distance", "distance"),
                    ("events", "events"),
                    ("failures", "failures"),
                    ("compounded failures", "compounded_failures"),
                    ("chance of leaving within the horizon", "probability"),
                    ("revenue", "revenue"),
                ],
                sorted(lg.accounts, key=lambda x: x.distance),
                note=note,
            )
        )
        sheets.append(
            _table(
                "Balance timelines",
                [
                    ("account", "t.account"),
                    ("date", lambda i: i["p"].date.replace(tzinfo=None)),
                    ("balance", "p.balance"),
                ],
                [{"t": t, "p": p} for t in data.timelines for p in t.history],
            )
        )

    if a.actions:
        sheets.append(
            _table(
                "Action plan",
                [
                    ("title", "title"),
                    ("factor", label("factor")),
                    ("touchpoint", label("touchpoint")),
                    ("owner", "owner"),
                    ("due", "due_on"),
                    ("status", "status"),
                    ("gap change", "progress.gap_change"),
                    ("ci_low", "progress.gap_change_ci_low"),
                    ("ci_high", "progress.gap_change_ci_high"),
                    (
                        "verdict",
                        lambda p: (
                            f"{p.progress.status}: {p.progress.explanation}"
                            if p.progress
                            else p.progress_note
                        ),
                    ),
                ],
                a.actions.plan,
            )
        )
        sheets.append(
            _table(
                "Candidate actions",
                [
                    ("rank", "rank"),
                    ("title", "title"),
                    ("priority", "priority"),
                    ("customers n", "evidence.customer_factor.n"),
                    ("customers mean", "evidence.customer_factor.mean"),
                    ("leadership n", "evidence.leadership_factor.n"),
                    ("leadership mean", "evidence.leadership_factor.mean"),
                    ("gap", "evidence.gap.difference"),
                    ("gap ci_low", "evidence.gap.ci_low"),
                    ("gap ci_high", "evidence.gap.ci_high"),
                ],
                # unranked candidates (no leadership answers: no blind spot) are not shown
                [x for x in a.actions.candidates.actions if x.rank is not None],
            )
        )

    sheets.append(
        _table(
            "Waves",
            [
                ("before", "pair.before"),
                ("after", "pair.after"),
                ("item", label("g.item")),
                ("audience", label("g.audience")),
                ("gap before", "g.gap_before"),
                ("gap after", "g.gap_after"),
                ("change", "g.change"),
                ("ci_low", "g.ci_low"),
                ("ci_high", "g.ci_high"),
                ("p", "g.p_value"),
                ("closing", "g.closing"),
            ],
            [{"pair": pair, "g": g} for pair in a.waves.pairs for g in pair.gaps],
            withheld=lambda i: "suppressed" if i["g"].suppressed else None,
            keep=4,
        )
    )

    # A group nobody in it answered has no estimate: its row goes, and so does
    # a sheet left with no rows (the Study sheet names those sheets).
    for sheet in sheets[1:]:
        if "n" in sheet.columns:
            i = sheet.columns.index("n")
            sheet.rows = [r for r in sheet.rows if not (len(r) > i and r[i] == 0)]
    empty = [sh.name for sh in sheets if not sh.rows]
    sheets = [sh for sh in sheets if sh.rows]
    if empty:
        info.rows.append(["sheets without data", ", ".join(empty)])
    ms = Sheet("Missing data", ["section", "what to collect"])
    ms.rows = [[k, v] for k, v in a.missing.items()]
    sheets.append(ms)
    return sheets


def _sheet_title(title: str, key: str) -> str:
    """A sheet title Excel accepts (at most 31 characters with " tests"
    added, none of ``[]:*?/\\``); the key where the label will not do.

    >>> _sheet_title("By Class", "class"), _sheet_title("By Plan [2026]", "plan")
    ('By Class', 'By plan')
    """
    if len(title) > 25 or any(ch in title for ch in "[]:*?/\\"):
        return f"By {key}"[:25]
    return title


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
