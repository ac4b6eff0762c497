"""Error pages a person can read: Japanese by default, English on request, never a stack trace,
a fragment for htmx; and /healthz for monitoring."""
from __future__ import annotations

import pytest
from flask import abort

from tests.conftest import csrf_from, database_url
from tests.support.schema import drop_schema
from webapp.guard import public

LEAK = "internal detail that must not leak"
JAPANESE_TITLES = {
    400: "リクエストを処理できません",
    403: "この操作は許可されていません",
    404: "ページが見つかりません",
    405: "この操作はここでは行えません",
    413: "送信されたデータが大きすぎます",
    429: "リクエストが多すぎます",
    500: "予期しないエラーが発生しました",
}


@pytest.fixture
def failing_app(make_app):
    app = make_app()

    def explode():
        raise RuntimeError(LEAK)

    def refuse(code: int):
        abort(code)

    app.add_url_rule("/_test/explode", "test_explode", public(explode))
    app.add_url_rule("/_test/abort/<int:code>", "test_abort", public(refuse))
    return app


def error_responses(client) -> dict[int, object]:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return {
        400: client.post("/login", data={"login_id": "x"}),  # no CSRF token
        403: client.get("/_test/abort/403"),
        404: client.get("/no/such/page"),
        405: client.get("/login/code/resend"),
        413: client.post("/login", data={"password": "p" * (2 * 1024 * 1024), "csrf_token": token}),
        429: client.get("/_test/abort/429"),
        500: client.get("/_test/explode"),
    }


def test_error_pages_are_in_japanese_without_internals(failing_app):
    with failing_app.app_context():
        responses = error_responses(failing_app.test_client())
    for code, response in responses.items():
        html = response.get_data(as_text=True)
        assert response.status_code == code
        assert '<html lang="ja">' in html, code
        assert JAPANESE_TITLES[code] in html, (code, html[html.find("<main"):][:500])
        assert "Traceback" not in html and LEAK not in html and "RuntimeError" not in html, code
        assert 'href="/terms"' in html and 'href="/privacy"' in html, "the footer is on every page"


def test_error_pages_in_english_when_chosen(failing_app):
    with failing_app.app_context():
        client = failing_app.test_client()
        client.get("/lang/en")
        response = client.get("/no/such/page")
    assert response.status_code == 404
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "Page not found" in response.get_data(as_text=True)


def test_htmx_gets_an_error_fragment(failing_app):
    with failing_app.app_context():
        response = failing_app.test_client().get("/_test/explode", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<html" not in html and JAPANESE_TITLES[500] in html and LEAK not in html


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json and response.get_json()["database"] == "ok"


def test_healthz_reports_a_database_that_portal_init_has_not_prepared(app, client):
    """Monitoring sees what an operator must do: no schema yet, or one older than the code."""
    from alembic import command

    from webapp import migrate
    from webapp.extensions import db

    drop_schema()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "uninitialised"
    config = migrate.alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "outdated"
    migrate.upgrade()
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_healthz_tells_a_database_of_a_newer_release_from_an_older_one(app, client):
    """A revision these migrations do not know was made by a newer release: not "outdated"
    (which says `portal init` would help), and `portal init` leaves it alone."""
    import pytest
    from sqlalchemy import text

    from webapp import migrate
    from webapp.extensions import db

    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "newer"
    db.session.close()  # end the read, or SQLite's write lock keeps the upgrade waiting
    with pytest.raises(migrate.NewerSchema) as refused:
        migrate.upgrade()
    assert refused.value.revision == "0099" and "'0099'" in refused.value.explanation()
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0099"
        connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": migrate.head_revision()})


def test_healthz_reports_an_unreachable_database(tmp_path, clock):
    from webapp import create_app

    if not database_url(tmp_path).startswith("sqlite"):
        pytest.skip("needs a database file that cannot be opened")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "CLOCK": clock, "PORTAL_SCHEDULER": False,
                      "PORTAL_SECRET_KEY": "k" * 32,
                      "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_database_server_that_is_down_answers_503_not_an_unexpected_error(tmp_path, clock):
    """Found by a PostgreSQL trial: with the server stopped every page was the 500 "unexpected
    error" page (and its traceback in the log). The page says to try again later, in both
    languages, with the security headers, for a signed-in browser (a session cookie) too."""
    from tests.support.smtp import free_port
    from webapp import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "CLOCK": clock, "PORTAL_SCHEDULER": False,
                      "PORTAL_SECRET_KEY": "k" * 32,
                      "PORTAL_DATABASE_URL": f"postgresql://sekisho@127.0.0.1:{free_port()}/sekisho"})
    browser = app.test_client()
    browser.set_cookie("sekisho_session", "a-session-token-from-before-the-outage")
    for client, paths in ((app.test_client(), ("/login", "/hours")), (browser, ("/login", "/dashboard", "/records"))):
        for path in paths:
            response = client.get(path)
            assert response.status_code == 503, (path, response.status_code)
            page = response.get_data(as_text=True)
            assert "一時的に利用できません" in page and "Temporarily unavailable" in page
            assert response.headers["Retry-After"] and response.headers["X-Content-Type-Options"] == "nosniff"
    posted = app.test_client().post("/login", data={"login_id": "x", "password": "y"})
    assert posted.status_code == 503


def test_a_database_server_that_does_not_answer_holds_no_request_for_long(tmp_path, clock):
    """Found by review: a server that accepts connections and never answers (a failover, a dropped
    network) held each request for the minutes TCP waits. It now waits as long as for a lock."""
    import socket
    import time

    from webapp import create_app

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "CLOCK": clock, "PORTAL_SCHEDULER": False,
                          "PORTAL_SECRET_KEY": "k" * 32, "PORTAL_DATABASE_BUSY_SECONDS": 1,
                          "PORTAL_DATABASE_URL": f"postgresql://sekisho@127.0.0.1:{silent.getsockname()[1]}/sekisho"})
        started = time.monotonic()
        response = app.test_client().get("/login")
        assert response.status_code == 503 and "Temporarily unavailable" in response.get_data(as_text=True)
        assert time.monotonic() - started < 10  # libpq's shortest connect timeout is 2 s
    finally:
        silent.close()
