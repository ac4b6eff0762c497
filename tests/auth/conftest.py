"""Sign-in tests: every request isolated as in production (see tests/support/isolation.py)."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask import Flask

from tests.support.isolation import IsolatedClient


@pytest.fixture
def make_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    def factory(**overrides: Any) -> Flask:
        app = make_app(**overrides)
        app.test_client_class = IsolatedClient
        return app

    return factory
