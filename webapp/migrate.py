"""Alembic, driven from the app: `portal init` creates or upgrades the schema in place."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

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
