"""Business-hours tests: the real app under a chosen profile, a client per browser, Japan time.

`app_settings` picks the configuration (capacity by default); a test
changes it with @pytest.mark.parametrize("app_settings", [{...}]).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.isolation import IsolatedClient
from webapp.clock import JST
from webapp.i18n import LOCALE_COOKIE


def jst(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=JST)


@pytest.fixture
def app_settings() -> dict[str, Any]:
    return {"PORTAL_HOURS_PROFILE": "capacity"}


@pytest.fixture
def app(make_app: Callable[..., Flask], smtp: Any, app_settings: dict[str, Any]) -> Iterator[Flask]:
    application = make_app(**app_settings)
    # Every request in its own app context, as in production (see tests/support/isolation.py).
    application.test_client_class = IsolatedClient
    smtp.clear()
    with application.app_context():
        yield application
    from webapp.extensions import db

    with application.app_context():
        db.engine.dispose()


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
