"""Another writer holding SQLite's write lock longer than PORTAL_DATABASE_BUSY_SECONDS (a large
import, a stuck cron job): the request answers 503 "busy, try again" with Retry-After, in the
user's language, instead of a server error; once the lock is free everything works again."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator

import pytest

from tests.applications.steps import text_of
from webapp.extensions import db


@pytest.fixture
def app_settings():
    return {"PORTAL_DATABASE_BUSY_SECONDS": 1}


@contextmanager
def lock_held_by_another_writer(app) -> Iterator[None]:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    db.session.close()
    holder = sqlite3.connect(app.config["PORTAL_DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_signed_in_page_while_the_database_is_held_says_busy_and_when_to_retry(app, world, browser_for):
    operator = browser_for(world.grid_operator)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as served: the test client would re-raise
    with lock_held_by_another_writer(app):
        response = operator.get("/dashboard")  # fails reading the session, before any view
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "The system is busy" in text_of(response) and "try again in a few seconds" in text_of(response)
    assert response.headers["Content-Security-Policy"]  # the portal's own page, headers and all
    assert operator.get("/dashboard").status_code == 200


def test_a_form_sent_while_the_database_is_held_changes_nothing_and_says_busy(app, world, client):
    from tests.auth.steps import audit_events, submit_password
    from tests.conftest import TEST_PASSWORD, csrf_from

    app.config["PROPAGATE_EXCEPTIONS"] = False
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"login_id": world.grid_operator.login_id, "password": TEST_PASSWORD, "csrf_token": token}
    with lock_held_by_another_writer(app):
        response = client.post("/login", data=form)
    assert response.status_code == 503 and not audit_events("login.password_ok")
    assert "システムが混み合っています" in response.get_data(as_text=True)  # Japanese by default
    assert submit_password(client, world.grid_operator.login_id).status_code == 303


def test_pages_of_a_database_without_its_schema_say_to_run_portal_init(make_app):
    """Before `portal init` (or after an upgrade without it), /healthz says so to monitoring;
    a person asking for a page is told too, instead of a server error."""
    from tests.support.schema import drop_schema

    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        drop_schema()
    client = app.test_client()
    for path in ("/login", "/hours", "/terms"):
        page = client.get(path)
        assert page.status_code == 503, path
        assert "portal init" in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503


def test_an_approval_committed_before_the_database_became_busy_still_answers_as_done(
        app, world, smtp, browser_for, monkeypatch):
    """The approval commits and its mail is sent; then another writer takes the lock before the
    delivery is recorded. The approver is sent on as for any approval (found by review: a 503 page
    saying "system error" for a change that was made); what could not be written back then (the
    record of the delivery, the next page's message) is what is lost."""
    from tests.applications import steps
    from tests.applications.steps import add_user_fields, decide, file, filed_id
    from webapp.mail import outbox

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    admin, responsible = browser_for(world.grid_admin), browser_for(world.grid_responsible)
    application_id = filed_id(file(admin, **add_user_fields(email="newbie@test.example")))
    held, send = [], outbox._send_smtp

    def send_then_another_writer_takes_the_lock(items):
        errors = send(items)
        holder = sqlite3.connect(app.config["PORTAL_DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        held.append(holder)
        return errors

    monkeypatch.setattr(outbox, "_send_smtp", send_then_another_writer_takes_the_lock)
    try:
        response = decide(responsible, application_id, "approve")
    finally:
        for holder in held:
            holder.execute("ROLLBACK")
            holder.close()
    assert response.status_code == 303
    assert steps.application(application_id).state == "approved"
    assert responsible.get(response.headers["Location"]).status_code == 200
