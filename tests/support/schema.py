"""Tests build their schema with create_all (faster than running every migration); it is then
marked as the current revision, as `portal init` leaves it."""
from __future__ import annotations

from sqlalchemy import text

from webapp import migrate
from webapp.extensions import db


def create_current_schema() -> None:
    db.create_all()
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS alembic_version "
                                "(version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
                           {"head": migrate.head_revision()})


def drop_schema() -> None:
    """Back to an empty database, as before `portal init` (the revision mark included)."""
    from webapp.database import Base

    Base.metadata.drop_all(db.engine)
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
