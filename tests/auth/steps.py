"""What a person does on the sign-in pages, as small steps the stories below combine."""
from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, csrf_from
from webapp.audit.models import AuditEvent
from webapp.auth.models import User
from webapp.extensions import db

DEV_COOKIE = "sekisho_session"


def submit_password(client: FlaskClient, login_id: str, password: str = TEST_PASSWORD, **headers: str) -> Any:
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"login_id": login_id, "password": password, "csrf_token": token},
                       headers=headers or None)


def submit_code(client: FlaskClient, code: str) -> Any:
    page = client.get("/login/code")
    assert page.status_code == 200, f"no code page: {page.status_code} {page.headers.get('Location')}"
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_from(page.get_data(as_text=True))})


def resend(client: FlaskClient) -> Any:
    page = client.get("/login/code")
    return client.post("/login/code/resend", data={"csrf_token": csrf_from(page.get_data(as_text=True))})


def post_form(client: FlaskClient, path: str, data: dict[str, str], page_path: str | None = None) -> Any:
    """Open the page (for its CSRF token) and submit its form."""
    page = client.get(page_path or path)
    return client.post(path, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def login_error(response: Any) -> str:
    match = re.search(r'id="login-error">([^<]+)<', response.get_data(as_text=True))
    assert match, f"no error message on the page (status {response.status_code})"
    return match.group(1).strip()


def flashes(response: Any) -> list[str]:
    return [m.strip() for m in re.findall(r'class="flash flash-\w+"[^>]*>([^<]+)<', response.get_data(as_text=True))]


def session_cookie(client: FlaskClient, name: str = DEV_COOKIE) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def copy_session_cookie(source: FlaskClient, target: FlaskClient, name: str = DEV_COOKIE) -> None:
    value = session_cookie(source, name)
    assert value, "source has no session cookie"
    target.set_cookie(name, value)


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/dashboard")
    if response.status_code == 200:
        return True
    assert response.status_code == 303 and response.headers["Location"].startswith("/login"), response.status_code
    return False


def reload(user: User) -> User:
    """The row as the database has it now (requests ran in their own sessions)."""
    found = db.session.get(User, user.id, populate_existing=True)
    assert found is not None
    return found


def audit_events(*kinds: str) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if kinds:
        query = query.where(AuditEvent.kind.in_(kinds))
    return list(db.session.scalars(query))


def sign_in_with_code(client: FlaskClient, smtp: Any, user: User, password: str = TEST_PASSWORD) -> Any:
    response = submit_password(client, user.login_id, password)
    assert response.status_code == 303, response.status_code
    return submit_code(client, smtp.code_for(user.email))
