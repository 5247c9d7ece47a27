"""respondent attributes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

A study's attributes (Class, Region, Plan: key, label, description and
their levels) and each response's value of them, one row per response and
attribute. A study stored before has no attributes, and its responses none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attribute",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_attribute_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribute")),
        sa.UniqueConstraint("study_id", "key", name="uq_attribute_study_key"),
    )
    op.create_index(op.f("ix_attribute_study_id"), "attribute", ["study_id"], unique=False)
    op.create_table(
        "response_attribute",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_response_attribute_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_attribute")),
        sa.UniqueConstraint("response_id", "key", name="uq_response_attribute_response_key"),
    )


def downgrade() -> None:
    op.drop_table("response_attribute")
    op.drop_index(op.f("ix_attribute_study_id"), table_name="attribute")
    op.drop_table("attribute")
