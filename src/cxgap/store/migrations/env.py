"""Alembic environment: runs migrations on the connection cxgap hands over."""

from __future__ import annotations

from alembic import context

from cxgap.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - cxgap always passes a connection
    raise RuntimeError("cxgap migrations run through cxgap.store.migrate, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
