"""cases, their history, notification rules and the notification outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_rule",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=1000), nullable=False),
        sa.Column("secret", sa.String(length=300), nullable=True),
        sa.Column("rule_keys", sa.JSON(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_notification_rule_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_notification_rule_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_rule")),
    )
    with op.batch_alter_table("notification_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_rule_study_id"), ["study_id"], unique=False
        )

    op.create_table(
        "cx_case",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("rule_key", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("respondent_id", sa.Integer(), nullable=True),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("root_factor", sa.String(length=100), nullable=True),
        sa.Column("root_touchpoint", sa.String(length=100), nullable=True),
        sa.Column("root_moment", sa.String(length=100), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("loop_closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_cx_case_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["respondent.id"],
            name=op.f("fk_cx_case_respondent_id_respondent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_cx_case_response_id_response"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["study.id"], name=op.f("fk_cx_case_study_id_study"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cx_case")),
        sa.UniqueConstraint("study_id", "dedupe_key", name="uq_cx_case_study_dedupe"),
        sa.UniqueConstraint("study_id", "number", name="uq_cx_case_study_number"),
    )
    with op.batch_alter_table("cx_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cx_case_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cx_case_study_id"), ["study_id"], unique=False)

    op.create_table(
        "case_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cx_case.id"],
            name=op.f("fk_case_entry_case_id_cx_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_entry")),
    )
    with op.batch_alter_table("case_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_entry_case_id"), ["case_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=1000), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("notice", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cx_case.id"],
            name=op.f("fk_notification_case_id_cx_case"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["notification_rule.id"],
            name=op.f("fk_notification_rule_id_notification_rule"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_notification_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index("ix_notification_status", ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_study_id"), ["study_id"], unique=False)

    with op.batch_alter_table("study", schema=None) as batch_op:
        # Existing studies get '{}': loading reads it as the default rules.
        batch_op.add_column(sa.Column("cases", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.drop_column("cases")

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_study_id"))
        batch_op.drop_index("ix_notification_status")
        batch_op.drop_index(batch_op.f("ix_notification_rule_id"))

    op.drop_table("notification")
    with op.batch_alter_table("case_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_entry_case_id"))

    op.drop_table("case_entry")
    with op.batch_alter_table("cx_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cx_case_study_id"))
        batch_op.drop_index(batch_op.f("ix_cx_case_account_id"))

    op.drop_table("cx_case")
    with op.batch_alter_table("notification_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_rule_study_id"))

    op.drop_table("notification_rule")
