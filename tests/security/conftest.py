"""Security tests: every request isolated as in production (see isolation.py)."""
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


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Error pages are checked in Japanese: the .mo files must match the .po files."""
    from tests.security.catalogs import compile_stale_catalogs

    compile_stale_catalogs()
