"""A database the portal may read but not write (a read-only file, folder or mount; a full or
failing disk). SQLite opens such a file read-only without a word, and even BEGIN IMMEDIATE
succeeds: `portal serve` started, /healthz said ok, and /login, /hours, /terms answered 500.
Now `portal serve` and `portal init` refuse to start in one line, /healthz says read-only, and
a page that meets the fault answers 503 saying so, with one line in the log.

A real read-only file: chmod 0444 for an ordinary account; as root (CI) chmod changes nothing,
so an immutable file (chattr +i), where the file system and the capabilities allow it. SQLite's
own read-only mode (`file:…?mode=ro&uri=true`, a URL the portal takes as it is) gives the same
error from SQLite everywhere, root included."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.applications.steps import text_of
from tests.support.served import PORTAL, ROOT, portal, portal_env
from tests.support.smtp import free_port

REFUSED = ("portal: the database cannot be used (attempt to write a readonly database); check that the account "
           "running the portal may write the database file, its folder and the disk it is on")


@contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o600)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        pytest.skip("as root only an immutable file cannot be written, and chattr +i is not possible here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def read_only_url(database: Path) -> str:
    return f"sqlite:///file:{database}?mode=ro&uri=true"


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`portal serve` that must not start: the old code served until killed."""
    return subprocess.run([PORTAL, "serve", "--port", str(free_port())], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=30)


def _refused_in_one_line(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip() == REFUSED and "Sekisho on" not in result.stdout


def test_serve_and_init_refuse_a_database_file_that_cannot_be_written(tmp_path):
    database = tmp_path / "sekisho.db"
    env = portal_env(database)
    assert portal(env, "init").returncode == 0
    with read_only_file(database):
        _refused_in_one_line(_serve(env))
        _refused_in_one_line(portal(env, "init"))
    assert portal(env, "init").returncode == 0  # the same database, writable again


def test_serve_and_init_refuse_a_database_opened_read_only(tmp_path):
    """Runs as root too (CI): SQLite's read-only mode refuses every change with the same error."""
    database = tmp_path / "sekisho.db"
    assert portal(portal_env(database), "init").returncode == 0
    env = portal_env(database, PORTAL_DATABASE_URL=read_only_url(database))
    _refused_in_one_line(_serve(env))
    _refused_in_one_line(portal(env, "init"))


def _pages_answer_503_in_one_log_line(client, caplog) -> None:
    caplog.clear()
    for path in ("/login", "/hours", "/terms"):  # each stores a new session: its forms' token
        page = client.get(path)
        assert page.status_code == 503, path
        assert page.headers["Retry-After"] == "60" and page.headers["Content-Security-Policy"]
        assert "データベースに書き込めないため" in page.get_data(as_text=True)  # Japanese by default
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [record.getMessage() for record in errors] == [
        "the database cannot be written: attempt to write a readonly database"] * 3
    assert not any(record.exc_info for record in errors), "a traceback for a known fault"


def test_pages_of_a_database_file_that_cannot_be_written_say_so(app, caplog):
    from webapp.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("an SQLite file")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as served: the test client would re-raise
    db.engine.dispose()  # connections opened from now on find the file read-only
    with read_only_file(Path(db.engine.url.database)):
        _pages_answer_503_in_one_log_line(app.test_client(), caplog)
        health = app.test_client().get("/healthz")
        assert health.status_code == 503 and health.json == {"status": "error", "database": "read-only"}
    assert app.test_client().get("/login").status_code == 200  # the operator's fix works without a restart


def test_pages_and_a_sign_in_on_a_database_opened_read_only_say_so_and_change_nothing(app, world, clock, caplog):
    """Runs as root too: the portal on SQLite's read-only mode, for a browser that had the
    sign-in form from before."""
    from tests.auth.steps import audit_events
    from tests.conftest import TEST_PASSWORD, csrf_from, same_database_app
    from tests.support.isolation import IsolatedClient
    from webapp.auth.sessions import cookie_name
    from webapp.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("an SQLite file")
    before = app.test_client()
    token = csrf_from(before.get("/login").get_data(as_text=True))
    session = before.get_cookie(cookie_name(app))
    db.session.close()
    read_only = same_database_app(app, clock, PORTAL_DATABASE_URL=read_only_url(Path(db.engine.url.database)))
    read_only.config["PROPAGATE_EXCEPTIONS"] = False
    read_only.test_client_class = IsolatedClient
    _pages_answer_503_in_one_log_line(read_only.test_client(), caplog)
    browser = read_only.test_client()
    browser.set_cookie(session.key, session.value)
    form = {"login_id": world.grid_operator.login_id, "password": TEST_PASSWORD, "csrf_token": token}
    response = browser.post("/login", data=form)
    assert response.status_code == 503 and "データベースに書き込めないため" in text_of(response)
    assert not audit_events("login.password_ok", "login.failed")
    with read_only.app_context():
        db.engine.dispose()
