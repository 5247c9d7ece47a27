"""The database schema, in SQLAlchemy Core: the only place that names tables.

Answers are long-format (one row per answer), so a new question needs no
schema change; :mod:`cxgap.store.frames` loads them into one wide frame for
analysis with one query. Changes to this file go with an Alembic migration in
``cxgap/store/migrations/versions`` (``docs/DEVELOPMENT.md``).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

# Deterministic constraint names so migrations work the same on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _created() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def _study_fk() -> Column[int]:
    return Column(
        "study_id", Integer, ForeignKey("study.id", ondelete="CASCADE"), nullable=False, index=True
    )


organisation = Table(
    "organisation",
    metadata,
    _id(),
    Column("name", String(200), nullable=False, unique=True),
    _created(),
)

study = Table(
    "study",
    metadata,
    _id(),
    Column(
        "organisation_id",
        Integer,
        ForeignKey("organisation.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("slug", String(100), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("anonymity_threshold", Integer, nullable=False, default=5),
    Column("competitors", JSON, nullable=False, default=list),
    Column("ledger", JSON, nullable=False, default=dict),
    Column("cases", JSON, nullable=False, default=dict),
    # Bumped by every change of the definition, so a process may cache the
    # definition and know, from one column, when its copy is stale.
    Column("revision", Integer, nullable=False, default=1, server_default="1"),
    _created(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def _element(name: str, *extra: Column[object]) -> Table:
    """A keyed, ordered element of a study definition (factor, touchpoint, ...)."""
    return Table(
        name,
        metadata,
        _id(),
        _study_fk(),
        Column("key", String(100), nullable=False),
        Column("label", String(300), nullable=False),
        Column("description", Text, nullable=False, default=""),
        Column("position", Integer, nullable=False),
        *extra,
        UniqueConstraint("study_id", "key", name=f"uq_{name}_study_key"),
    )


factor = _element("factor", Column("lexicon", JSON, nullable=False, default=list))
touchpoint = _element("touchpoint")
moment = _element("moment", Column("weight", Float, nullable=False, default=1.0))
segment = _element("segment")
defection_reason = _element("defection_reason", Column("factor_key", String(100)))
# A respondent attribute (Class, Region, Plan): ``values`` are its levels in
# display order, a JSON list (empty: any text is kept).
attribute = _element("attribute", Column("values", JSON, nullable=False, default=list))

promise_statement = Table(
    "promise_statement",
    metadata,
    _id(),
    _study_fk(),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
)

wave = Table(
    "wave",
    metadata,
    _id(),
    _study_fk(),
    Column("key", String(100), nullable=False),
    Column("label", String(300), nullable=False),
    Column("position", Integer, nullable=False),
    Column("opens", Date),
    Column("closes", Date),
    UniqueConstraint("study_id", "key", name="uq_wave_study_key"),
)

question = Table(
    "question",
    metadata,
    _id(),
    _study_fk(),
    Column("key", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("internal_text", Text),  # leadership and staff's wording; NULL: derived
    Column("kind", String(20), nullable=False),
    Column("audiences", JSON, nullable=False),
    Column("section", String(100), nullable=False, default="general"),
    Column("scale_min", Float),
    Column("scale_max", Float),
    Column("factor_key", String(100)),
    Column("touchpoint_key", String(100)),
    Column("items", JSON, nullable=False, default=list),
    Column("required", Boolean, nullable=False, default=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("study_id", "key", name="uq_question_study_key"),
)

account = Table(
    "account",
    metadata,
    _id(),
    Column(
        "organisation_id",
        Integer,
        ForeignKey("organisation.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("external_id", String(200), nullable=False),
    Column("name", String(300), nullable=False),
    Column("segment", String(100)),
    Column("annual_revenue", Float),
    Column("owner", String(200)),
    Column("acquired_at", Date),
    Column("defected_at", Date),
    UniqueConstraint("organisation_id", "external_id", name="uq_account_org_external"),
)

respondent = Table(
    "respondent",
    metadata,
    _id(),
    _study_fk(),
    Column("external_id", String(200), nullable=False),
    Column("audience", String(20), nullable=False),
    Column("segment", String(100)),
    Column("team", String(100)),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="SET NULL"), index=True),
    Column("name", String(300)),
    Column("email", String(320)),
    UniqueConstraint("study_id", "external_id", name="uq_respondent_study_external"),
)

invitation = Table(
    "invitation",
    metadata,
    _id(),
    _study_fk(),
    Column("wave_id", Integer, ForeignKey("wave.id", ondelete="CASCADE"), nullable=False),
    Column("respondent_id", Integer, ForeignKey("respondent.id", ondelete="CASCADE")),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("audience", String(20), nullable=False),
    Column("team", String(100)),
    Column("anonymous", Boolean, nullable=False, default=False),
    Column("state", String(20), nullable=False, default="created"),
    _created(),
    Column("sent_at", DateTime(timezone=True)),
    Column("answered_at", DateTime(timezone=True)),
)

response = Table(
    "response",
    metadata,
    _id(),
    _study_fk(),
    Column("wave_id", Integer, ForeignKey("wave.id", ondelete="RESTRICT"), nullable=False),
    Column("respondent_id", Integer, ForeignKey("respondent.id", ondelete="SET NULL"), index=True),
    Column("invitation_id", Integer, ForeignKey("invitation.id", ondelete="SET NULL")),
    Column("audience", String(20), nullable=False),
    Column("segment", String(100)),
    Column("team", String(100)),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="SET NULL")),
    Column("source", String(20), nullable=False, default="individual"),
    Column("source_key", String(200), nullable=False),
    Column("status", String(20), nullable=False, default="complete"),
    Column("submitted_on", Date),
    UniqueConstraint("study_id", "source_key", name="uq_response_study_source"),
    Index("ix_response_study_wave", "study_id", "wave_id"),
)

answer = Table(
    "answer",
    metadata,
    _id(),
    Column(
        "response_id",
        Integer,
        ForeignKey("response.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("question_key", String(200), nullable=False),
    Column("item", String(100), nullable=False, default=""),
    Column("value_num", Float),
    Column("value_text", Text),
    UniqueConstraint("response_id", "question_key", "item", name="uq_answer_response_question"),
)

# The attribute values of one response, one row per (response, attribute).
#
# Narrow rather than a JSON column on ``response``: rows are written with
# PostgreSQL's COPY like answers (a JSON column would stop COPY for the whole
# response table, :func:`cxgap.store.bulk.copy_tuples`), read column by column
# and pivoted into the wide frame with the same vectorised step as the
# answers (:mod:`cxgap.store.frames`), and filtered there, after one indexed
# query per study, the same way on SQLite and PostgreSQL (no dialect's JSON
# operators). A response with no value for an attribute has no row.
response_attribute = Table(
    "response_attribute",
    metadata,
    _id(),
    Column(
        "response_id",
        Integer,
        ForeignKey("response.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(100), nullable=False),
    Column("value", String(300), nullable=False),
    UniqueConstraint("response_id", "key", name="uq_response_attribute_response_key"),
)

interview_note = Table(
    "interview_note",
    metadata,
    _id(),
    _study_fk(),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="SET NULL"), index=True),
    Column("segment", String(100)),
    Column("held_on", Date),
    Column("interviewer", String(200)),
    Column("text", Text, nullable=False),
    Column("tags", JSON, nullable=False, default=list),
    Column("source_key", String(200), nullable=False),
    UniqueConstraint("study_id", "source_key", name="uq_interview_note_study_source"),
)

interaction_event = Table(
    "interaction_event",
    metadata,
    _id(),
    Column(
        "account_id",
        Integer,
        ForeignKey("account.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("occurred_at", DateTime(timezone=False), nullable=False),
    Column("seq", Integer, nullable=False, default=0),
    Column("touchpoint", String(100), nullable=False),
    Column("moment", String(100), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("severity", Integer),
    Column("source_id", String(200), nullable=False),
    Column("source_system", String(100)),
    Column("cost", Float),
    Column("note", Text),
    UniqueConstraint("account_id", "source_id", name="uq_interaction_event_account_source"),
    Index("ix_interaction_event_account_time", "account_id", "occurred_at"),
)

action_item = Table(
    "action_item",
    metadata,
    _id(),
    _study_fk(),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("factor_key", String(100)),
    Column("touchpoint_key", String(100)),
    Column("baseline_wave", String(100)),
    Column("priority", Float),
    Column("evidence", JSON, nullable=False, default=dict),
    Column("owner", String(200)),
    Column("due_on", Date),
    Column("status", String(20), nullable=False, default="proposed"),
    _created(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

alert_run = Table(
    "alert_run",
    metadata,
    _id(),
    _study_fk(),
    Column("ran_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("crossed_below", Integer, nullable=False),
    Column("recovered", Integer, nullable=False),
    Column("delivered", Boolean),
)

# A case opened by a rule of the study (analysis/plan/cases.py) for the
# account's owner: one per (study, dedupe_key), so a scan run twice or a
# retried submission opens nothing new. ``number`` is what people quote.
cx_case = Table(
    "cx_case",
    metadata,
    _id(),
    _study_fk(),
    Column("number", Integer, nullable=False),
    Column("rule_key", String(100), nullable=False),
    Column("trigger", String(30), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("dedupe_key", String(300), nullable=False),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="SET NULL"), index=True),
    Column("respondent_id", Integer, ForeignKey("respondent.id", ondelete="SET NULL")),
    Column("response_id", Integer, ForeignKey("response.id", ondelete="SET NULL")),
    Column("owner", String(200)),
    Column("status", String(20), nullable=False, default="new"),
    Column("title", String(300), nullable=False),
    Column("evidence", JSON, nullable=False, default=dict),
    Column("root_factor", String(100)),
    Column("root_touchpoint", String(100)),
    Column("root_moment", String(100)),
    Column("resolution", String(20)),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("loop_closed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("study_id", "number", name="uq_cx_case_study_number"),
    UniqueConstraint("study_id", "dedupe_key", name="uq_cx_case_study_dedupe"),
)

# A case's history: opening, status and owner changes, notes, root cause,
# the close-the-loop e-mail. Append-only.
case_entry = Table(
    "case_entry",
    metadata,
    _id(),
    Column(
        "case_id", Integer, ForeignKey("cx_case.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("author", String(300), nullable=False, default=""),
    Column("kind", String(30), nullable=False),
    Column("text", Text, nullable=False, default=""),
)

# Who hears of what: a user (or nobody: a shared channel) subscribes a
# channel to a study's cases, all of them or only the user's own, for some
# rules or every rule, at once or in a daily digest.
notification_rule = Table(
    "notification_rule",
    metadata,
    _id(),
    _study_fk(),
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE")),
    Column("channel", String(20), nullable=False),
    Column("target", String(1000), nullable=False),
    Column("secret", String(300)),
    Column("rule_keys", JSON, nullable=False, default=list),
    Column("scope", String(10), nullable=False, default="mine"),
    Column("mode", String(10), nullable=False, default="immediate"),
    _created(),
)

# The outbox and log of notifications: written in the transaction that opens
# the case, delivered afterwards (never in the request), retried with
# backoff, and kept with the outcome.
notification = Table(
    "notification",
    metadata,
    _id(),
    _study_fk(),
    Column("case_id", Integer, ForeignKey("cx_case.id", ondelete="SET NULL")),
    Column("rule_id", Integer, ForeignKey("notification_rule.id", ondelete="SET NULL"), index=True),
    Column("channel", String(20), nullable=False),
    Column("target", String(1000), nullable=False),
    Column("mode", String(10), nullable=False, default="immediate"),
    Column("subject", String(300), nullable=False),
    Column("notice", JSON, nullable=False, default=dict),
    Column("status", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    _created(),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Index("ix_notification_status", "status"),
)

app_user = Table(
    "app_user",
    metadata,
    _id(),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(300), nullable=False, default=""),
    Column("password_hash", String(300), nullable=False),
    _created(),
)

membership = Table(
    "membership",
    metadata,
    _id(),
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    Column(
        "organisation_id",
        Integer,
        ForeignKey("organisation.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("role", String(20), nullable=False),
    UniqueConstraint("user_id", "organisation_id", name="uq_membership_user_org"),
)

api_token = Table(
    "api_token",
    metadata,
    _id(),
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    _created(),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

# A signed-in dashboard session (store/sessions.py). The cookie carries a
# random id; only its SHA-256 is kept, so the table (or a copy of it) opens
# no session. Ending a session deletes its row.
session = Table(
    "session",
    metadata,
    _id(),
    Column(
        "user_id",
        Integer,
        ForeignKey("app_user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("token_hash", String(64), nullable=False, unique=True),
    _created(),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

# The mapping file of a study's own export (``cxgap init --from``), kept with
# the study so that ``cxgap import responses`` uses it without --mapping.
response_mapping = Table(
    "response_mapping",
    metadata,
    _id(),
    Column(
        "study_id",
        Integer,
        ForeignKey("study.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("source", String(1000), nullable=False, default=""),
    Column("yaml", Text, nullable=False),
    _created(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
