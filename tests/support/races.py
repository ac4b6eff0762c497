"""Races between two requests that only a server running writers side by side can show."""
from __future__ import annotations

from typing import Any

import pytest


def needs_overlapping_writers(app: Any) -> None:
    """Skip on SQLite: it runs one writing transaction at a time (BEGIN IMMEDIATE), so the
    other request's commit cannot land in the middle of this one; PostgreSQL lets it."""
    if not app.config["PORTAL_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("SQLite runs one writing transaction at a time: the two cannot overlap there")
