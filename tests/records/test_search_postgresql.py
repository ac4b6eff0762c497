"""On PostgreSQL free-text search of facility records is served by pg_trgm's GIN indexes where the
extension can be created, and still works (by scanning) where it cannot."""
from __future__ import annotations

import logging

import pytest
from alembic import command
from sqlalchemy import text

from tests.records.helpers import add_records, shown_ids
from tests.support.schema import drop_schema
from webapp import migrate
from webapp.extensions import db
from webapp.records.search_index import TRIGRAM_INDEXES

UNPRIVILEGED = "sekisho_unprivileged"


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")


def _trigram_indexes() -> set[str]:
    return set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'facility_records'"
                                       " AND indexdef LIKE '%gin_trgm_ops%'")))


def test_portal_init_builds_the_trigram_indexes(app):
    drop_schema()
    migrate.upgrade()
    assert _trigram_indexes() == set(TRIGRAM_INDEXES.values())


def _as_a_role_that_may_not_create_extensions() -> None:
    """`portal init` as a role with tables in the public schema and nothing more (no CREATE on
    the database, as a hosting provider may hand out), on an empty database."""
    drop_schema()
    with db.engine.begin() as connection:
        connection.execute(text("DROP EXTENSION IF EXISTS pg_trgm"))
        connection.execute(text(  # roles are the cluster's: parallel test workers may race to create it
            f"DO $$ BEGIN CREATE ROLE {UNPRIVILEGED}; EXCEPTION WHEN duplicate_object OR unique_violation"
            " THEN NULL; END $$"))
        connection.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {UNPRIVILEGED}"))
    config = migrate.alembic_config()
    with db.engine.begin() as connection:
        connection.execute(text(f"SET LOCAL ROLE {UNPRIVILEGED}"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def test_without_the_extension_the_portal_installs_and_searches_by_scanning(app, browser_for, caplog):
    caplog.set_level(logging.WARNING)
    _as_a_role_that_may_not_create_extensions()
    assert "pg_trgm is not available" in caplog.text
    assert _trigram_indexes() == set()
    from tests.support.world import build_world

    world = build_world()
    add_records(50)
    db.session.commit()
    response = browser_for(world.grid_operator).get("/records", query_string={"q": "ＭＡＲＫ－ＧＵＮ"})
    assert shown_ids(response.get_data(as_text=True)) == ["MARK-GUNMA"]
