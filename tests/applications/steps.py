"""Steps the application stories share: filing, deciding, reading pages, the audit log and the database."""
from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import csrf_from
from webapp.applications.models import Application
from webapp.audit.models import AuditEvent
from webapp.auth.models import User
from webapp.extensions import db


def token(client: FlaskClient) -> str:
    return csrf_from(client.get("/dashboard").get_data(as_text=True))


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    payload = dict(data or {})
    payload.setdefault("csrf_token", token(client))
    return client.post(path, data=payload, **kwargs)


def file(client: FlaskClient, **fields: Any) -> Any:
    """POST /applications/new with the SPEC §10 field names (role may be a list)."""
    return post(client, "/applications/new", fields)


def filed_id(response: Any) -> int:
    assert response.status_code == 303, text_of(response)[:1500]
    match = re.search(r"/applications/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def decide(client: FlaskClient, application_id: int, decision: str, reason: str = "", **kwargs: Any) -> Any:
    return post(client, f"/applications/{application_id}", {"decision": decision, "reason": reason}, **kwargs)


def text_of(response: Any) -> str:
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(body))


def reading() -> Session:
    """A short-lived session of its own: what the database holds now, without touching the
    shared session whose objects (the world's people) the test keeps using."""
    db.session.rollback()  # never hold SQLite's write lock from the test thread
    return Session(db.engine, expire_on_commit=False)


def _one(query: Any) -> Any:
    with reading() as session:
        return session.scalar(query)


def application(application_id: int) -> Application:
    return _one(select(Application).where(Application.id == application_id))


def user_by_email(email: str) -> User | None:
    return _one(select(User).where(func.lower(User.email) == email.lower(), User.status != "closed"))


def user(login_id: str) -> User:
    return _one(select(User).where(User.login_id == login_id))


def update_user(login_id: str, **values: Any) -> User:
    with reading() as session:
        person = session.scalar(select(User).where(User.login_id == login_id))
        for key, value in values.items():
            setattr(person, key, value)
        session.commit()
        return person


def audit_entries(kind: str, **details: Any) -> list[AuditEvent]:
    import json

    with reading() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)).all()
    return [r for r in rows if all(json.loads(r.details).get(k) == v for k, v in details.items())]


def count_applications() -> int:
    return _one(select(func.count()).select_from(Application)) or 0


def add_user_fields(email: str = "new.person@test.example", **overrides: Any) -> dict[str, Any]:
    fields = {"kind": "add", "name": "新規 太郎", "department": "託送業務部", "email": email,
              "role": ["operator"], "natural_person": "y"}
    fields.update(overrides)
    return fields


def timeline(application_id: int) -> list[str]:
    from webapp.applications.models import ApplicationEvent

    with reading() as session:
        return [e.transition for e in session.scalars(select(ApplicationEvent).where(
            ApplicationEvent.application_id == application_id).order_by(ApplicationEvent.id))]


def activate_from_mail(client: FlaskClient, smtp: Any, email: str, password: str) -> Any:
    """Open the activation link the real mail carried and set a password."""
    from urllib.parse import urlsplit

    path = urlsplit(smtp.link_for(email)).path
    page = client.get(path)
    assert page.status_code == 200, text_of(page)[:500]
    return client.post(path, data={"password": password, "password_confirm": password,
                                   "csrf_token": csrf_from(page.get_data(as_text=True))})


def errors_of(response: Any) -> str:
    """The error box a person reads above the form (not the layout's empty htmx error region)."""
    match = re.search(r'<div(?![^>]*id="htmx-error")[^>]*role="alert"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S)
    assert match, f"no error box (status {response.status_code})"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()
