"""Business-hours tests: the real app under a chosen profile, a client per browser, Japan time.

`app_settings` picks the configuration (capacity by default); a test
changes it with @pytest.mark.parametrize("app_settings", [{...}]).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.clock import JST
from webapp.i18n import LOCALE_COOKIE


def jst(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=JST)


@pytest.fixture
def app_settings() -> dict[str, Any]:
    return {"PORTAL_HOURS_PROFILE": "capacity"}


@pytest.fixture
def new_client(app: Flask) -> Callable[[], FlaskClient]:
    """A fresh browser reading English, so assertions do not depend on compiled catalogs."""

    def make() -> FlaskClient:
        client = app.test_client()
        client.set_cookie(LOCALE_COOKIE, "en")
        return client

    return make


@pytest.fixture
def client(new_client: Callable[[], FlaskClient]) -> FlaskClient:
    return new_client()
