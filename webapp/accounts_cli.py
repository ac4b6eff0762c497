"""Bootstrap of the first system administrator from the command line."""
from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from webapp.applications.drafts import EMAIL_PATTERN
from webapp.audit import service as audit
from webapp.auth import credentials
from webapp.auth.models import User
from webapp.auth.service import normalise_login_id
from webapp.extensions import db
from webapp.forms import text_problem
from webapp.orgs import service as orgs


NAME_MAX_LENGTH = 200  # as the application form's name


def create_sysadmin(login_id: str, name: str, email: str) -> str:
    normalised = normalise_login_id(login_id)
    if not normalised or len(normalised) > 40 or not normalised.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValueError("login ID must be 1-40 letters, digits, '-', '_' or '.'")
    name = name.strip()
    if not name:
        raise ValueError("the person's full name is required (--name)")
    problem = text_problem(name, NAME_MAX_LENGTH, markup=False)
    if problem is not None:
        with force_locale("en"):
            raise ValueError(f"--name: {problem}")
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise ValueError("a personal e-mail address (ASCII letters, like name@example.jp) is required")
    if db.session.scalar(select(User.id).where(User.login_id == normalised)) is not None:
        raise ValueError(f"login ID {normalised} is already taken")
    if orgs.email_in_use(email):
        raise ValueError(f"{email} is already the address of another open account: each person has their own")
    user = orgs.create_user(orgs.operator_organisation(), name=name, email=email, roles="sysadmin")
    user.login_id = normalised
    token = credentials.issue_activation(user, send_mail=False)
    audit.record("account.sysadmin_created", target=normalised, organisation_id=user.organisation_id)
    db.session.commit()
    return credentials.activation_url(token)
