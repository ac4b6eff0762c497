"""The whole sign-in as a user lives it: password, code from the real mail, dashboard."""
from tests.conftest import TEST_PASSWORD, csrf_from


def test_operator_signs_in_with_code_from_mail(client, world, smtp, sign_in):
    response = sign_in(client, world.grid_operator)
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert world.grid_operator.name in html
    assert world.grid.name in html


def test_dashboard_requires_sign_in(client):
    response = client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")


def test_wrong_password_gets_generic_message(client, world):
    page = client.get("/login")
    response = client.post("/login", data={"login_id": world.grid_operator.login_id, "password": "wrong" * 4,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 401
    unknown = client.post("/login", data={"login_id": "nobody", "password": TEST_PASSWORD,
                                          "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert unknown.status_code == 401
    assert _error(response) == _error(unknown)


def _error(response):
    import re

    return re.search(r'id="login-error">([^<]+)<', response.get_data(as_text=True)).group(1)


def test_code_mail_is_well_formed_japanese_with_text_and_html(client, world, smtp):
    page = client.get("/login")
    client.post("/login", data={"login_id": world.grid_operator.login_id, "password": TEST_PASSWORD,
                                "csrf_token": csrf_from(page.get_data(as_text=True))})
    mail = smtp.last_to(world.grid_operator.email)
    assert "ワンタイム" in mail.subject
    assert world.grid_operator.name in mail.text
    assert "<" in mail.html and smtp.code_for(world.grid_operator.email) in mail.html
    assert mail.message["Message-ID"] and mail.message["Date"]
    # What any mail server takes: 7-bit, CRLF, short lines, nothing the parser had to repair.
    lines = mail.raw.split(b"\r\n")
    assert mail.raw.isascii() and not any(b"\n" in line for line in lines)
    assert max(len(line) for line in lines) <= 78
    assert not any(part.defects for part in mail.message.walk())
