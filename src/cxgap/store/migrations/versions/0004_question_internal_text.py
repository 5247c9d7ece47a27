"""question wording for leadership and staff

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

A nullable column: a question stored before it has none, and its
leadership and staff wording is derived from its text as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.add_column(sa.Column("internal_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.drop_column("internal_text")
