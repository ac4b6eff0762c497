"""The development outbox page shows every user's codes and links: only in development, and
only to the machine the portal runs on."""
from __future__ import annotations

import pytest

from tests.support.world import build_world


@pytest.fixture
def app_settings():
    return {"PORTAL_MAIL_BACKEND": "outbox"}


def _request_a_code(client, operator):
    from tests.auth.steps import submit_password

    assert submit_password(client, operator.login_id).status_code == 303


def test_development_shows_the_outbox_to_this_machine(app, client):
    operator = build_world().grid_operator
    _request_a_code(client, operator)
    page = client.get("/dev/mail")
    assert page.status_code == 200 and operator.email in page.get_data(as_text=True)
    assert "ここに保存（送信なし）" in page.get_data(as_text=True)  # the state in words, not "kept"


@pytest.mark.parametrize("address", ["192.0.2.10", "10.0.0.5", "2001:db8::1"])
def test_development_hides_the_outbox_from_other_machines(app, client, address):
    operator = build_world().grid_operator
    _request_a_code(client, operator)
    page = client.get("/dev/mail", environ_base={"REMOTE_ADDR": address})
    assert page.status_code == 404 and operator.email not in page.get_data(as_text=True)


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_development_hides_the_outbox_from_requests_through_a_proxy(app, client, header):
    """A reverse proxy on the same host connects from loopback; what it forwards is not local."""
    operator = build_world().grid_operator
    _request_a_code(client, operator)
    page = client.get("/dev/mail", headers={header: "for=198.51.100.7" if header == "Forwarded" else "198.51.100.7"})
    assert page.status_code == 404 and operator.email not in page.get_data(as_text=True)


def test_production_has_no_outbox_page(make_app):
    app = make_app(PORTAL_ENV="production", PORTAL_MAIL_BACKEND="outbox")
    with app.app_context():
        assert app.test_client().get("/dev/mail", base_url="https://localhost").status_code == 404


def test_development_with_smtp_says_the_mail_went_to_the_relay(make_app, smtp):
    """Found by an operator trial: with PORTAL_MAIL_BACKEND=smtp the page said that mail is not sent
    but kept there, and the code page sent people to a "local outbox" without their code."""
    from tests.auth.steps import submit_password

    app = make_app(PORTAL_MAIL_BACKEND="smtp")
    with app.app_context():
        client = app.test_client()
        operator = build_world().grid_operator
        assert "/dev/mail" not in client.get("/login").get_data(as_text=True)
        assert submit_password(client, operator.login_id).status_code == 303
        assert "/dev/mail" not in client.get("/login/code").get_data(as_text=True)
        page = client.get("/dev/mail").get_data(as_text=True)
        assert "メールサーバーへ送信されます" in page and "この開発サーバーが送信したメール" in page
        assert "送信されず" not in page and "ローカルのメール送信箱" not in page
        assert operator.email in page and "送信済み" in page


def test_development_with_the_outbox_links_to_it_from_the_sign_in_pages(app, client):
    operator = build_world().grid_operator
    assert 'href="/dev/mail"' in client.get("/login").get_data(as_text=True)
    _request_a_code(client, operator)
    assert 'href="/dev/mail"' in client.get("/login/code").get_data(as_text=True)
