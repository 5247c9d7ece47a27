"""Write the demo company into a database."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from cxgap.demo.cases import demo_wave_ends, work_demo_cases
from cxgap.demo.generator import EVENTS_END, SLUG, DemoData, generate_demo
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.accounts import write_accounts, write_events, write_interviews
from cxgap.store.actions import add_action
from cxgap.store.db import Database
from cxgap.store.frames import write_frame
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.migrate import ensure_schema
from cxgap.store.notifications import add_rule
from cxgap.store.studies import delete_study, save_study

Step = Callable[[str, int], None]


def install_demo(
    db: Database,
    *,
    seed: int = 7,
    scale: int = 1,
    step: Step | None = None,
    base_url: str | None = None,
    notify_folder: str | None = None,
) -> DemoData:
    """Generate the demo company and store it, replacing any earlier demo.

    ``step(description, amount)`` is called as work completes, for progress
    display. Re-running with the same seed gives the same data; a run that
    was interrupted is repaired by running again (the old demo is deleted
    first, in one transaction).

    With ``notify_folder``, the cases of accounts falling below their
    threshold are also notified as e-mail files in that folder (queued here,
    delivered by :func:`cxgap.notify.outbox.deliver_outbox`).
    """

    def report(what: str, n: int = 1) -> None:
        if step:
            step(what, n)

    ensure_schema(db)
    report("Generating the demo company")
    demo = generate_demo(seed=seed, scale=scale)
    with db.connect() as conn:
        exists = conn.execute(select(t.study.c.id).where(t.study.c.slug == SLUG)).scalar()
    if exists is not None:
        delete_study(db, SLUG, with_organisation_data=True)
    save_study(db, demo.study, create_only=True)
    report("Study definition")
    write_accounts(db, SLUG, demo.accounts)
    report("Accounts")
    write_frame(
        db,
        SLUG,
        demo.frame,
        file="demo responses",
        progress=lambda n: report("Survey responses", 0),
    )
    report("Survey responses")
    _invite(db, demo)
    report("Invitations")
    write_interviews(db, SLUG, demo.interviews)
    report("Interview notes")
    write_events(db, SLUG, demo.events, file="demo events")
    report("Interaction events")
    for item in demo.actions:
        add_action(db, SLUG, item)
    report("Action plan")
    if notify_folder is not None:
        add_rule(
            db,
            SLUG,
            channel="folder",
            target=notify_folder,
            scope="all",
            rule_keys=["below_threshold"],
        )
    ends = demo_wave_ends([w.closes for w in demo.study.waves], EVENTS_END.to_pydatetime())
    demo.case_counts = work_demo_cases(
        db, SLUG, seed=seed, wave_ends=ends, base_url=base_url or Settings().base_url
    )
    report("Cases")
    return demo


def _email(rid: str, account: object) -> str:
    domain = f"{str(account).lower()}.example" if account else "brightwell.example"
    return f"{rid.lower()}@{domain}"


def _invite(db: Database, demo: DemoData) -> None:
    """One personal link per invited person and wave, so the response rates
    are the demo's own: everyone the generator invited (customers of an
    account that had left before the wave opened are not invited), answered
    or not. The links' tokens are not kept (the demo sends no mail)."""
    invited = demo.invited()
    for (wave, audience), rows in invited.groupby(["wave", "audience"], sort=False):
        contacts = [
            Contact(
                email=_email(str(r.respondent_id), r.account_id),
                respondent_id=str(r.respondent_id),
                segment=r.segment if isinstance(r.segment, str) else None,
                team=r.team if isinstance(r.team, str) else None,
                account_id=r.account_id if isinstance(r.account_id, str) else None,
            )
            for r in rows.itertuples(index=False)
        ]
        create_invitations(
            db, SLUG, audience=str(audience), wave=str(wave), contacts=contacts, file="demo"
        )
