"""Alembic, driven from the app: `portal init` creates or upgrades the schema in place."""
from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from webapp.extensions import db

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade() -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


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
