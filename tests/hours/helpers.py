"""Small steps the business-hours stories share."""
from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, csrf_from
from webapp.audit.models import AuditEvent
from webapp.extensions import db


def audit_kinds(kind: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def text_of(response: Any) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(body))


def element(response: Any, pattern: str) -> str:
    """Inner text of the first element whose opening tag matches ``pattern`` (a regex on attributes)."""
    match = re.search(r"<(\w+)[^>]*" + pattern + r"[^>]*>(.*?)</\1>", response.get_data(as_text=True), re.S)
    assert match, f"no element matching {pattern!r} (status {response.status_code})"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(2)))).strip()


def submit_password(client: FlaskClient, login_id: str, password: str = TEST_PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"login_id": login_id, "password": password,
                                       "csrf_token": csrf_from(page.get_data(as_text=True))})


def post_form(client: FlaskClient, path: str, data: dict[str, str], page_path: str) -> Any:
    """Open the page for its CSRF token, then submit the form as the browser would."""
    page = client.get(page_path)
    assert page.status_code == 200, f"{page_path}: {page.status_code}"
    return client.post(path, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})
