"""Alembic, driven from the app: `portal init` creates or upgrades the schema in place."""
from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from webapp.extensions import db

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade() -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two hosts deploying at once: the second waits, then finds the schema current (without
            # the lock both created the tables and one died on a duplicate key). SQLite's
            # transactions take the write lock at BEGIN already.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_MIGRATION_LOCK = 0x5E_C1_5E_0  # any constant the portal uses for nothing else


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the migrations ship with the code
    return head


def schema_problem() -> str | None:
    """None when the database holds the schema this code expects; otherwise what an operator
    should be told (by /healthz and by every command but `portal init`)."""
    from webapp.database import read_only

    with read_only(db.session):  # a plain read: never waits for SQLite's write lock
        revision = MigrationContext.configure(db.session.connection()).get_current_revision()
    if revision is None:
        return "uninitialised"
    if revision != head_revision():
        return "outdated"
    return None
