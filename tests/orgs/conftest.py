"""Application tests: every request in its own app context (as in production), English pages, real SMTP."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.isolation import IsolatedClient
from webapp.i18n import LOCALE_COOKIE


@pytest.fixture
def make_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    def factory(**overrides: Any) -> Flask:
        app = make_app(**overrides)
        app.test_client_class = IsolatedClient
        return app

    return factory


@pytest.fixture
def browser_for(app: Flask, sign_in: Callable[..., Any]) -> Iterator[Callable[[Any], FlaskClient]]:
    """A signed-in test client per person (one "browser" each), English so assertions read the msgids."""
    clients: dict[int, FlaskClient] = {}

    def get(user: Any) -> FlaskClient:
        if user.id not in clients:
            client = app.test_client()
            client.set_cookie(LOCALE_COOKIE, "en")
            sign_in(client, user)
            clients[user.id] = client
        return clients[user.id]

    yield get


@pytest.fixture
def world_factory() -> Callable[[], Any]:
    from tests.support.world import build_world

    return build_world
