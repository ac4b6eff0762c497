"""Fixtures with real parts: an SQLite file per test, an SMTP server on loopback, an injectable clock."""
from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.isolation import IsolatedClient
from tests.support.smtp import SmtpSink
from webapp import create_app
from webapp.clock import JST, FrozenClock

# A Tuesday morning in Japan, inside every profile's hours.
DEFAULT_START = datetime(2025, 6, 10, 10, 0, tzinfo=JST)
# Of our own words: the policy refuses famous examples such as "correct horse battery staple",
# and test_password_change sets this one again through the form.
TEST_PASSWORD = "orange kettle winter bridge 2025"

# Cheaper argon2 in tests only; `make bench` measures the production parameters.
FAST_HASHING = {"PORTAL_ARGON2_TIME_COST": 1, "PORTAL_ARGON2_MEMORY_KIB": 1024}


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(DEFAULT_START)


def database_url(tmp_path: Path) -> str:
    """PostgreSQL in CI when PORTAL_TEST_DATABASE_URL is set, otherwise a real SQLite file."""
    base = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'sekisho.db'}"
    # One database per xdist worker, so parallel workers never drop each other's tables.
    url = f"{base}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    _ensure_postgres_database(url)
    return url


_created_databases: set[str] = set()


def _ensure_postgres_database(url: str) -> None:
    if url in _created_databases:
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    _created_databases.add(url)


@pytest.fixture
def make_app(tmp_path: Path, smtp: SmtpSink, clock: FrozenClock) -> Callable[..., Flask]:
    def factory(**overrides: Any) -> Flask:
        config = {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "CLOCK": clock,
            "PORTAL_DATABASE_URL": database_url(tmp_path),
            "PORTAL_SECRET_KEY": "test-secret-key-not-for-production",
            "PORTAL_MAIL_BACKEND": "smtp",
            "PORTAL_MAIL_SERVER": "127.0.0.1",
            "PORTAL_MAIL_PORT": smtp.port,
            # The loopback sink answers in milliseconds; 3 s was once too short for it on a loaded
            # host (a sign-in answered 503). Tests of a slow or hanging relay set their own limit.
            "PORTAL_MAIL_TIMEOUT_SECONDS": 10,
            "PORTAL_HOURS_PROFILE": "always",
            "PORTAL_SCHEDULER": False,
            **FAST_HASHING,
            **overrides,
        }
        app = create_app(config)
        app.config["TESTING"] = True
        # Each request gets its own app context, as in production (see isolation.py).
        app.test_client_class = IsolatedClient
        with app.app_context():
            from tests.support.schema import create_current_schema

            _reset_database(app)
            create_current_schema()
        return app

    return factory


def _reset_database(app: Flask) -> None:
    """PostgreSQL is shared between tests: drop everything first. SQLite files are new per test."""
    from sqlalchemy import text

    from webapp.extensions import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


@pytest.fixture
def app_settings() -> dict[str, Any]:
    """Configuration of the `app` fixture; a test folder or test overrides it."""
    return {}


@pytest.fixture
def app(make_app: Callable[..., Flask], smtp: SmtpSink, app_settings: dict[str, Any]) -> Iterator[Flask]:
    application = make_app(**app_settings)
    smtp.clear()
    with application.app_context():
        yield application
    from webapp.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no csrf_token in page"
    return match.group(1)


@pytest.fixture
def world(app: Flask) -> Any:
    """Two organisations with every role, all active with TEST_PASSWORD (see tests/support/world.py)."""
    from tests.support.world import build_world

    return build_world()


@pytest.fixture
def sign_in(smtp: SmtpSink) -> Callable[..., Any]:
    """Sign a user in through the real pages: password, then the code from the delivered mail."""

    def do_sign_in(client: FlaskClient, user: Any, password: str = TEST_PASSWORD) -> Any:
        page = client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        response = client.post("/login", data={"login_id": user.login_id, "password": password, "csrf_token": token})
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        page = client.get("/login/code")
        code = smtp.code_for(user.email)
        response = client.post("/login/code", data={"code": code, "csrf_token": csrf_from(page.get_data(as_text=True))})
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        return response

    return do_sign_in


@pytest.fixture
def browser_for(app: Flask, sign_in: Callable[..., Any]) -> Iterator[Callable[[Any], FlaskClient]]:
    """A signed-in test client per person (one "browser" each), English so assertions read the msgids."""
    from webapp.i18n import LOCALE_COOKIE

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


def same_database_app(app, clock, **overrides):
    """A second process on the same database (no reset): what cron's `portal mail flush` is."""
    config = {
        "INSTANCE_PATH": app.instance_path, "CLOCK": clock,
        "PORTAL_DATABASE_URL": app.config["PORTAL_DATABASE_URL"],
        "PORTAL_SECRET_KEY": app.config["PORTAL_SECRET_KEY"],
        "PORTAL_MAIL_BACKEND": "smtp", "PORTAL_MAIL_SERVER": "127.0.0.1",
        "PORTAL_SCHEDULER": False, **FAST_HASHING, **overrides,
    }
    from webapp import create_app

    return create_app(config)
