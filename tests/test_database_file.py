"""The SQLite file removed or replaced under a running portal (a clean-up deleting it, a restore
moved over its name): SQLite would go on writing into the removed file, lost at the next start.
The portal stops instead: /healthz names what happened, every page answers 503 saying to restore
the file and restart, one line in the log, and nothing is written anywhere meanwhile."""
from __future__ import annotations

import json
import os
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.applications.steps import text_of
from tests.support.served import portal, portal_env, served


def _get(url: str, **headers: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def _remove(database: Path) -> None:
    for name in (database.name, f"{database.name}-wal", f"{database.name}-shm"):
        (database.parent / name).unlink(missing_ok=True)


def test_a_database_file_removed_under_portal_serve_stops_every_page_and_healthz_says_so(tmp_path):
    database = tmp_path / "sekisho.db"
    env = portal_env(database)
    assert portal(env, "init").returncode == 0
    with served(env) as (base, server):
        assert _get(base + "/login")[0] == 200
        _remove(database)
        status, health = _get(base + "/healthz")
        login, page = _get(base + "/login")
        terms, english = _get(base + "/terms", Cookie="sekisho_lang=en")
    assert status == 503 and json.loads(health) == {"status": "error", "database": "removed"}
    assert login == 503 and "データベースファイルが削除されたか" in page and "再起動" in page  # Japanese by default
    assert terms == 503 and "restored and the portal restarted" in english
    assert not database.exists(), "an empty database was created in place of the removed one"
    log = server.stderr.read()
    said = f"the database file {database} was removed while the portal was running; restore it and restart the portal"
    assert log.count(said) == 1 and "Traceback" not in log, log


def test_a_backup_moved_over_the_database_of_a_running_portal_is_not_written_to(tmp_path):
    """The restore is right, the running portal is not: it still has the old file open."""
    database, backup = tmp_path / "sekisho.db", tmp_path / "backup.db"
    env = portal_env(database)
    assert portal(env, "init").returncode == 0
    assert portal(env, "backup", str(backup)).returncode == 0
    with served(env) as (base, _server):
        assert _get(base + "/healthz")[0] == 200
        os.replace(backup, database)
        status, health = _get(base + "/healthz")
        login, _page = _get(base + "/login")  # would store a new session (its form's token)
    assert status == 503 and json.loads(health)["database"] == "replaced"
    assert login == 503
    with sqlite3.connect(database) as restored:
        assert restored.execute("SELECT count(*) FROM server_sessions").fetchone() == (0,)


def test_a_signed_in_page_after_the_file_was_removed_says_so_and_no_empty_database_takes_its_place(
        app, world, browser_for):
    from webapp.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("an SQLite file")
    operator = browser_for(world.grid_operator)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as served: the test client would re-raise
    database = Path(db.engine.url.database)
    _remove(database)
    for path in ("/dashboard", "/records"):
        response = operator.get(path)  # fails reading the session, before any view
        assert response.status_code == 503, path
        assert "The database file was removed or replaced" in text_of(response)
        assert response.headers["Content-Security-Policy"]  # the portal's own answer, headers and all
    assert not database.exists()


def test_the_scheduler_writes_nothing_into_a_removed_file(app, world, caplog):
    """Its jobs (mail, pruning, reviews) would commit into the removed file: each is refused, and
    the log says it once, not once for every job of every run."""
    from webapp import scheduler
    from webapp.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("an SQLite file")
    db.session.close()
    _remove(Path(db.engine.url.database))
    first, second = scheduler.run_once(app), scheduler.run_once(app)  # the second without the hourly jobs
    assert set(first) == {name for name, _job in scheduler.JOBS} and second
    assert all("was removed while the portal was running" in said for said in [*first.values(), *second.values()])
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"the database file {db.engine.url.database} was removed while the portal was running; "
        "restore it and restart the portal"]
