"""Anonymous personal links: one token per person, answers stored without them.

There are three kinds of survey link (:data:`LinkKind`), told apart by two
columns of ``invitation``:

- ``personal``: ``anonymous`` false, ``respondent_id`` the contact; the
  response is stored with the contact (``<respondent_id>:<wave>``);
- ``anonymous``: ``anonymous`` true, ``respondent_id`` the contact; the
  response is stored without the contact;
- ``open``: ``anonymous`` true, no ``respondent_id``; one link shared by a
  team, each response stored without anyone.

An *anonymous* link is issued to one contact (so it can be e-mailed, and a
reminder reaches only those who have not answered), but what it stores joins
the response to nothing: the response belongs to a fresh pseudonymous
respondent with only the audience and team, has no invitation id, and its key
is derived one-way from the token (:func:`response_key`), which is never
stored. Its answers count toward the anonymity threshold like a personal
link's: the contact was invited and answers once. An *open* link is shared
by a whole team, so its answers never count (``source = "open-link"``).

Whether the contact answered is kept on their invitations (``state``, no
date: the response's day beside an answered day would join them on a quiet
day). :func:`claim_answer` sets it, once per contact and wave, in the
transaction that stores the response.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from sqlalchemy import ColumnElement, Connection, and_, select, update

from cxgap.store import schema as t

__all__ = ["LinkKind", "claim_answer", "link_kind", "response_key"]

LinkKind = Literal["personal", "anonymous", "open"]

#: Sets the response key apart from ``invitation.token_hash`` (the plain
#: SHA-256 of the token), so that neither can be computed from the other.
_KEY_LABEL = b"cxgap anonymous response key\x00"


def link_kind(anonymous: bool, respondent_pk: int | None) -> LinkKind:
    """The kind of a link from its invitation's ``anonymous`` and ``respondent_id``.

    >>> link_kind(False, 7), link_kind(True, 7), link_kind(True, None)
    ('personal', 'anonymous', 'open')
    """
    if not anonymous:
        return "personal"
    return "open" if respondent_pk is None else "anonymous"


def response_key(token: str) -> str:
    """The key of the response given through anonymous link ``token``.

    One key per token, so a token gives at most one response; derived
    one-way with a label of its own, so the stored token hash does not give
    it and it gives neither the token nor the invitation.

    >>> key = response_key("tok")
    >>> key.startswith("anon:") and len(key) == 45
    True
    >>> hashlib.sha256(b"tok").hexdigest()[:40] in key
    False
    """
    return "anon:" + hashlib.sha256(_KEY_LABEL + token.encode("utf-8")).hexdigest()[:40]


def _team_links(wave_id: int, team: str | None) -> ColumnElement[bool]:
    """The anonymous links of one team (or of staff in no team) in one wave."""
    inv = t.invitation
    same_team = inv.c.team.is_(None) if team is None else inv.c.team == team
    return and_(
        inv.c.wave_id == wave_id,
        inv.c.anonymous.is_(True),
        inv.c.respondent_id.is_not(None),
        same_team,
    )


def claim_answer(conn: Connection, *, wave_id: int, respondent_pk: int, team: str | None) -> bool:
    """Mark every anonymous link of the contact in the wave answered, inside
    the transaction that stores their response; ``False`` when one already
    was (that contact has answered: store nothing).

    The claim is a conditional ``UPDATE ... WHERE state <> 'answered'`` run
    before anything else is written, so of two submissions racing (a
    reminder's token and the first one) only one stores a response.

    PostgreSQL keeps in every row version the id of the transaction that
    wrote it (``xmin``): the claimed invitation and the new response would
    share it, and the order of the team's claims would pair with the order
    of its responses. So every anonymous link of the team is rewritten in the
    same transaction: they all carry the latest answer's transaction, which
    says that someone of the team answered, as the response itself does.
    The team's rows are locked in id order first, so two submissions of a
    team queue instead of deadlocking.
    """
    inv = t.invitation
    team_links = _team_links(wave_id, team)
    if conn.dialect.name == "postgresql":
        conn.execute(select(inv.c.id).where(team_links).order_by(inv.c.id).with_for_update())
    claimed = conn.execute(
        update(inv)
        .where(
            inv.c.wave_id == wave_id,
            inv.c.respondent_id == respondent_pk,
            inv.c.anonymous.is_(True),
            inv.c.state != "answered",
        )
        .values(state="answered")
    )
    if not claimed.rowcount:
        return False
    conn.execute(update(inv).where(team_links).values(state=inv.c.state))
    return True
