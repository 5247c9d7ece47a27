"""Opening cases from a study's stored answers and ledger, with their
evidence and their notifications (``docs/CASES.md``).

:func:`cases_for_response` runs after a survey submission commits;
:func:`scan_cases` evaluates every rule over the last ``lookback_days``
(the CLI, the demo, a nightly job). Both open only what is not open already
and queue the notifications in the same transaction; delivering them is
:mod:`cxgap.notify.outbox`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from cxgap.analysis.plan.cases import AnswerRecord, CaseCandidate, account_cases, answer_cases
from cxgap.errors import CxgapError
from cxgap.store import schema as t
from cxgap.store.accounts import load_accounts, load_events
from cxgap.store.cases import get_case, insert_cases
from cxgap.store.db import Database
from cxgap.store.notifications import queue
from cxgap.store.studies import load_study, study_id
from cxgap.study.model import StudyDefinition

__all__ = ["ScanResult", "case_notice", "cases_for_response", "scan_cases"]


@dataclass(frozen=True)
class ScanResult:
    """What a scan opened (case numbers), the open cases it found overdue,
    and how many notifications it queued for both."""

    since: datetime
    as_of: datetime
    considered: int
    opened: list[int]
    notifications: int
    #: cases that went past their due date since the last scan (told once)
    overdue: list[int] = field(default_factory=list)


def _at(day: date | datetime | None, fallback: datetime) -> datetime:
    """When an answer was given: its day at noon (the store keeps the day),
    or ``fallback`` (now) for an answer of today or of no known day."""
    if day is None:
        return fallback
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=UTC)
    if day == fallback.date():
        return fallback
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _records(
    conn: Connection,
    study: StudyDefinition,
    sid: int,
    *,
    ids: Sequence[int] | None = None,
    since: date | None = None,
    until: date | None = None,
    now: datetime,
) -> list[AnswerRecord]:
    """Customers' complete responses (by id, or submitted in a date range)."""
    r, p, a = t.response, t.respondent, t.account
    q = (
        select(
            r.c.id,
            r.c.source_key,
            r.c.audience,
            r.c.submitted_on,
            t.wave.c.closes,
            p.c.external_id.label("respondent"),
            p.c.name.label("contact"),
            a.c.external_id.label("account"),
            a.c.name.label("account_name"),
        )
        .select_from(
            r.join(t.wave, t.wave.c.id == r.c.wave_id)
            .outerjoin(p, p.c.id == r.c.respondent_id)
            .outerjoin(a, a.c.id == r.c.account_id)
        )
        .where(r.c.study_id == sid, r.c.status == "complete", r.c.audience == "customer")
    )
    if ids is not None:
        q = q.where(r.c.id.in_(list(ids)))
    rows = conn.execute(q).all()
    if since is not None or until is not None:
        # Imported answers carry no day: they count on their wave's closing day;
        # a response with neither is not placed in time and not scanned.
        rows = [
            row
            for row in rows
            if (day := row.submitted_on or row.closes) is not None
            and (since is None or day > since)
            and (until is None or day <= until)
        ]
    if not rows:
        return []
    multi = {x.key for x in study.questions if x.kind == "multi"}
    answers: dict[int, dict[str, Any]] = {row.id: {} for row in rows}
    ids_all = list(answers)
    for start in range(0, len(ids_all), 500):
        chunk = ids_all[start : start + 500]
        for rid, key, item, num, text in conn.execute(
            select(
                t.answer.c.response_id,
                t.answer.c.question_key,
                t.answer.c.item,
                t.answer.c.value_num,
                t.answer.c.value_text,
            ).where(t.answer.c.response_id.in_(chunk))
        ):
            got = answers[rid]
            if key in multi and item:
                if num is not None and num > 0:
                    got.setdefault(key, []).append(item)
            elif not item:
                got[key] = float(num) if num is not None else text
    return [
        AnswerRecord(
            response_key=row.source_key,
            audience=row.audience,
            submitted_at=_at(row.submitted_on or row.closes, now),
            answers=answers[row.id],
            account=row.account,
            account_name=row.account_name,
            respondent=row.respondent,
            contact_name=row.contact,
        )
        for row in rows
    ]


def _text_tools(study: StudyDefinition) -> tuple[Any, Any]:
    """Sentiment and tagging for the ``negative_text`` rule (loaded only
    when an enabled rule needs them)."""
    if not any(r.enabled and r.trigger == "negative_text" for r in study.cases.rules):
        return None, None
    from cxgap.analysis.voice.sentiment import sentiment_scores
    from cxgap.analysis.voice.tagging import build_lexicon, tag_text

    lexicon = build_lexicon(study)
    return (lambda texts: list(sentiment_scores(texts))), (lambda text: tag_text(text, lexicon))


def _ledger_evidence(
    db: Database, slug: str, study: StudyDefinition, accounts: set[str], as_of: datetime
) -> dict[str, dict[str, Any]]:
    """Balance, threshold and largest debits of each account at ``as_of``,
    for the case evidence (empty where the study has no events, or its
    ledger cannot be computed yet)."""
    if not accounts:
        return {}
    from cxgap.analysis.ledger.balance import balances_at, score_events
    from cxgap.analysis.ledger.risk import largest_debits, ledger_report

    events = load_events(db, slug)
    if events.empty:
        return {}
    when = pd.Timestamp(as_of.astimezone(UTC).replace(tzinfo=None))
    events = events[events["timestamp"] <= when]
    wanted = sorted(accounts & set(events["account_id"].astype(str)))
    if not wanted:
        return {}
    weights = {m.key: m.weight for m in study.moments}
    try:
        report = ledger_report(
            events, study.ledger, weights, when, accounts=load_accounts(db, slug)
        )
    except CxgapError:  # evidence is a courtesy: a ledger that cannot be computed leaves it out
        return {}
    scored = score_events(events, study.ledger, weights)
    balances = balances_at(scored, when, accounts=pd.Index(wanted))["balance"]
    debits = largest_debits(scored, when, wanted, top=3)
    threshold = report.threshold
    return {
        acc: {
            "balance": round(float(balances[acc]), 2),
            "threshold": round(threshold, 2),
            "distance": round(float(balances[acc]) - threshold, 2),
            "below_threshold": bool(balances[acc] < threshold),
            "balance_as_of": when.isoformat(),
            "largest_debits": [
                {
                    "timestamp": x.timestamp.isoformat(),
                    "touchpoint": x.touchpoint,
                    "moment": x.moment,
                    "severity": x.severity,
                    "contribution": round(x.contribution, 2),
                    "weight_now": round(x.weight_now, 2),
                    "compounded": x.compounded,
                }
                for x in debits.get(acc, [])
            ],
        }
        for acc in wanted
    }


def case_notice(case: Any, *, base_url: str, kind: str = "case_opened") -> dict[str, Any]:
    """The notice of a case, as the channels send it (subject, text, link, fields)."""
    account = case.account_name or case.account or "no account"
    due = case.due_at.strftime("%Y-%m-%d %H:%M UTC")
    verb = {"case_opened": "opened", "case_overdue": "overdue"}.get(kind, kind)
    lines = [
        case.title,
        f"Account: {account}. Contact: {case.contact}. Owner: {case.owner or 'nobody yet'}.",
        f"Priority {case.priority}, due {due}.",
    ]
    text = case.evidence.get("text")
    if text:
        lines.append(f'They wrote: "{str(text)[:300]}"')
    bal = case.evidence.get("ledger", {}).get("balance", case.evidence.get("balance"))
    if bal is not None:
        lines.append(f"Relationship balance {bal:.1f}.")
    return {
        "kind": kind,
        "subject": f"Case #{case.number} {verb}: {case.title}"[:300],
        "text": "\n".join(lines),
        "url": f"{base_url.rstrip('/')}/dashboard/studies/{case.study}/cases/{case.number}",
        "fields": {
            "Account": account,
            "Owner": case.owner or "–",
            "Priority": case.priority,
            "Due": due,
            "Rule": case.rule_key,
        },
    }


def _open(
    db: Database,
    slug: str,
    study: StudyDefinition,
    candidates: list[CaseCandidate],
    *,
    now: datetime,
    base_url: str,
    as_of: datetime | None = None,
) -> tuple[list[int], int]:
    """Add ledger evidence, open the cases and queue their notices in one
    transaction; return the new case numbers and the notices queued."""
    if not candidates:
        return [], 0
    accounts = {c.account for c in candidates if c.account}
    ledger = _ledger_evidence(db, slug, study, accounts, as_of or now)
    proposed = []
    for c in candidates:
        fields = c.model_dump()
        if c.account in ledger:
            fields["evidence"] = {**fields["evidence"], "ledger": ledger[c.account]}
        proposed.append(fields)
    with db.begin() as conn:
        ids = insert_cases(conn, slug, proposed, now=now)
        numbers = {
            int(cid): int(number)
            for cid, number in conn.execute(
                select(t.cx_case.c.id, t.cx_case.c.number).where(t.cx_case.c.id.in_(ids))
            )
        }
    notices = {}
    for cid, number in numbers.items():
        notices[cid] = case_notice(get_case(db, slug, number, now=now), base_url=base_url)
    with db.begin() as conn:
        queued = queue(conn, slug, ids, notices, now=now)
    return sorted(numbers.values()), queued


def cases_for_response(
    db: Database, slug: str, response_id: int, *, base_url: str, now: datetime | None = None
) -> list[int]:
    """Open the cases one just-submitted response calls for; return their numbers."""
    when = now or datetime.now(UTC)
    study = load_study(db, slug)
    if not any(r.enabled for r in study.cases.rules):
        return []
    with db.connect() as conn:
        records = _records(conn, study, study_id(conn, slug), ids=[response_id], now=when)
    sentiment, tags = _text_tools(study)
    candidates = answer_cases(study, records, sentiment=sentiment, tags=tags)
    return _open(db, slug, study, candidates, now=when, base_url=base_url)[0]


def scan_cases(
    db: Database,
    slug: str,
    *,
    base_url: str,
    as_of: datetime | None = None,
    lookback_days: int | None = None,
    now: datetime | None = None,
) -> ScanResult:
    """Evaluate every enabled rule over ``(as_of - lookback, as_of]``
    (default: now and the study's ``cases.lookback_days``); open what is not
    open yet. Running it twice opens nothing the second time."""
    when = now or datetime.now(UTC)
    end = as_of or when
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    study = load_study(db, slug)
    days = lookback_days if lookback_days is not None else study.cases.lookback_days
    start = end - timedelta(days=days)
    with db.connect() as conn:
        records = _records(
            conn,
            study,
            study_id(conn, slug),
            since=start.date(),
            until=end.date(),
            now=end,
        )
    sentiment, tags = _text_tools(study)
    candidates = answer_cases(study, records, sentiment=sentiment, tags=tags)
    considered = len(records)
    account_rules = [
        r
        for r in study.cases.rules
        if r.enabled and r.trigger in ("below_threshold", "failure_burst")
    ]
    if account_rules:
        events = load_events(db, slug)
        if not events.empty:
            accounts = load_accounts(db, slug)
            names = {
                str(a): str(n)
                for a, n in zip(accounts["account_id"], accounts["name"], strict=True)
                if isinstance(n, str)
            }
            retained = set(accounts[accounts["defected_at"].isna()]["account_id"].astype(str))
            naive_end = pd.Timestamp(end.astimezone(UTC).replace(tzinfo=None))
            naive_start = pd.Timestamp(start.astimezone(UTC).replace(tzinfo=None))
            alerts = None
            if any(r.trigger == "below_threshold" for r in account_rules):
                from cxgap.analysis.ledger.risk import alerts_since

                # The threshold is learned from every account, defected ones
                # included; only accounts still with us open a case.
                found = alerts_since(
                    events,
                    study.ledger,
                    {m.key: m.weight for m in study.moments},
                    since=naive_start,
                    as_of=naive_end,
                    accounts=accounts,
                )
                alerts = found.model_copy(
                    update={
                        "as_of": end,
                        "since": start,
                        "crossed_below": [a for a in found.crossed_below if a.account in retained],
                    }
                )
            events = events[events["account_id"].astype(str).isin(retained)]
            candidates += account_cases(
                study,
                alerts=alerts,
                events=events,
                since=naive_start,
                as_of=naive_end,
                names=names,
            )
            considered += int(events["account_id"].nunique()) if len(events) else 0
    opened, queued = _open(db, slug, study, candidates, now=when, base_url=base_url, as_of=end)
    late, told = _tell_overdue(db, slug, now=when, base_url=base_url)
    return ScanResult(
        since=start,
        as_of=end,
        considered=considered,
        opened=opened,
        notifications=queued + told,
        overdue=late,
    )


def _tell_overdue(
    db: Database, slug: str, *, now: datetime, base_url: str
) -> tuple[list[int], int]:
    """Cases past their due date that nobody was told of yet: one notice
    each (to the same people as its opening) and a line in its history.
    Returns their numbers and the notices queued."""
    from cxgap.store.cases import list_cases, record_entry

    late = [
        c for c in list_cases(db, slug, open_only=True, now=now) if c.overdue and c.opened_at <= now
    ]
    if not late:
        return [], 0
    with db.connect() as conn:
        sid = study_id(conn, slug)
        told = set(
            conn.execute(
                select(t.cx_case.c.number)
                .join(t.case_entry, t.case_entry.c.case_id == t.cx_case.c.id)
                .where(t.cx_case.c.study_id == sid, t.case_entry.c.kind == "overdue")
            ).scalars()
        )
        ids = dict(
            conn.execute(
                select(t.cx_case.c.number, t.cx_case.c.id).where(t.cx_case.c.study_id == sid)
            ).all()
        )
    fresh = [c for c in late if c.number not in told]
    if not fresh:
        return [], 0
    notices = {ids[c.number]: case_notice(c, base_url=base_url, kind="case_overdue") for c in fresh}
    with db.begin() as conn:
        for c in fresh:
            record_entry(
                conn,
                ids[c.number],
                at=now,
                kind="overdue",
                text=f"Past its due date ({c.due_at:%Y-%m-%d %H:%M} UTC): its people were told.",
            )
        queued = queue(conn, slug, list(notices), notices, now=now)
    return [c.number for c in fresh], queued


def case_followup(db: Database, slug: str, number: int) -> dict[str, Any] | None:
    """Whether the answer changed: the case's customer (or, for an account
    case or an anonymous answer, the account's customers on average) in the
    case's wave and in the next wave, likelihood to recommend and the
    "excellent" rating, each with its n. ``None`` when there is no next wave
    with answers yet.
    """
    from cxgap.store.cases import get_case

    case = get_case(db, slug, number)
    study = load_study(db, slug)
    order = {w.key: i for i, w in enumerate(study.waves)}
    ltr = next((q.key for q in study.questions if q.key == "ltr"), None)
    keys = [k for k in (ltr, "excellent") if k]
    with db.connect() as conn:
        sid = study_id(conn, slug)
        c = conn.execute(
            select(
                t.cx_case.c.respondent_id, t.cx_case.c.account_id, t.cx_case.c.response_id
            ).where(t.cx_case.c.study_id == sid, t.cx_case.c.number == number)
        ).one()
        r = t.response
        q = (
            select(r.c.id, r.c.respondent_id, t.wave.c.key, t.wave.c.opens)
            .join(t.wave, t.wave.c.id == r.c.wave_id)
            .where(r.c.study_id == sid, r.c.status == "complete", r.c.audience == "customer")
        )
        if c.account_id is not None:
            q = q.where(r.c.account_id == c.account_id)
        elif c.respondent_id is not None:
            q = q.where(r.c.respondent_id == c.respondent_id)
        else:
            return None
        rows = conn.execute(q).all()
        own_wave = next((row.key for row in rows if row.id == c.response_id), None)
        if own_wave is None:  # an account case: the wave before it opened
            earlier = [
                row.key for row in rows if row.opens is None or row.opens <= case.opened_at.date()
            ]
            own_wave = max(earlier, key=lambda k: order.get(k, -1)) if earlier else None
        later = sorted(
            {row.key for row in rows if order.get(row.key, -1) > order.get(own_wave or "", -1)},
            key=lambda k: order.get(k, -1),
        )
        if own_wave is None or not later:
            return None
        nxt = later[0]
        ids = [row.id for row in rows if row.key in (own_wave, nxt)]
        answers = conn.execute(
            select(t.answer.c.response_id, t.answer.c.question_key, t.answer.c.value_num).where(
                t.answer.c.response_id.in_(ids), t.answer.c.question_key.in_(keys)
            )
        ).all()
    person = c.respondent_id if c.response_id is not None else None
    wave_of = {row.id: row.key for row in rows}
    who = {row.id: row.respondent_id for row in rows}

    def side(wave: str, person: int | None) -> dict[str, Any]:
        out: dict[str, Any] = {"wave": wave}
        for key in keys:
            vals = [
                v
                for rid, k, v in answers
                if k == key
                and v is not None
                and wave_of[rid] == wave
                and (person is None or who[rid] == person)
            ]
            out[key] = round(sum(vals) / len(vals), 2) if vals else None
            out[f"{key}_n"] = len(vals)
        return out

    def answered(part: dict[str, Any]) -> bool:
        return any(part.get(f"{k}_n") for k in keys)

    before, after = side(own_wave, person), side(nxt, person)
    if person is not None and not answered(after):  # they did not answer again: their account
        person = None
        before, after = side(own_wave, None), side(nxt, None)
    if not answered(after):
        return None
    change = {
        k: round(after[k] - before[k], 2)
        for k in keys
        if after.get(k) is not None and before.get(k) is not None
    }
    return {
        "scope": "contact" if person is not None else "account",
        "before": before,
        "after": after,
        "change": change,
    }
