"""Invitations: personal links, anonymous personal links, open team links,
reminders, status.

The three kinds of link are described in :mod:`cxgap.store.anonymous`. A
token is :func:`secrets.token_urlsafe` of 32 bytes (256 bits); only its
SHA-256 is stored (``invitation.token_hash``), so the database alone never
gives anyone a working link. The caller gets the tokens once, to write the
mail-merge file or send the e-mails.

A reminder issues a *new* token for the same respondent and wave, of the same
kind; the earlier link keeps working. Both open the same (single) response of
a personal link; on an anonymous one, whichever is used first answers for the
contact, and the other then says "already answered".
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cxgap.contracts.disclosure import OPEN_LINK, suppression_reason
from cxgap.contracts.result import Result
from cxgap.errors import InputError, NotFoundError, Problem
from cxgap.store import schema as t
from cxgap.store.anonymous import LinkKind
from cxgap.store.db import Database, inserted_id
from cxgap.store.studies import load_study, organisation_accounts, organisation_of, study_id
from cxgap.store.survey import token_hash
from cxgap.study.model import AUDIENCES

TOKEN_BYTES = 32
PROTECTED = ("leadership", "staff")


def new_token() -> str:
    """An unguessable link token: 256 bits from :mod:`secrets`.

    >>> len(new_token()) >= 43
    True
    """
    return secrets.token_urlsafe(TOKEN_BYTES)


def pseudonym(email: str) -> str:
    """The respondent id given to a contact without one: a hash of the e-mail.

    >>> pseudonym("Ann@Example.com") == pseudonym("ann@example.com ")
    True
    """
    return "c-" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Contact:
    """One person to invite; ``row`` is their line in the contacts file."""

    email: str
    name: str | None = None
    respondent_id: str | None = None
    segment: str | None = None
    team: str | None = None
    account_id: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class IssuedLink:
    """A link handed out once: the token is not stored anywhere else.

    ``kind`` is ``personal``, ``anonymous`` (one person's link, their answers
    stored without them) or ``open`` (one link shared by a team).
    """

    invitation_id: int
    token: str
    audience: str
    wave: str
    respondent_id: str | None
    name: str | None
    email: str | None
    segment: str | None
    team: str | None
    kind: LinkKind = "personal"

    @property
    def anonymous(self) -> bool:
        """Whether the answers are stored without the person (anonymous or open)."""
        return self.kind != "personal"

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/s/{self.token}"


@dataclass(frozen=True)
class InviteBatch:
    """The links created, and the contacts skipped because they already have one."""

    links: list[IssuedLink]
    skipped: list[Contact]


def _wave_id(conn: Connection, sid: int, slug: str, wave: str) -> int:
    found = conn.execute(
        select(t.wave.c.id).where(t.wave.c.study_id == sid, t.wave.c.key == wave)
    ).scalar()
    if found is None:
        known = conn.execute(select(t.wave.c.key).where(t.wave.c.study_id == sid)).scalars()
        raise NotFoundError(f"study {slug!r} has no wave {wave!r} (waves: {', '.join(known)})")
    return int(found)


def _check_audience(audience: str, *, anonymous: bool = False) -> None:
    if audience not in AUDIENCES:
        raise InputError(
            [Problem("--audience", None, None, audience, f"one of {', '.join(AUDIENCES)}")]
        )
    if anonymous and audience not in PROTECTED:
        # Customers answer about their own account: an anonymous answer
        # could not be tied to it, and no threshold protects them.
        raise InputError(
            [Problem("--audience", None, None, audience, "staff or leadership (anonymous links)")]
        )


def create_invitations(
    db: Database,
    slug: str,
    *,
    audience: str,
    wave: str,
    contacts: Sequence[Contact],
    file: str = "<contacts>",
    anonymous: bool = False,
) -> InviteBatch:
    """Create one private link per contact, in one transaction.

    Respondents are created or reused by ``respondent_id`` (else a pseudonym
    of the e-mail address). A contact who already has a link for this wave is
    skipped: their token cannot be shown again (use a reminder). Every
    problem of the contacts (segment, team or account unknown to the study,
    a respondent of another audience) is raised at once as
    :class:`InputError`, and nothing is written.

    With ``anonymous`` (staff and leadership only), each link is still one
    person's, but their answers are stored without them: under a fresh
    pseudonym with the audience and the contact's team, and nothing joining
    the response to the contact or the link (:mod:`cxgap.store.anonymous`).
    """
    _check_audience(audience, anonymous=anonymous)
    study = load_study(db, slug)
    segments = {s.key for s in study.segments}
    teams = {tp.key for tp in study.touchpoints}
    with db.begin() as conn:
        sid = study_id(conn, slug)
        wid = _wave_id(conn, sid, slug, wave)
        org = organisation_of(conn, sid)
        accounts = organisation_accounts(conn, org)
        existing = {
            r.external_id: r
            for r in conn.execute(
                select(
                    t.respondent.c.id, t.respondent.c.external_id, t.respondent.c.audience
                ).where(t.respondent.c.study_id == sid)
            )
        }
        invited = set(
            conn.execute(
                select(t.invitation.c.respondent_id).where(
                    t.invitation.c.wave_id == wid, t.invitation.c.respondent_id.is_not(None)
                )
            ).scalars()
        )
        problems: list[Problem] = []
        for c in contacts:
            if c.segment is not None and audience == "customer" and c.segment not in segments:
                problems.append(
                    Problem(
                        file, c.row, "segment", c.segment, f"one of {', '.join(sorted(segments))}"
                    )
                )
            if c.team is not None and audience != "customer" and c.team not in teams:
                problems.append(
                    Problem(file, c.row, "team", c.team, f"one of {', '.join(sorted(teams))}")
                )
            if c.account_id is not None and c.account_id not in accounts:
                problems.append(
                    Problem(
                        file, c.row, "account_id", c.account_id, "the id of an imported account"
                    )
                )
            rid = c.respondent_id or pseudonym(c.email)
            if rid in existing and existing[rid].audience != audience:
                problems.append(
                    Problem(
                        file,
                        c.row,
                        "respondent_id",
                        rid,
                        f"a respondent of audience {audience} "
                        f"(this one answers as {existing[rid].audience})",
                    )
                )
        if problems:
            raise InputError(problems)

        links: list[IssuedLink] = []
        skipped: list[Contact] = []
        seen: set[str] = set()
        for c in contacts:
            rid = c.respondent_id or pseudonym(c.email)
            if rid in seen:
                skipped.append(c)
                continue
            seen.add(rid)
            segment = c.segment if audience == "customer" else None
            team = c.team if audience != "customer" else None
            if rid in existing:
                pk = int(existing[rid].id)
                if pk in invited:
                    skipped.append(c)
                    continue
                conn.execute(
                    update(t.respondent)
                    .where(t.respondent.c.id == pk)
                    .values(name=c.name, email=c.email.strip())
                )
            else:
                pk = inserted_id(
                    conn.execute(
                        insert(t.respondent).values(
                            study_id=sid,
                            external_id=rid,
                            audience=audience,
                            segment=segment,
                            team=team,
                            account_id=accounts.get(c.account_id) if c.account_id else None,
                            name=c.name,
                            email=c.email.strip(),
                        )
                    )
                )
            token = new_token()
            inv = inserted_id(
                conn.execute(
                    insert(t.invitation).values(
                        study_id=sid,
                        wave_id=wid,
                        respondent_id=pk,
                        token_hash=token_hash(token),
                        audience=audience,
                        team=team,
                        anonymous=anonymous,
                        state="created",
                    )
                )
            )
            links.append(
                IssuedLink(
                    inv,
                    token,
                    audience,
                    wave,
                    rid,
                    c.name,
                    c.email.strip(),
                    segment,
                    team,
                    kind="anonymous" if anonymous else "personal",
                )
            )
    return InviteBatch(links=links, skipped=skipped)


def create_anonymous_link(
    db: Database, slug: str, *, wave: str, team: str, audience: str = "staff"
) -> IssuedLink:
    """One open link shared by a whole team: answers carry the team and
    nothing that identifies a person (no name, e-mail, IP address or user
    agent). Anyone with the link can answer, as often as they like, so its
    answers never count toward the anonymity threshold."""
    if audience not in PROTECTED:
        raise InputError(
            [Problem("--audience", None, None, audience, "staff or leadership (open links)")]
        )
    study = load_study(db, slug)
    teams = [tp.key for tp in study.touchpoints]
    if team not in teams:
        raise InputError([Problem("--team", None, None, team, f"one of {', '.join(teams)}")])
    token = new_token()
    with db.begin() as conn:
        sid = study_id(conn, slug)
        wid = _wave_id(conn, sid, slug, wave)
        inv = inserted_id(
            conn.execute(
                insert(t.invitation).values(
                    study_id=sid,
                    wave_id=wid,
                    respondent_id=None,
                    token_hash=token_hash(token),
                    audience=audience,
                    team=team,
                    anonymous=True,
                    state="created",
                )
            )
        )
    return IssuedLink(inv, token, audience, wave, None, None, None, None, team, kind="open")


def _unanswered(conn: Connection, wid: int) -> list[Any]:
    """The respondents invited to wave ``wid`` (with an e-mail address) who
    have not answered, once each, with the kind and team of their links.

    Answered is a submitted response of theirs (a personal link, or an
    import) or an invitation marked answered: an anonymous link's response
    is not theirs, so only their invitations say that they answered.
    """
    r, inv, resp = t.respondent, t.invitation, t.response
    submitted = select(resp.c.respondent_id).where(
        resp.c.wave_id == wid, resp.c.status == "complete", resp.c.respondent_id.is_not(None)
    )
    claimed = select(inv.c.respondent_id).where(
        inv.c.wave_id == wid, inv.c.state == "answered", inv.c.respondent_id.is_not(None)
    )
    rows = conn.execute(
        select(
            r.c.id,
            r.c.external_id,
            r.c.name,
            r.c.email,
            r.c.audience,
            r.c.segment,
            r.c.team,
            inv.c.anonymous,
            inv.c.team.label("link_team"),
        )
        .join(inv, inv.c.respondent_id == r.c.id)
        .where(
            inv.c.wave_id == wid,
            r.c.id.not_in(submitted),
            r.c.id.not_in(claimed),
            r.c.email.is_not(None),
        )
        .order_by(r.c.id, inv.c.id)
    ).all()
    first: dict[int, Any] = {}
    for row in rows:
        first.setdefault(row.id, row)  # earlier reminders repeat the first link's kind
    return list(first.values())


def reissue_unanswered(db: Database, slug: str, *, wave: str) -> list[IssuedLink]:
    """A fresh link for every invited respondent with an e-mail address who
    has not submitted in ``wave`` (earlier links keep working).

    A reminder is of the kind of the first link: a contact invited
    anonymously gets an anonymous link for the same team, so their answers
    stay apart from them whichever link they use.
    """
    with db.begin() as conn:
        sid = study_id(conn, slug)
        wid = _wave_id(conn, sid, slug, wave)
        links = []
        for row in _unanswered(conn, wid):
            anonymous = bool(row.anonymous)
            team = row.link_team if anonymous else row.team
            token = new_token()
            inv = inserted_id(
                conn.execute(
                    insert(t.invitation).values(
                        study_id=sid,
                        wave_id=wid,
                        respondent_id=row.id,
                        token_hash=token_hash(token),
                        audience=row.audience,
                        team=team,
                        anonymous=anonymous,
                        state="reminder",
                    )
                )
            )
            links.append(
                IssuedLink(
                    inv,
                    token,
                    row.audience,
                    wave,
                    row.external_id,
                    row.name,
                    row.email,
                    row.segment,
                    team,
                    kind="anonymous" if anonymous else "personal",
                )
            )
    return links


def link_exists(db: Database, token: str) -> bool:
    """Whether ``token`` is the token of a link (personal or anonymous).

    Looked up by the token's hash, like every link; the rate limit on wrong
    survey links asks this only after a survey route answered 404.
    """
    with db.connect() as conn:
        found = conn.execute(
            select(t.invitation.c.id).where(t.invitation.c.token_hash == token_hash(token))
        ).first()
    return found is not None


def mark_sent(db: Database, invitation_ids: Sequence[int]) -> None:
    """Record that these links were e-mailed (now)."""
    if not invitation_ids:
        return
    with db.begin() as conn:
        conn.execute(
            update(t.invitation)
            .where(t.invitation.c.id.in_(list(invitation_ids)))
            .values(sent_at=datetime.now(UTC))
        )
        conn.execute(
            update(t.invitation)
            .where(t.invitation.c.id.in_(list(invitation_ids)), t.invitation.c.state == "created")
            .values(state="sent")
        )


# --- status ------------------------------------------------------------------


class StatusRow(Result):
    """Response counts of one group; ``suppressed`` groups carry no counts."""

    audience: str
    group: str | None  # "segment" or "team"; None for the whole audience
    value: str | None
    invited: int | None
    started: int | None
    answered: int | None
    answered_invited: int | None
    rate: float | None
    suppressed: bool = False
    reason: str | None = None


class ResponseStatus(Result):
    """Response rates of a study, per audience, customer segment and team.

    ``invited`` counts respondents with a personal link (anonymous or not),
    ``answered`` every submitted response (open team links and imports
    included), ``answered_invited`` the invited respondents who submitted
    (an anonymous link's contact by their invitation), and ``rate``
    is ``answered_invited / invited``. Staff and leadership groups with fewer
    submitted responses than the study's anonymity threshold are suppressed.
    """

    study: str
    wave: str | None
    anonymity_threshold: int
    rows: list[StatusRow]


def _invited(
    conn: Connection, sid: int, wave_id: int | None
) -> dict[tuple[int, int], dict[str, Any]]:
    """The respondents invited (personal or anonymous links), by respondent
    and wave: their group, and whether an anonymous link of theirs was
    answered (``claimed``: their response is not theirs to find)."""
    inv, r = t.invitation, t.respondent
    where = [inv.c.study_id == sid]
    if wave_id is not None:
        where.append(inv.c.wave_id == wave_id)
    rows = conn.execute(
        select(
            r.c.id,
            r.c.audience,
            r.c.segment,
            r.c.team,
            inv.c.wave_id,
            inv.c.anonymous,
            inv.c.team.label("link_team"),
            inv.c.state,
        )
        .join(inv, inv.c.respondent_id == r.c.id)
        .where(*where)
        .order_by(inv.c.id)
    ).all()
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for row in rows:
        anonymous = bool(row.anonymous)
        person = out.setdefault(
            (row.id, row.wave_id),
            {
                "audience": row.audience,
                "segment": row.segment,
                # An anonymous link's answer is stored with the link's team.
                "team": row.link_team if anonymous else row.team,
                "claimed": False,
            },
        )
        person["claimed"] = person["claimed"] or (anonymous and row.state == "answered")
    return out


def _group_counts(conn: Connection, sid: int, wave_id: int | None) -> list[dict[str, Any]]:
    """One event per invited respondent, started or submitted response, and
    invited respondent who answered, each with its group."""
    resp = t.response
    resp_where = [resp.c.study_id == sid]
    if wave_id is not None:
        resp_where.append(resp.c.wave_id == wave_id)
    invited = _invited(conn, sid, wave_id)
    responses = conn.execute(
        select(
            resp.c.audience,
            resp.c.segment,
            resp.c.team,
            resp.c.wave_id,
            resp.c.respondent_id,
            resp.c.status,
            resp.c.source,
        ).where(*resp_where)
    ).all()
    out: list[dict[str, Any]] = []
    for person in invited.values():
        base = {k: person[k] for k in ("audience", "segment", "team")}
        out.append({**base, "kind": "invited"})
        if person["claimed"]:
            out.append({**base, "kind": "answered_invited"})
    for resp_row in responses:
        kind = "answered" if resp_row.status == "complete" else "started"
        base = {"audience": resp_row.audience, "segment": resp_row.segment, "team": resp_row.team}
        out.append({**base, "kind": kind})
        if kind == "answered" and resp_row.source != OPEN_LINK:
            out.append({**base, "kind": "counted"})  # toward the anonymity threshold
        if kind == "answered" and (resp_row.respondent_id, resp_row.wave_id) in invited:
            out.append({**base, "kind": "answered_invited"})
    return out


def response_status(db: Database, slug: str, *, wave: str | None = None) -> ResponseStatus:
    """Response rates per audience, per customer segment and per staff or
    leadership team, with small staff/leadership groups suppressed.

    When exactly one team of an audience is suppressed while the others and
    the audience total are shown, the next smallest team is suppressed too,
    so that no count can be recovered by subtraction.
    """
    study = load_study(db, slug)
    threshold = study.anonymity_threshold
    with db.connect() as conn:
        sid = study_id(conn, slug)
        wid = _wave_id(conn, sid, slug, wave) if wave is not None else None
        events = _group_counts(conn, sid, wid)
    rows: list[StatusRow] = []
    for audience in AUDIENCES:
        mine = [e for e in events if e["audience"] == audience]
        group = "segment" if audience == "customer" else "team"
        values: list[str | None] = sorted({e[group] for e in mine if e[group] is not None})
        if any(e[group] is None for e in mine):
            values.append(None)
        total = _row(audience, None, None, mine, threshold)
        parts = [
            _row(audience, group, v, [e for e in mine if e[group] == v], threshold) for v in values
        ]
        if audience in PROTECTED and not total.suppressed:
            hidden = [p for p in parts if p.suppressed]
            shown = [p for p in parts if not p.suppressed]
            if len(hidden) == 1 and shown:
                smallest = min(shown, key=lambda p: (p.answered or 0, str(p.value)))
                parts[parts.index(smallest)] = _suppress(smallest, threshold, secondary=True)
        rows.append(total)
        if len(values) > 1 or (values and values[0] is not None):
            rows.extend(parts)
    return ResponseStatus(study=slug, wave=wave, anonymity_threshold=threshold, rows=rows)


def _row(
    audience: str, group: str | None, value: str | None, events: list[dict[str, Any]], k: int
) -> StatusRow:
    count = {
        kind: sum(e["kind"] == kind for e in events)
        for kind in ("invited", "started", "answered", "answered_invited", "counted")
    }
    row = StatusRow(
        audience=audience,
        group=group,
        value=value,
        invited=count["invited"],
        started=count["started"],
        answered=count["answered"],
        answered_invited=count["answered_invited"],
        rate=count["answered_invited"] / count["invited"] if count["invited"] else None,
    )
    # Answers through an open link never lift a group over the threshold.
    if audience in PROTECTED and count["answered"] > 0 and count["counted"] < k:
        return _suppress(row, k)
    return row


def _suppress(row: StatusRow, k: int, *, secondary: bool = False) -> StatusRow:
    who = f"{row.audience} team {row.value}" if row.value else row.audience
    reason = (
        f"withheld so that a smaller suppressed team cannot be worked out (threshold {k})"
        if secondary
        else suppression_reason(who, k)
    )
    return StatusRow(
        audience=row.audience,
        group=row.group,
        value=row.value,
        invited=None,
        started=None,
        answered=None,
        answered_invited=None,
        rate=None,
        suppressed=True,
        reason=reason,
    )


__all__ = [
    "Contact",
    "InviteBatch",
    "IssuedLink",
    "ResponseStatus",
    "StatusRow",
    "create_anonymous_link",
    "create_invitations",
    "link_exists",
    "mark_sent",
    "new_token",
    "reissue_unanswered",
    "response_status",
]
