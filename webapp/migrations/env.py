"""Alembic environment: the connection comes from the running app (webapp.migrate)."""
from __future__ import annotations

from alembic import context

import webapp.models  # noqa: F401  (registers every table)
from webapp.database import Base
from webapp.records.search_index import is_search_index

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")

if connection is None:
    raise RuntimeError("run migrations through `portal init`, which provides the connection")

def include_name(name: str | None, type_: str, _parents: dict[str, str | None]) -> bool:
    """The search indexes are not models (webapp/records/search_index.py)."""
    return not is_search_index(name, type_)


context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
