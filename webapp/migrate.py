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


class NewerSchema(Exception):
    """The database is at a revision these migrations do not know: a newer release of the portal
    created or upgraded it. Alembic cannot go on from there (nor should the code use it)."""

    def __init__(self, revision: str) -> None:
        super().__init__(revision)
        self.revision = revision

    def explanation(self) -> str:
        return (f"the database was created or upgraded by a newer version of the portal (schema revision "
                f"{self.revision!r}; this version knows up to {head_revision()!r}): run that version, or restore "
                "a backup made for this one")


def upgrade() -> None:
    """Raises NewerSchema, before changing anything, for a database of a newer release."""
    config = alembic_config()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two hosts deploying at once: the second waits, then finds the schema current (without
            # the lock both created the tables and one died on a duplicate key). SQLite's
            # transactions take the write lock at BEGIN already.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision is not None and revision not in known_revisions():
            raise NewerSchema(revision)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_MIGRATION_LOCK = 0x5E_C1_5E_0  # any constant the portal uses for nothing else


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the migrations ship with the code
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision these migrations know: one outside them was made by a newer release."""
    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def current_revision() -> str | None:
    from webapp.database import read_only

    with read_only(db.session):  # a plain read: never waits for SQLite's write lock
        return MigrationContext.configure(db.session.connection()).get_current_revision()


def problem_of(revision: str | None) -> str | None:
    if revision is None:
        return "uninitialised"
    if revision not in known_revisions():
        return "newer"  # `portal init` cannot help: a newer release's migrations made it
    if revision != head_revision():
        return "outdated"
    return None


def schema_problem() -> str | None:
    """None when the database holds the schema this code expects; otherwise what an operator
    should be told (by /healthz and by every command but `portal init`): "uninitialised" or
    "outdated" (run `portal init`), or "newer" (a newer release's database: run that release)."""
    return problem_of(current_revision())
