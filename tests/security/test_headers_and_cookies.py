"""Security headers on every kind of response, error pages and static files included; cookie
flags in development and in production (the `__Host-` cookie over HTTPS)."""
from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_from
from webapp.guard import public


def add_failing_routes(app) -> None:
    """Test-only routes, added before the first request (Flask refuses them later)."""

    def explode():
        raise RuntimeError("internal detail that must not leak")

    app.add_url_rule("/_test/explode", "test_explode", public(explode))


@pytest.fixture
def app_with_failures(make_app):
    app = make_app()
    add_failing_routes(app)
    return app


def every_kind_of_response(client) -> dict[str, object]:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return {
        "page": client.get("/login"),
        "redirect": client.get("/dashboard"),
        "static": client.get("/static/app.css"),
        "json": client.get("/healthz"),
        "400": client.post("/login", data={"login_id": "x", "password": "y"}),
        "404": client.get("/no/such/page"),
        "405": client.get("/login/code/resend"),
        "413": client.post("/login", data={"login_id": "x" * (2 * 1024 * 1024), "csrf_token": token}),
        "500": client.get("/_test/explode"),
    }


def test_every_response_carries_the_security_headers(app_with_failures):
    with app_with_failures.app_context():
        responses = every_kind_of_response(app_with_failures.test_client())
    expected_status = {"page": 200, "redirect": 303, "static": 200, "json": 200, "400": 400, "404": 404,
                       "405": 405, "413": 413, "500": 500}
    for name, response in responses.items():
        assert response.status_code == expected_status[name], name
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp, name
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, name
        assert "script-src 'self'" in csp and "object-src 'none'" in csp, name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin"}, name
        assert "Strict-Transport-Security" not in response.headers, f"{name}: no HSTS on plain development HTTP"
    assert responses["405"].headers.get("Allow"), "405 says which methods are allowed"


def test_production_adds_hsts_everywhere(make_app):
    app = make_app(PORTAL_ENV="production")
    add_failing_routes(app)
    with app.app_context():
        responses = every_kind_of_response(app.test_client())
    for name, response in responses.items():
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert re.match(r"max-age=(\d+)", hsts) and int(re.match(r"max-age=(\d+)", hsts).group(1)) >= 31536000, name


def test_signed_in_pages_are_not_stored_by_any_cache(client, world, sign_in):
    sign_in(client, world.grid_operator)
    for path in ("/dashboard", "/account/sessions", "/account/password", "/account/authenticator"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"], path
    assert "no-store" in client.get("/login").headers["Cache-Control"], "login pages hold CSRF tokens"
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_development_cookie_flags(client):
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("sekisho_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain=" not in cookie


def test_production_cookie_is_host_prefixed_secure_and_works_over_https(make_app, smtp):
    app = make_app(PORTAL_ENV="production")
    with app.app_context():
        from tests.auth.steps import submit_code, submit_password
        from tests.support.world import build_world

        operator = build_world().grid_operator
        client = app.test_client()
        page = client.get("/login", base_url="https://portal.example")
        cookie = page.headers["Set-Cookie"]
        name, _value = cookie.split(";")[0].split("=", 1)
        assert name == "__Host-sekisho"
        attributes = [a.strip() for a in cookie.split(";")[1:]]
        assert "Secure" in attributes and "HttpOnly" in attributes
        assert "Path=/" in attributes and "SameSite=Lax" in attributes
        assert not any(a.startswith("Domain=") for a in attributes), "__Host- cookies carry no Domain"

        # The whole sign-in works over HTTPS (the test client uses the https scheme production prefers;
        # over HTTPS the CSRF check also wants a same-site Referer, which browsers send).
        client.environ_base["HTTP_REFERER"] = "https://localhost/login"
        assert submit_password(client, operator.login_id).status_code == 303
        assert submit_code(client, smtp.code_for(operator.email)).headers["Location"] == "/dashboard"
        assert client.get("/dashboard").status_code == 200
        assert client.get_cookie("__Host-sekisho", domain="localhost") is not None


def test_pages_have_no_inline_script_style_or_handlers(client, world, sign_in):
    """The CSP would block them anyway; this finds them before a browser does."""
    pages = [client.get("/login").get_data(as_text=True), client.get("/no/such/page").get_data(as_text=True)]
    sign_in(client, world.grid_operator)
    for path in ("/dashboard", "/account/sessions", "/account/password", "/account/authenticator", "/logout"):
        pages.append(client.get(path).get_data(as_text=True))
    for html in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
        assert not re.search(r"\sstyle\s*=", html), "style attribute"
        assert not re.search(r"<style", html), "<style> element"
        assert not re.search(r"\son[a-z]+\s*=", html), "on*= handler"
