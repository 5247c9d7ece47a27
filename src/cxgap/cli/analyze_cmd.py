"""``cxgap analyze``: the whole study analysis, as a summary or as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from cxgap.cli._app import app
from cxgap.cli._common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    fmt,
    print_json,
    settings_from,
)
from cxgap.contracts.numbers import p_text, signed

if TYPE_CHECKING:
    from cxgap.analysis.study import StudyAnalysis
    from cxgap.study.model import StudyDefinition

_AUDIENCES = ("leadership", "staff", "customer")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def print_headline(a: StudyAnalysis) -> None:
    """The headline findings: who calls the service excellent, and NPS vs predicted NPS.

    Each share and score comes with its n and 95% interval; suppressed
    groups say why instead. Without excellent answers, the analysis's
    ``headline`` (its outcome, the gap it lacks, its top drivers) leads.
    """
    from rich.table import Table

    from cxgap.analysis.perception.excellent import SuppressedShare

    if not any(getattr(getattr(s, "estimate", None), "n", 0) for s in a.excellent.shares):
        # a study without the excellent item (an imported export): lead with
        # the outcome it holds, the gap it lacks and the top drivers
        for line in a.headline:
            console.print(line, style="bold")
        if a.outcome is not None and a.outcome.outcome.kind == "two-level":
            o = a.outcome.outcome
            console.print(f"Outcome {o.key!r} ({o.basis}): 1 = {o.positive!r}, 0 = {o.negative!r}")
        console.print("No answers to the excellent question: no excellent shares.")
        _print_nps(a)
        return
    console.print(a.excellent.headline, style="bold")

    t = Table("audience", "n", "excellent (top box)", "95% CI", title=None)
    for s in a.excellent.shares:
        if isinstance(s, SuppressedShare):
            t.add_row(s.audience, "–", "suppressed", s.reason)
            continue
        e = s.estimate
        t.add_row(s.audience, str(e.n), _pct(e.share), f"{_pct(e.ci_low)} – {_pct(e.ci_high)}")
    console.print(t)
    _print_nps(a)


def _print_nps(a: StudyAnalysis) -> None:
    """The customers' NPS and the NPS leadership and staff expect, where answered."""
    from cxgap.analysis.perception.assembly import SuppressedPrediction

    c = a.nps.customers
    if c.n == 0:
        console.print("No 0-10 likelihood-to-recommend answers: no NPS.")
        return
    console.print(
        f"Customer NPS {fmt(c.nps, 1)} (95% CI {fmt(c.ci_low, 1)} to {fmt(c.ci_high, 1)}, "
        f"n = {c.n}, {c.method})"
    )
    for pred in a.nps.predicted:
        if isinstance(pred, SuppressedPrediction):
            console.print(f"  {pred.audience}: expected NPS suppressed ({pred.reason})")
            continue
        gap = pred.gap
        versus = (
            "no gap measurable"
            if gap is None
            else f"{fmt(abs(gap), 0)} points {'above' if gap >= 0 else 'below'} what customers give"
        )
        console.print(
            f"  {pred.audience} expect {fmt(pred.expected.nps, 0)} (n = {pred.expected.n}): "
            f"{versus} (CI {fmt(pred.ci_low, 0)} to {fmt(pred.ci_high, 0)})"
        )


def _summary(a: StudyAnalysis, labels: dict[str, str]) -> None:
    from rich.table import Table

    from cxgap.analysis.perception.gaps import GapComparison, SuppressedCell

    info = a.study
    n = ", ".join(f"{k} {v}" for k, v in sorted(info.respondents.items()))
    console.print(
        Text.assemble((info.name, "bold"), f" — {info.organisation} — wave {a.wave} ({n})")
    )
    print_headline(a)
    cells = {(cell.item, cell.group): cell for cell in a.gaps.cells}
    g = Table("item", *_AUDIENCES, "lead − cust [95% CI] Holm p")
    comps = {(x.item, x.a, x.b): x for x in a.gaps.comparisons}
    for item in a.gaps.items:
        row = [labels.get(item, item)]
        for aud in _AUDIENCES:
            cell = cells.get((item, aud))
            if isinstance(cell, SuppressedCell):
                row.append("suppressed")
            elif cell is None or cell.mean is None:
                row.append("–")
            else:
                row.append(f"{fmt(cell.mean, 2)} n={cell.n}")
        cmp = comps.get((item, "leadership", "customer"))
        if not isinstance(cmp, GapComparison) or cmp.difference is None:
            row.append("–")
        else:
            p = "" if cmp.p_welch_holm is None else f" {p_text(cmp.p_welch_holm)}"
            row.append(f"{signed(cmp.difference)} [{fmt(cmp.ci_low)}, {fmt(cmp.ci_high)}]{p}")
        g.add_row(*row)
    console.print(g)

    if a.priorities is not None:
        focus = [f for f in a.priorities.factors if f.quadrant == "Concentrate here"]
        imp_word = (
            "derived importance (share of R²)"
            if a.priorities.importance == "derived"
            else "importance"
        )
        if focus:
            console.print(
                "Concentrate here: "
                + ", ".join(
                    f"{f.label} ({imp_word} {fmt(f.importance, 2)}, performance "
                    f"{fmt(f.performance.mean, 2)})"
                    for f in focus
                    if f.performance.mean is not None
                )
            )
        hidden = [s for s in (a.priorities.stated_vs_derived or []) if s.verdict == "hidden driver"]
        if hidden:
            console.print("Hidden drivers: " + ", ".join(s.label for s in hidden))
    if a.actions is not None and a.actions.candidates.actions:
        console.print("Top candidate actions:")
        for act in a.actions.candidates.actions[:3]:
            console.print(f"  {act.rank}. {act.title} (priority {fmt(act.priority)})")
    if a.ledger is not None:
        below = [x for x in a.ledger.accounts if x.below_threshold]
        rar = a.ledger.revenue_at_risk
        money = f", revenue at risk {rar.revenue_below_threshold:,.0f}" if rar else ""
        console.print(
            f"Relationship bank account at {a.ledger.as_of:%Y-%m-%d}: {len(below)} of "
            f"{a.ledger.n_accounts} accounts below the threshold "
            f"{fmt(a.ledger.threshold, 1)} ({a.ledger.threshold_method}){money}"
        )
    if a.hot_spots:
        console.print(
            "Hot spots: "
            + ", ".join(
                f"{h.touchpoint} × {h.moment} ({_pct(h.failure_rate)} failed, n {h.n})"
                for h in a.hot_spots[:3]
            )
        )
    for key, what in a.missing.items():
        console.print(Text.assemble((key, "yellow"), f": no data — collect {what}"))


def attribute_key(study: StudyDefinition, by: str) -> str:
    """The attribute ``--by`` names (``attr.<key>``, the key or the label)."""
    from cxgap.errors import CxgapError

    wanted = by.strip().removeprefix("attr.").casefold()
    for a in study.attributes:
        if wanted in (a.key.casefold(), a.label.casefold()):
            return a.key
    known = ", ".join(f"attr.{a.key}" for a in study.attributes) or "none"
    raise CxgapError(f"--by {by!r}: not a respondent attribute of the study (attributes: {known})")


def print_breakdown(a: StudyAnalysis, key: str, labels: dict[str, str]) -> None:
    """The customers broken down by attribute ``key``: mean (n) per level and
    item, each level's difference from the first, and NPS; withheld levels
    say so."""
    from rich.table import Table

    from cxgap.analysis.perception.attributes import SuppressedNpsGroup
    from cxgap.analysis.perception.gaps import GapComparison, SuppressedCell

    found = next((b for b in a.attributes if b.attribute == key), None)
    if found is None:
        console.print(
            f"attr.{key}: no breakdown in wave {a.wave} (no customer has a value, "
            "or it has too many levels)"
        )
        return
    cells = {(c.item, c.group): c for c in found.gaps.cells}
    comps = {(c.item, c.a): c for c in found.gaps.comparisons}
    first = found.levels[0]
    t = Table("item", *found.levels, *(f"{lv} − {first}" for lv in found.levels[1:]))
    t.title = f"Customers by {found.label} (wave {a.wave})"
    for item in found.gaps.items:
        row = [labels.get(item, item)]
        for level in found.levels:
            cell = cells.get((item, level))
            if isinstance(cell, SuppressedCell):
                row.append("suppressed")
            elif cell is None or cell.mean is None:
                row.append("–")
            else:
                row.append(f"{cell.mean:.2f} n={cell.n}")
        for level in found.levels[1:]:
            cmp = comps.get((item, level))
            if not isinstance(cmp, GapComparison) or cmp.difference is None:
                row.append("suppressed" if cmp is not None and cmp.suppressed else "–")
            else:
                p = "" if cmp.p_welch_holm is None else f" p={cmp.p_welch_holm:.1g}"
                row.append(f"{cmp.difference:+.2f}{p}")
        t.add_row(*row)
    console.print(t)
    for g in found.nps:
        if isinstance(g, SuppressedNpsGroup):
            console.print(f"  NPS {found.label} {g.group}: suppressed ({g.reason})")
        else:
            console.print(
                f"  NPS {found.label} {g.group}: {fmt(g.nps, 1)} "
                f"[{fmt(g.ci_low, 1)}, {fmt(g.ci_high, 1)}] (n = {g.n})"
            )
    if found.withheld:
        console.print(
            f"Levels with fewer than {a.study.anonymity_threshold} customers are suppressed, "
            "with as many others as it takes so that none can be worked out from the total.",
            style="dim",
        )


def item_labels(study: StudyDefinition) -> dict[str, str]:
    """Readable labels of the analysis items (``perf.<factor>``, ``tp.<touchpoint>``)."""
    labels = {f"perf.{f.key}": f.label for f in study.factors}
    labels.update({f"tp.{t.key}": t.label + " (team)" for t in study.touchpoints})
    return labels


@app.command()
def analyze(
    slug: Annotated[str, typer.Argument(help="The study to analyse.")],
    wave: Annotated[str | None, typer.Option(help="Wave key (default: the latest).")] = None,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples of the driver intervals.")
    ] = 1000,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Also show the customers broken down by this respondent attribute "
            "(attr.KEY, KEY or its label; repeatable).",
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
    precise: Annotated[
        bool,
        typer.Option(
            "--precise",
            help="With --json: every number at full precision, for machine use "
            "(default: rounded as the report shows them).",
        ),
    ] = False,
) -> None:
    """The whole study analysis: gaps, excellent, NPS, segments, attributes,
    waves, importance, drivers, priorities, defection risks, actions and the
    ledger. JSON numbers are rounded to display precision (means 2 decimals,
    NPS 1, p-values 2 significant digits) unless --precise."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from cxgap.service.studies import analyze as run_analysis
    from cxgap.store.db import Database
    from cxgap.store.studies import load_study

    with Database.open(settings_from(db)) as database:
        study = load_study(database, slug)
    keys = [attribute_key(study, b) for b in by or []]
    with (
        Database.open(settings_from(db)) as database,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("Analysing", total=None)
        result = run_analysis(
            database,
            slug,
            wave=wave,
            bootstrap=bootstrap,
            step=lambda what: progress.update(task, description=what),
        )
        labels = item_labels(study)
    if json:
        from cxgap.contracts.precision import display_rounded

        out = result.to_json_dict()
        print_json(out if precise else display_rounded(out))
    else:
        _summary(result, labels)
        for key in keys:
            print_breakdown(result, key, labels)
