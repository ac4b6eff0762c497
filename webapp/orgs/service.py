"""Creating organisations and their people (the approval flows call these)."""
from __future__ import annotations

from sqlalchemy import func, select

from webapp import clock
from webapp.auth.models import User
from webapp.auth.service import issue_login_id
from webapp.extensions import db
from webapp.orgs.models import CATEGORIES, Organisation

OPERATOR_ORGANISATION = "Sekisho 運営事務局"


class DuplicateEmail(ValueError):
    """Another open account already uses this address."""


def create_organisation(name: str, category: str, area: str = "", **attributes: object) -> Organisation:
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    organisation = Organisation(name=name, category=category, area=area, created_at=clock.now(), **attributes)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def operator_organisation() -> Organisation:
    """The portal operator's own organisation, home of the system administrators."""
    existing = db.session.scalar(select(Organisation).where(Organisation.category == "operator"))
    return existing or create_organisation(OPERATOR_ORGANISATION, "operator")


def email_holder(email: str, except_user_id: int | None = None) -> User | None:
    """The open account (any organisation) that holds the address: one account per person."""
    query = select(User).where(func.lower(User.email) == email.strip().lower(), User.status != "closed")
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return db.session.scalars(query.limit(1)).first()


def email_in_use(email: str, except_user_id: int | None = None) -> bool:
    return email_holder(email, except_user_id) is not None


def create_user(organisation: Organisation, *, name: str, email: str, roles: str = "operator",
                department: str = "", emergency_phone: str = "", status: str = "pending") -> User:
    if email_in_use(email):
        raise DuplicateEmail(email)
    user = User(
        login_id=issue_login_id(),
        organisation_id=organisation.id,
        name=name,
        email=email.strip(),
        roles=roles,
        department=department,
        emergency_phone=emergency_phone,
        status=status,
        hours_exempt="sysadmin" in roles.split(),
        created_at=clock.now(),
    )
    user.organisation = organisation
    db.session.add(user)
    db.session.flush()
    return user
