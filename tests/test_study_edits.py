"""One edit of a study definition at a time (the dashboard's set-up forms):
each returns a validated definition or names the row and field of every
problem; saving keeps every answer (a wave or question that holds answers
is never removed) and never overwrites someone else's change."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from cxgap.errors import ConflictError, InputError, StudyInUseError
from cxgap.store.db import Database
from cxgap.store.studies import (
    answer_counts,
    edit_study,
    load_study,
    save_study,
    study_revision,
)
from cxgap.study import edits
from cxgap.study.defaults import default_study
from cxgap.study.edits import ItemRow, QuestionEdit, WaveRow
from cxgap.study.model import StudyDefinition


@pytest.fixture
def study() -> StudyDefinition:
    return default_study("acme", organisation="Acme")


def _rows(study: StudyDefinition, section: str) -> list[ItemRow]:
    return [ItemRow(x.key, x.label, x.description) for x in getattr(study, section)]


def _problems(exc: pytest.ExceptionInfo[InputError]) -> list[tuple[object, ...]]:
    return [(p.file, p.row, p.column) for p in exc.value.problems]


def test_labels_change_and_a_new_row_is_added_at_its_place(study: StudyDefinition) -> None:
    rows = _rows(study, "segments")
    rows[0] = ItemRow("top", "Top 20 accounts", "Most revenue")
    rows.append(ItemRow(" partners ", " Partner-led ", ""))
    rows.append(ItemRow(""))  # the empty "add" row of the form
    rows.append(ItemRow("", weight="1"))  # a weight alone adds nothing
    new = edits.edit_items(study, "segments", rows)
    assert [s.key for s in new.segments] == [*[s.key for s in study.segments], "partners"]
    assert (new.segments[0].label, new.segments[0].description) == (
        "Top 20 accounts",
        "Most revenue",
    )
    assert new.segments[-1].label == "Partner-led"
    assert new.questions == study.questions  # nothing else changed


def test_every_bad_row_is_named_with_its_field(study: StudyDefinition) -> None:
    rows = _rows(study, "moments")
    rows[1] = ItemRow(rows[1].key, "", "", "heavy")
    rows.append(ItemRow("Bad Key", "Renewal"))
    rows.append(ItemRow("renewal", "Renewal", weight="0"))
    rows.append(ItemRow("renewal", "Again"))
    with pytest.raises(InputError) as exc:
        edits.edit_items(study, "moments", rows)
    n = len(study.moments)
    assert _problems(exc) == [
        ("moments", 2, "label"),
        ("moments", 2, "weight"),
        ("moments", n + 1, "key"),
        ("moments", n + 3, "key"),
    ]
    # Pydantic's own check (weight > 0) names the form's row too.
    rows = [*_rows(study, "moments"), ItemRow("renewal", "Renewal", weight="0")]
    with pytest.raises(InputError) as exc:
        edits.edit_items(study, "moments", rows)
    assert _problems(exc) == [("moments", n + 1, "weight")]
    assert "greater than 0" in exc.value.problems[0].expected


def test_a_factor_in_use_cannot_be_removed_but_an_unused_one_can(
    study: StudyDefinition,
) -> None:
    rows = _rows(study, "factors")
    rows[0] = ItemRow(rows[0].key, rows[0].label, remove=True)
    with pytest.raises(InputError) as exc:
        edits.edit_items(study, "factors", rows)
    [p] = exc.value.problems
    assert (p.row, p.column) == (1, "remove")
    assert "perf.personalisation, imp.personalisation, rank, defection reason" in p.expected
    # Without its questions (and out of the ranking) it goes.
    bare = study.model_copy(
        update={
            "defection_reasons": [
                r.model_copy(update={"factor": None}) for r in study.defection_reasons
            ],
            "questions": [
                q.model_copy(update={"items": [i for i in q.items if i != "personalisation"]})
                for q in study.questions
                if q.factor != "personalisation"
            ],
        }
    )
    new = edits.edit_items(bare, "factors", rows)
    assert "personalisation" not in [f.key for f in new.factors]


def test_a_new_factor_gets_its_standard_questions_when_asked(study: StudyDefinition) -> None:
    rows = [*_rows(study, "factors"), ItemRow("value", "Adding value", lexicon="value, ROI ,value")]
    plain = edits.edit_items(study, "factors", rows)
    assert len(plain.questions) == len(study.questions)
    assert plain.factors[-1].lexicon == ["value", "ROI"]
    new = edits.edit_items(study, "factors", rows, add_questions=True)
    keys = [q.key for q in new.questions]
    # Grouped with their kind, not appended at the end.
    assert keys.index("perf.value") == keys.index("perf.empathy") + 1
    assert keys.index("imp.value") == keys.index("imp.empathy") + 1
    assert new.question("perf.value").factor == "value"
    assert new.question("rank").items[-1] == "value"


def test_waves_edit_add_and_check_their_dates(study: StudyDefinition) -> None:
    nxt = edits.next_wave(study)
    assert (nxt.key, nxt.label) == ("w2", "Wave 2")
    two = edits.add_wave(study, WaveRow(nxt.key, "Spring 2027", "2027-03-01", "2027-03-31"))
    assert [(w.key, w.opens, w.closes) for w in two.waves] == [
        ("w1", None, None),
        ("w2", date(2027, 3, 1), date(2027, 3, 31)),
    ]
    assert edits.next_wave(two).opens == date(2027, 4, 1)
    with pytest.raises(InputError) as exc:
        edits.edit_waves(
            two,
            [WaveRow("w1", "", "2026-13-01"), WaveRow("w2", "Spring", "2027-03-31", "2027-03-01")],
        )
    assert _problems(exc) == [("waves", 1, "label"), ("waves", 1, "opens"), ("waves", 2, "closes")]
    with pytest.raises(InputError) as exc:
        edits.edit_waves(two, [WaveRow("w1", "x", remove=True), WaveRow("w2", "y", remove=True)])
    assert "at least one wave" in exc.value.problems[0].expected
    with pytest.raises(InputError) as exc:
        edits.add_wave(two, WaveRow("w1", "Again"))
    assert _problems(exc) == [("waves", 3, "key")]


def test_threshold_promise_and_title(study: StudyDefinition) -> None:
    assert edits.edit_anonymity(study, " 8 ").anonymity_threshold == 8
    for bad in ("0", "-3", "2.5", "five", ""):
        with pytest.raises(InputError) as exc:
            edits.edit_anonymity(study, bad)
        assert _problems(exc) == [("anonymity", None, "anonymity_threshold")]
    promised = edits.edit_promise(study, "We answer within a day\r\n\r\nWe keep our word\n")
    assert promised.promise == ["We answer within a day", "We keep our word"]
    assert edits.edit_general(study, name=" New ", description="").name == "New"
    with pytest.raises(InputError):
        edits.edit_general(study, name="  ", description="x")


def test_a_question_is_added_edited_moved_and_removed(study: StudyDefinition) -> None:
    onboarding = QuestionEdit(
        "choice.onboarding",
        "How was your first month?",
        "choice",
        ["customer", "nobody"],
        items="smooth\nbumpy\n\nsmooth",
    )
    with pytest.raises(InputError) as exc:
        edits.save_question(study, None, onboarding)
    assert _problems(exc) == [("question", None, "audiences")]
    onboarding = QuestionEdit(
        "choice.onboarding", "How was it?", "choice", ["customer"], items="smooth\nbumpy\nsmooth"
    )
    added = edits.save_question(study, None, onboarding)
    q = added.questions[-1]
    assert (q.key, q.items, q.audiences, q.scale_min) == (
        "choice.onboarding",
        ["smooth", "bumpy"],
        ["customer"],
        None,
    )
    # Edit in place: the position stays, the scale follows the kind.
    at = [x.key for x in added.questions].index("excellent")
    changed = edits.save_question(
        added,
        "excellent",
        QuestionEdit(
            "excellent",
            "Is the service excellent?",
            "rating",
            ["staff", "customer"],
            scale_min="0",
            scale_max="10",
            items="ignored",
            required=True,
        ),
    )
    q = changed.questions[at]
    assert (q.key, q.text, q.scale_max, q.items, q.audiences) == (
        "excellent",
        "Is the service excellent?",
        10.0,
        [],
        ["staff", "customer"],
    )
    moved = edits.move_question(changed, "choice.onboarding", -100)
    assert moved.questions[0].key == "choice.onboarding"
    gone = edits.remove_question(moved, "choice.onboarding")
    assert [x.key for x in gone.questions] == [x.key for x in changed.questions[:-1]]


def test_a_questions_inside_wording_is_saved_and_left_empty_is_derived(
    study: StudyDefinition,
) -> None:
    mine = QuestionEdit(
        "open.team",
        "How well does your team work with ours?",
        "text",
        ["customer", "staff"],
        internal_text="  How well do our customers' teams work with ours? ",
    )
    q = edits.save_question(study, None, mine).question("open.team")
    assert q.internal_text == "How well do our customers' teams work with ours?"
    derived = edits.save_question(study, None, replace(mine, internal_text=" "))
    assert derived.question("open.team").internal_text is None


def test_question_problems_name_every_field(study: StudyDefinition) -> None:
    bad = QuestionEdit(
        "Perf Time",
        " ",
        "rating",
        ["staff"],
        scale_min="5",
        scale_max="1",
        factor="speed",
        touchpoint="desk",
    )
    with pytest.raises(InputError) as exc:
        edits.save_question(study, None, bad)
    assert [p.column for p in exc.value.problems] == [
        "key",
        "text",
        "scale_max",
        "factor",
        "touchpoint",
    ]
    for kind, field in (("nps", "scale_min"), ("rank", "items"), ("essay", "kind")):
        with pytest.raises(InputError) as exc:
            edits.save_question(study, None, QuestionEdit("x.y", "Text", kind, ["staff"]))
        assert field in [p.column for p in exc.value.problems]
    with pytest.raises(InputError, match="a key no other question uses"):
        edits.save_question(study, "open.well", QuestionEdit("ltr", "x", "text", ["staff"]))


# --- saved in the database -------------------------------------------------------


def _answer(db: Database) -> None:
    """One customer response in wave w1 answering ``open.well``."""
    from cxgap.store import schema as t

    with db.begin() as conn:
        sid = conn.execute(t.study.select().where(t.study.c.slug == "acme")).one().id
        wid = (
            conn.execute(t.wave.select().where(t.wave.c.study_id == sid, t.wave.c.key == "w1"))
            .one()
            .id
        )
        rid = conn.execute(
            t.respondent.insert().values(study_id=sid, external_id="c1", audience="customer")
        ).inserted_primary_key[0]
        resp = conn.execute(
            t.response.insert().values(
                study_id=sid,
                wave_id=wid,
                respondent_id=rid,
                audience="customer",
                status="complete",
                source="individual",
                source_key="test:c1",
            )
        ).inserted_primary_key[0]
        conn.execute(
            t.answer.insert().values(response_id=resp, question_key="open.well", value_text="Fast")
        )


def test_saving_keeps_answered_waves_and_questions(fresh_db: Database) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    edit_study(fresh_db, "acme", lambda s: edits.add_wave(s, WaveRow("w2", "Wave 2")))
    _answer(fresh_db)
    counts = answer_counts(fresh_db, "acme")
    assert counts.responses_per_wave == {"w1": 1, "w2": 0}
    assert counts.answers_per_question == {"open.well": 1}
    rev = study_revision(fresh_db, "acme")
    with pytest.raises(StudyInUseError) as exc:
        edit_study(fresh_db, "acme", lambda s: edits.remove_question(s, "open.well"))
    assert (exc.value.section, exc.value.key, exc.value.count) == ("questions", "open.well", 1)
    with pytest.raises(StudyInUseError) as exc:
        edit_study(
            fresh_db,
            "acme",
            lambda s: edits.edit_waves(s, [WaveRow("w1", "1", remove=True), WaveRow("w2", "2")]),
        )
    assert (exc.value.section, exc.value.key) == ("waves", "w1")
    # All or nothing: both refusals left the study as it was.
    assert study_revision(fresh_db, "acme") == rev
    assert [w.key for w in load_study(fresh_db, "acme").waves] == ["w1", "w2"]
    # The empty wave and an unanswered question go.
    edit_study(
        fresh_db,
        "acme",
        lambda s: edits.edit_waves(s, [WaveRow("w1", "1"), WaveRow("w2", "2", remove=True)]),
    )
    edit_study(fresh_db, "acme", lambda s: edits.remove_question(s, "open.levers"))
    stored = load_study(fresh_db, "acme")
    assert [w.key for w in stored.waves] == ["w1"]
    assert "open.levers" not in [q.key for q in stored.questions]
    assert study_revision(fresh_db, "acme") == rev + 2


def test_a_stale_revision_never_overwrites_another_change(fresh_db: Database) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    seen = study_revision(fresh_db, "acme")
    edit_study(fresh_db, "acme", lambda s: edits.edit_promise(s, "Theirs"), revision=seen)
    with pytest.raises(ConflictError, match="changed by someone else"):
        edit_study(fresh_db, "acme", lambda s: edits.edit_promise(s, "Mine"), revision=seen)
    assert load_study(fresh_db, "acme").promise == ["Theirs"]
    # save_study itself refuses a stale revision inside its transaction.
    with pytest.raises(ConflictError):
        save_study(fresh_db, load_study(fresh_db, "acme"), expected_revision=seen)
    assert study_revision(fresh_db, "acme") == seen + 1
