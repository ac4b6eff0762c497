"""Who may see, file and decide an application (four-eyes), and when the system administrator must.

Every rule here takes plain objects so that routes, services and tests share
one answer to "may this person do this to this application?".
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from webapp.applications.models import GOVERNING_ROLES, Application
from webapp.auth.models import User
from webapp.extensions import db


def can_file(user: User) -> bool:
    return user.has_role("org_admin") and user.status == "active"


def can_list(user: User) -> bool:
    return user.has_role("org_admin", "responsible", "sysadmin")


def can_see(user: User, application: Application) -> bool:
    """Objects of another organisation are invisible (the caller answers 404, not 403)."""
    if user.is_sysadmin:
        return True
    return user.has_role("org_admin", "responsible") and application.organisation_id == user.organisation_id


def _concerns_self(user: User, application: Application) -> bool:
    return application.applicant_id == user.id or application.target_user_id == user.id


def can_decide(user: User, application: Application) -> bool:
    """Four-eyes: never the applicant, never the person the application is about."""
    if application.state != "submitted" or _concerns_self(user, application):
        return False
    if user.is_sysadmin:
        return True
    return (
        user.has_role("responsible")
        and user.status == "active"
        and user.organisation_id == application.organisation_id
        and not application.requires_sysadmin
    )


def can_withdraw(user: User, application: Application) -> bool:
    return application.applicant_id == user.id and application.is_open


def can_resubmit(user: User, application: Application) -> bool:
    return application.applicant_id == user.id and application.state == "returned" and can_file(user)


def eligible_responsible(organisation_id: int, applicant_id: int, target_user_id: int | None) -> list[User]:
    """Active responsible people of the organisation who may decide this application."""
    people = db.session.scalars(
        select(User).where(User.organisation_id == organisation_id, User.status == "active")
    )
    return [
        u for u in people
        if u.has_role("responsible") and not u.is_locked and u.id not in {applicant_id, target_user_id}
    ]


def active_sysadmins() -> list[User]:
    return [u for u in db.session.scalars(select(User).where(User.status == "active")) if u.is_sysadmin]


def changes_governance(kind: str, before: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Does the application change who administers or approves for the organisation?"""
    old_roles = set(before.get("roles", []))
    if kind == "add":
        return bool(GOVERNING_ROLES & set(payload.get("roles", [])))
    if kind == "change":
        new_roles = set(payload.get("roles", old_roles))
        # A governing person's new address receives their sign-in codes and reissue links: the
        # account changes hands as surely as with the role.
        new_address = "email" in payload and bool(GOVERNING_ROLES & old_roles)
        return bool(GOVERNING_ROLES & (old_roles ^ new_roles)) or new_address
    if kind in {"remove", "suspend", "resume"}:
        return bool(GOVERNING_ROLES & old_roles)
    return False


def needs_sysadmin(kind: str, organisation_id: int, applicant_id: int, target_user_id: int | None,
                   before: dict[str, Any], payload: dict[str, Any]) -> bool:
    if changes_governance(kind, before, payload):
        return True
    if kind == "resume" and target_user_id is not None:
        # What a system administrator or a detector stopped, the organisation does not lift alone:
        # the incident may be the organisation's own misuse.
        target = db.session.get(User, target_user_id)
        if target is not None and target.suspended_by in {"sysadmin", "detector"}:
            return True
    return not eligible_responsible(organisation_id, applicant_id, target_user_id)


def approvers_of(application: Application) -> list[User]:
    """Who is asked to decide (and told when it is withdrawn)."""
    if application.requires_sysadmin:
        people = active_sysadmins()
    else:
        people = eligible_responsible(application.organisation_id, application.applicant_id,
                                      application.target_user_id)
    return [u for u in people if u.id not in {application.applicant_id, application.target_user_id}]
