"""Alembic environment: the connection comes from the running app (webapp.migrate)."""
from __future__ import annotations

from alembic import context

import webapp.models  # noqa: F401  (registers every table)
from webapp.database import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")

if connection is None:
    raise RuntimeError("run migrations through `portal init`, which provides the connection")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
