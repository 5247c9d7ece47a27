"""The survey path keeps the study definition per process, keyed by the study's
revision: an edit made anywhere is seen by the very next request, and an
unchanged study costs no query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.studies import delete_study, load_study, save_study
from cxgap.store.survey import open_survey, submit
from cxgap.study.defaults import default_study


def _links(db: Database, n: int = 2) -> list[str]:
    save_study(db, default_study("acme", organisation="Acme", name="Acme study"))
    issued = create_invitations(
        db,
        "acme",
        audience="customer",
        wave="w1",
        contacts=[Contact(email=f"c{i}@acme.test") for i in range(n)],
    )
    return [link.token for link in issued.links]


def _full_answers(db: Database) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in load_study(db, "acme").questions_for("customer"):
        if q.kind in ("rating", "nps", "share"):
            out[q.key] = q.scale_max
        elif q.kind == "rank":
            out.update({f"{q.key}.{i}": n + 1 for n, i in enumerate(q.items)})
        elif q.kind == "multi":
            out[q.key] = q.items[:1]
        else:
            out[q.key] = "Fine."
    return out


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_an_unchanged_study_is_read_once_per_process(fresh_db: Database) -> None:
    first, second = _links(fresh_db)
    open_survey(fresh_db, first)
    with _statements(fresh_db) as seen:
        state = open_survey(fresh_db, second)
    assert state.study.name == "Acme study"
    # The link query only: no factor, question or wave table is read again.
    assert len(seen) == 1, seen
    assert "question" not in seen[0].lower().split("from", 1)[1]


def test_a_study_edit_in_another_process_is_seen_by_the_next_request(db_url: str) -> None:
    with (
        Database.open(Settings.load(database_url=db_url)) as server,
        Database.open(Settings.load(database_url=db_url)) as editor,
    ):
        from cxgap.store.migrate import upgrade

        upgrade(server)
        [token] = _links(server, 1)
        before = open_survey(server, token)
        assert before.study.name == "Acme study"
        # Another process (its own Database, so this one's copy is not cleared).
        edited = load_study(editor, "acme").model_copy(update={"name": "Acme, edited"})
        questions = [
            q.model_copy(update={"text": "How well do we keep our promises?"})
            if q.key == before.sections[0].questions[0].key
            else q
            for q in edited.questions
        ]
        save_study(editor, edited.model_copy(update={"questions": questions}))
        after = open_survey(server, token)
        assert after.study.name == "Acme, edited"
        assert after.sections[0].questions[0].text == "How well do we keep our promises?"


def test_a_study_recreated_under_the_same_id_is_not_taken_for_the_old_one(
    db_url: str,
) -> None:
    with (
        Database.open(Settings.load(database_url=db_url)) as server,
        Database.open(Settings.load(database_url=db_url)) as editor,
    ):
        from cxgap.store.migrate import upgrade

        upgrade(server)
        [token] = _links(server, 1)
        with server.connect() as conn:
            old_id = conn.execute(select(t.study.c.id)).scalar_one()
        assert open_survey(server, token).study.name == "Acme study"
        delete_study(editor, "acme")
        # At once, so within the same second: revision 1 again, and on SQLite
        # the same id (the highest one is reused).
        save_study(editor, default_study("acme", organisation="Acme", name="Acme again"))
        [issued] = create_invitations(
            editor, "acme", audience="customer", wave="w1", contacts=[Contact(email="a@b.test")]
        ).links
        with server.connect() as conn:
            new_id = conn.execute(select(t.study.c.id)).scalar_one()
        assert new_id == old_id or server.dialect == "postgresql"
        assert open_survey(server, issued.token).study.name == "Acme again"


def test_a_survey_answered_in_one_request_costs_one_query_and_three_writes(
    fresh_db: Database,
) -> None:
    first, second = _links(fresh_db)
    body = _full_answers(fresh_db)
    submit(fresh_db, first, dict(body))  # the study is now cached
    with _statements(fresh_db) as seen:
        result = submit(fresh_db, second, dict(body))
    assert not result.already_answered
    verbs = [s.split(None, 1)[0].upper() for s in seen]
    # the link (with its response), the response, its answers, the invitation
    assert verbs == ["SELECT", "INSERT", "INSERT", "UPDATE"], seen
    with fresh_db.connect() as conn:
        n = conn.execute(select(t.answer.c.id)).all()
    assert len(n) == 2 * len(result.state.answers)
    with _statements(fresh_db) as seen:
        assert submit(fresh_db, second, dict(body)).already_answered
    assert [s.split(None, 1)[0].upper() for s in seen] == ["SELECT", "SELECT"]
