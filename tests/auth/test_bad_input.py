"""Hostile and broken input on every sign-in form: a clear 4xx answer, never a 500, the
fragment never echoed as markup, and nothing about any account changed."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.auth.steps import post_form, submit_password
from tests.conftest import TEST_PASSWORD, csrf_from
from webapp.auth import credentials
from webapp.auth.models import User
from webapp.extensions import db
from webapp.mail import outbox
from webapp.orgs import service as orgs

SCRIPT = "<script>alert(1)</script>"
PAYLOADS = {
    "oversized": "a" * 100_000,
    "nul byte": "abc\x00def",
    "control character": "abc\x1bdef",
    "full width": "ＵＳＥＲ　＜ｓｃｒｉｐｔ＞",
    "html": SCRIPT,
    "sql": "' OR 1=1 --",
    "mixed scripts": "аdmin管理者ｱﾄﾞﾐﾝ",
}
# Malformed bytes as a browser with a wrong charset (or an attacker) sends them. Werkzeug keeps
# invalid percent-escapes as literal text and drops a body with raw non-ASCII bytes (then the
# CSRF check answers): either way a clear 400, never a 500.
RAW_BODIES = [b"%FF%FE%FD", b"\xff\xfe\xfd", b"%C0%AF", b"%ED%A0%80"]
MESSAGE_IDS = ('id="login-error"', 'id="code-error"', 'id="password-errors"', 'class="flash flash-error"',
               'class="error" role="alert"')


def accounts() -> list[tuple]:
    db.session.expire_all()
    return [(u.id, u.status, u.password_hash, u.failed_logins, u.locked_at, u.totp_secret)
            for u in db.session.scalars(select(User).order_by(User.id))]


def assert_clear_refusal(response) -> None:
    assert 400 <= response.status_code < 500, response.status_code
    html = response.get_data(as_text=True)
    assert SCRIPT not in html, "the fragment came back as markup"
    assert "Traceback" not in html
    assert any(marker in html for marker in MESSAGE_IDS), html[:1500]


def raw_post(client, path: str, fields: dict[str, bytes], token: str):
    body = b"&".join(k.encode() + b"=" + v for k, v in fields.items()) + b"&csrf_token=" + token.encode()
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("name", PAYLOADS)
def test_login_form(client, world, name):
    before = accounts()
    payload = PAYLOADS[name]
    assert_clear_refusal(submit_password(client, payload, payload))
    if name in {"oversized", "nul byte", "control character"}:  # refused before any account is looked at
        assert_clear_refusal(submit_password(client, world.grid_operator.login_id, payload))
    assert accounts() == before


@pytest.mark.parametrize("raw", RAW_BODIES)
def test_login_form_with_invalid_utf8(client, world, raw):
    before = accounts()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert_clear_refusal(raw_post(client, "/login", {"login_id": raw, "password": raw}, token))
    assert_clear_refusal(raw_post(client, "/login", {"login_id": raw, "password": TEST_PASSWORD.encode()}, token))
    assert accounts() == before


@pytest.mark.parametrize("name", PAYLOADS)
def test_code_form(client, world, name):
    submit_password(client, world.grid_operator.login_id)
    before = accounts()
    response = post_form(client, "/login/code", {"code": PAYLOADS[name]})
    assert_clear_refusal(response)
    assert response.status_code == 400, "not a code at all: not even counted as a try"
    token = csrf_from(client.get("/login/code").get_data(as_text=True))
    for raw in RAW_BODIES:
        assert_clear_refusal(raw_post(client, "/login/code", {"code": raw}, token))
    assert accounts() == before
    assert client.get("/login/code").status_code == 200, "the pending login survived"


@pytest.fixture
def activation_path(world, smtp) -> str:
    user = orgs.create_user(world.grid, name="新人 二郎", email="newcomer2@test.example")
    credentials.issue_activation(user)
    db.session.commit()
    outbox.deliver()
    return urlsplit(smtp.link_for(user.email)).path


@pytest.mark.parametrize("token", ["a" * 100_000, "%00", "abc%00def", "%FF%FE", SCRIPT, "' OR 1=1 --",
                                   "ＡＢＣ", "..%2F..%2Fetc%2Fpasswd"])
def test_activation_link_forged(client, world, token):
    before = accounts()
    response = client.get("/activate/" + token)
    assert response.status_code == 404
    assert SCRIPT not in response.get_data(as_text=True)
    posted = client.post("/activate/" + token, data={
        "password": "a long enough passphrase 2025", "password_confirm": "a long enough passphrase 2025",
        "csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    assert posted.status_code == 404
    assert accounts() == before


# Any character may be part of a password (NIST SP 800-63B-4): a fragment is refused here only
# because it is far too short to be one; a long one is simply a passphrase (see the last test).
PASSWORD_PAYLOADS = {**PAYLOADS, "html": "<b>x</b>", "sql": "' OR 1=1 --"}


@pytest.mark.parametrize("name", PASSWORD_PAYLOADS)
def test_activation_form(client, activation_path, name):
    before = accounts()
    payload = PASSWORD_PAYLOADS[name]
    assert_clear_refusal(post_form(client, activation_path, {"password": payload, "password_confirm": payload}))
    token = csrf_from(client.get(activation_path).get_data(as_text=True))
    for raw in RAW_BODIES:
        assert_clear_refusal(raw_post(client, activation_path, {"password": raw, "password_confirm": raw},
                                      token))
    assert accounts() == before
    assert client.get(activation_path).status_code == 200, "the link still works"


@pytest.mark.parametrize("name", PASSWORD_PAYLOADS)
def test_password_change_form(client, world, sign_in, name):
    sign_in(client, world.grid_operator)
    before = accounts()
    payload = PASSWORD_PAYLOADS[name]
    response = post_form(client, "/account/password", {
        "current_password": TEST_PASSWORD, "password": payload, "password_confirm": payload})
    assert_clear_refusal(response)
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    for raw in RAW_BODIES:
        assert_clear_refusal(raw_post(client, "/account/password", {
            "current_password": TEST_PASSWORD.encode(), "password": raw, "password_confirm": raw}, token))
    assert accounts() == before


def test_form_fields_sent_twice_or_missing_are_refused_clearly(client, world):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    missing = client.post("/login", data={"csrf_token": token})
    assert_clear_refusal(missing)
    doubled = raw_post(client, "/login", {"login_id": b"a", "password": b"x"}, token)
    assert_clear_refusal(doubled)


def test_markup_in_a_long_passphrase_is_just_characters(client, world, sign_in, smtp):
    from tests.auth.steps import sign_in_with_code

    sign_in(client, world.grid_operator)
    passphrase = "<script>alert('x')</script>' OR 1=1 -- 長い合言葉"
    response = post_form(client, "/account/password", {
        "current_password": TEST_PASSWORD, "password": passphrase, "password_confirm": passphrase})
    assert response.status_code == 303
    other = client.application.test_client()
    smtp.clear()
    assert sign_in_with_code(other, smtp, world.grid_operator, passphrase).headers["Location"] == "/dashboard"
