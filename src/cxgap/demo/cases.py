"""The demo's closed loop: the study's case rules run after each wave, and
the account owners work the cases the way a team does — most of the first
wave's closed with their outcome (so the ledger records them and the second
wave shows whether the answer changed), the second wave's still being
worked, some overdue.

Who does what is drawn from a seeded generator; what opens a case is the
study's own rules on the demo's answers and events, not planted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from cxgap.service.cases import scan_cases
from cxgap.store.cases import change_case, list_cases, record_loop_closed
from cxgap.store.db import Database
from cxgap.store.studies import load_study

__all__ = ["demo_wave_ends", "work_demo_cases"]

#: Where each touchpoint's problems happen, for the root cause an owner codes.
_MOMENT_OF = {
    "support": "problem_resolution",
    "implementation": "implementation",
    "billing": "routine",
    "account_management": "proactive",
    "sales": "knowledge",
    "product": "adding_value",
}
#: The touchpoint a reason to leave points to, when nothing else does.
_TOUCHPOINT_OF_FACTOR = {
    "resolution": "support",
    "time_effort": "support",
    "integrity": "account_management",
    "personalisation": "account_management",
    "expectations": "implementation",
    "empathy": "support",
}
_NOTES = {
    "acknowledged": "Called the contact; meeting booked for next week.",
    "in_progress": "Escalated to the team lead; a fix is being tested.",
}
_DONE = {
    "exceeded": "Fixed at the root and credited a month; the customer thanked us.",
    "met": "Resolved and confirmed with the customer on a call.",
    "failed": "Could not fix it in time; the customer is still unhappy.",
}


def _root(case: object) -> tuple[str, str]:
    evidence = getattr(case, "evidence", {})
    tp = getattr(case, "root_touchpoint", None)
    if tp is None:
        debits = evidence.get("ledger", {}).get("largest_debits") or []
        tp = next((d["touchpoint"] for d in debits if d.get("touchpoint")), None)
    if tp is None:
        tp = _TOUCHPOINT_OF_FACTOR.get(
            getattr(case, "root_factor", None) or "", "account_management"
        )
    moment = getattr(case, "root_moment", None) or _MOMENT_OF.get(tp, "routine")
    return tp, moment


def _work(
    db: Database,
    slug: str,
    numbers: list[int],
    rng: np.random.Generator,
    *,
    shares: dict[str, float],
) -> None:
    """Move each case to a state drawn with ``shares`` (new, acknowledged,
    in_progress, closed), at dates after it opened."""
    states = list(shares)
    probs = np.array([shares[s] for s in states], dtype=float)
    by_number = {c.number: c for c in list_cases(db, slug)}
    study = load_study(db, slug)
    for number in numbers:
        case = by_number[number]
        state = states[int(rng.choice(len(states), p=probs / probs.sum()))]
        if state == "new":
            continue
        owner = case.owner or "Account team"
        start = case.opened_at
        ack = start + timedelta(hours=float(rng.uniform(2, 60)))
        note = _NOTES["acknowledged"] if state == "acknowledged" else None
        change_case(
            db, slug, number, study=study, author=owner, status="acknowledged", note=note, now=ack
        )
        if state == "acknowledged":
            continue
        work = ack + timedelta(days=float(rng.uniform(0.5, 4)))
        change_case(
            db,
            slug,
            number,
            study=study,
            author=owner,
            status="in_progress",
            note=_NOTES["in_progress"],
            now=work,
        )
        if state == "in_progress":
            continue
        tp, moment = _root(case)
        outcome = str(rng.choice(["exceeded", "met", "failed"], p=[0.2, 0.6, 0.2]))
        closed = work + timedelta(days=float(rng.uniform(1, 12)))
        change_case(
            db,
            slug,
            number,
            study=study,
            author=owner,
            resolution=outcome,
            root_factor=case.root_factor,
            root_touchpoint=tp,
            root_moment=moment,
            note=_DONE[outcome],
            now=closed,
        )
        if case.response and outcome != "failed":
            record_loop_closed(
                db,
                slug,
                number,
                author=owner,
                text="Called the customer back to say what we changed.",
                now=closed + timedelta(hours=2),
            )


def work_demo_cases(
    db: Database, slug: str, *, seed: int, wave_ends: list[datetime], base_url: str
) -> dict[str, int]:
    """Scan a few days after each wave and once more at the demo's today
    (``wave_ends[-1]``), and work the cases as a team would have by then:
    an earlier wave's mostly closed, the last wave's half, today's not yet.
    Return how many cases were opened and closed."""
    rng = np.random.default_rng(seed + 2020)
    opened = 0
    for i, end in enumerate(wave_ends):
        result = scan_cases(db, slug, base_url=base_url, as_of=end, lookback_days=30, now=end)
        opened += len(result.opened)
        if i == len(wave_ends) - 1:
            continue  # opened today: nobody has looked yet
        if i == len(wave_ends) - 2:
            shares = {"new": 0.1, "acknowledged": 0.15, "in_progress": 0.25, "closed": 0.5}
        else:
            shares = {"new": 0.05, "acknowledged": 0.05, "in_progress": 0.1, "closed": 0.8}
        _work(db, slug, result.opened, rng, shares=shares)
    closed = sum(c.status == "closed" for c in list_cases(db, slug))
    return {"cases opened": opened, "cases closed": closed}


def demo_wave_ends(closes: list[date | None], events_end: datetime) -> list[datetime]:
    """When the demo scans: three days after each wave closed, and at the
    last event (the demo's today)."""
    ends = [
        datetime(c.year, c.month, c.day, tzinfo=UTC) + timedelta(days=3)
        for c in closes
        if c is not None
    ]
    return [*ends, events_end.replace(tzinfo=UTC)]
