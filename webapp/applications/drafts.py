"""Turning what the administrator filled in into a checked application: payload, before-snapshot, target.

Nothing here writes. Every refusal is an Invalid with a message that says
what to fix; a target outside the applicant's organisation reads exactly like
an unknown ID, so a forged login ID learns nothing. Likewise an address held by
an account of another organisation is not refused here (that would tell an
administrator who has an account elsewhere): the application is filed, the
system administrators are alerted, and the approval waits until they settle it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webapp.applications.errors import AddressTaken, Invalid, UnknownTarget
from webapp.applications.models import GRANTABLE_ROLES, KINDS, OPEN_STATES, Application
from webapp.auth.models import User
from webapp.auth.service import normalise_login_id
from webapp.extensions import db
from webapp.forms import about
from webapp.orgs.service import email_holder

# ASCII only: the mail relay is spoken to in plain SMTP (no SMTPUTF8), so 「ｔａｒｏ@…」 or a
# Japanese domain could never be delivered; refused where it is typed instead.
EMAIL_PATTERN = re.compile(r"^[!-?A-~]+@[!-?A-~]+\.[!-?A-~]+$", re.ASCII)
# Which account states each kind can act on.
TARGET_STATES = {
    "change": {"pending", "active", "suspended"},
    "remove": {"pending", "active", "suspended"},
    "suspend": {"active", "pending"},
    "resume": {"suspended"},
    "unlock": {"active", "pending", "suspended"},
    "reissue": {"active", "pending"},
}
PROFILE_FIELDS = ("name", "department", "email", "emergency_phone")
# SPEC §1: a responsible person is registered with an emergency phone number.
_NEEDS_PHONE = about("emergency_phone", _l(
    "A responsible person needs an emergency phone number: enter it in the application."))


@dataclass
class Draft:
    """The form's values, already stripped; empty strings mean "not given"."""

    kind: str
    target: str = ""
    name: str = ""
    department: str = ""
    email: str = ""
    emergency_phone: str = ""
    roles: list[str] = field(default_factory=list)
    natural_person: bool = False
    note: str = ""


@dataclass
class Checked:
    kind: str
    target: User | None
    payload: dict[str, Any]
    before: dict[str, Any]
    subject_name: str
    subject_email: str
    natural_person: bool
    note: str
    # The open account of another organisation that already holds the proposed address.
    address_held_by: User | None = None


def snapshot(user: User) -> dict[str, Any]:
    return {
        "login_id": user.login_id,
        "name": user.name,
        "department": user.department,
        "email": user.email,
        "emergency_phone": user.emergency_phone,
        "roles": ordered_roles(user.role_set),
        "status": user.status,
        "locked": user.is_locked,
    }


def ordered_roles(roles: Any) -> list[str]:
    wanted = set(roles)
    return [r for r in ("sysadmin", *GRANTABLE_ROLES) if r in wanted]


def _target_in_organisation(applicant: User, login_id: str) -> User:
    normalised = normalise_login_id(login_id or "")
    user = None
    if normalised and len(normalised) <= 40:
        user = db.session.scalar(select(User).where(
            User.login_id == normalised, User.organisation_id == applicant.organisation_id))
    if user is None:
        raise UnknownTarget(about("target", _l("There is no user with this user ID in your organisation.")),
                            login_id[:40])
    if user.is_sysadmin:
        raise Invalid(about("target", _l("System administrator accounts are managed by the portal operator.")))
    return user


def _check_roles(roles: list[str]) -> list[str]:
    unknown = [r for r in roles if r not in GRANTABLE_ROLES]
    if unknown:
        raise Invalid(about("role", _l("Choose roles from the list only.")))
    return ordered_roles(roles)


def _check_email(email: str) -> list[Any]:
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        return [about("email", _l("Enter a valid personal e-mail address."))]
    return []


def _check_address_free(email: str, organisation_id: int, except_user_id: int | None,
                        exclude_application: int | None) -> User | None:
    """Last of the checks, once everything else is right (see AddressTaken). Returns the account of
    another organisation holding the address, which is not refused (see the module's docstring). A
    pending application of another organisation does not hold the address: whoever is approved
    first gets it, and the other approval is refused then (execute.py), so no organisation can
    reserve another's people."""
    holder = email_holder(email, except_user_id=except_user_id)
    if holder is not None and holder.organisation_id == organisation_id:
        raise AddressTaken(about("email", _l("This e-mail address is already used by another account.")), email)
    pending = select(Application.id).where(
        Application.organisation_id == organisation_id,
        Application.state.in_(OPEN_STATES), func.lower(Application.subject_email) == email.lower(),
        Application.kind.in_(("add", "change")),
    )
    if exclude_application is not None:
        pending = pending.where(Application.id != exclude_application)
    if except_user_id is not None:
        pending = pending.where((Application.target_user_id.is_(None)) | (Application.target_user_id != except_user_id))
    if db.session.scalar(pending.limit(1)) is not None:
        raise AddressTaken(about("email", _l("Another pending application already uses this e-mail address.")), email)
    return holder


def _pending_for(target: User, exclude_application: int | None) -> int | None:
    query = select(Application.id).where(Application.target_user_id == target.id,
                                         Application.state.in_(OPEN_STATES))
    if exclude_application is not None:
        query = query.where(Application.id != exclude_application)
    return db.session.scalar(query.limit(1))


def _check_add(draft: Draft, organisation_id: int, exclude_application: int | None) -> Checked:
    problems: list[Any] = []
    if not draft.name:
        problems.append(about("name", _l("Enter the user's full name.")))
    if not draft.email:
        problems.append(about("email", _l("Enter the user's personal e-mail address.")))
    else:
        problems += _check_email(draft.email)
    if not draft.roles:
        problems.append(about("role", _l("Choose at least one role.")))
    elif "responsible" in draft.roles and not draft.emergency_phone:
        problems.append(_NEEDS_PHONE)
    if not draft.natural_person:
        problems.append(about("natural_person", _l(
            "Confirm that the user is a natural person with a personal e-mail address "
            "(shared or group mailboxes cannot hold an account).")))
    if problems:
        raise Invalid(problems)
    holder = _check_address_free(draft.email, organisation_id, None, exclude_application)
    payload = {"name": draft.name, "department": draft.department, "email": draft.email,
               "emergency_phone": draft.emergency_phone, "roles": _check_roles(draft.roles)}
    return Checked("add", None, payload, {}, draft.name, draft.email, True, draft.note, holder)


def _changes(draft: Draft, before: dict[str, Any]) -> dict[str, Any]:
    """What a change sets: the values given that differ from the account's (`before`)."""
    payload: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        value = getattr(draft, name)
        if value and value != before[name]:
            payload[name] = value
    if draft.roles and _check_roles(draft.roles) != [r for r in before["roles"] if r != "sysadmin"]:
        payload["roles"] = _check_roles(draft.roles)
    return payload


def _change_payload(draft: Draft, target: User, exclude_application: int | None) -> tuple[dict[str, Any], User | None]:
    """What the change sets, and the account of another organisation holding the new address."""
    before = snapshot(target)
    payload = _changes(draft, before)
    if not payload:
        raise Invalid(_l("The application changes nothing: enter at least one new value."))
    if "responsible" in payload.get("roles", []) and not payload.get("emergency_phone", before["emergency_phone"]):
        raise Invalid(_NEEDS_PHONE)
    if "email" in payload:
        problems = _check_email(payload["email"])
        if not draft.natural_person:  # a new address registers the person anew (SPEC §1)
            problems.append(about("natural_person", _l(
                "Confirm that the new address is the user's own personal one "
                "(shared or group mailboxes cannot hold an account).")))
        if problems:
            raise Invalid(problems)
        return payload, _check_address_free(payload["email"], target.organisation_id, target.id, exclude_application)
    return payload, None


def check(applicant: User, draft: Draft, exclude_application: int | None = None) -> Checked:
    """Validate a draft for the applicant's own organisation; raise Invalid with every problem found."""
    if draft.kind not in KINDS:
        raise Invalid(about("kind", _l("Choose the kind of application.")))
    if draft.kind == "add":
        return _check_add(draft, applicant.organisation_id, exclude_application)
    if not draft.target:
        raise Invalid(about("target", _l("Enter the user ID of the user concerned.")))
    target = _target_in_organisation(applicant, draft.target)
    if target.status not in TARGET_STATES[draft.kind]:
        raise Invalid(about("target", _not_applicable(draft.kind)))
    if draft.kind == "unlock" and not target.is_locked:
        raise Invalid(about("target", _l("This account is not locked.")))
    pending = _pending_for(target, exclude_application)
    if pending is not None:
        raise Invalid(about("target", _l("An application for this user is already pending (No. %(id)d). "
                                         "Wait for its decision or withdraw it first.", id=pending)))
    payload, holder = _change_payload(draft, target, exclude_application) if draft.kind == "change" else ({}, None)
    return Checked(draft.kind, target, payload, snapshot(target), target.name,
                   payload.get("email", ""), "email" in payload and draft.natural_person, draft.note, holder)


def asks_the_same(draft: Draft, application: Application) -> bool:
    """Whether filing the draft would ask for what the application already asks: the same kind,
    person concerned, values and note (the form sent twice)."""
    if draft.kind != application.kind or draft.note != application.note:
        return False
    try:
        if draft.kind == "add":
            wanted = {"name": draft.name, "department": draft.department, "email": draft.email,
                      "emergency_phone": draft.emergency_phone, "roles": _check_roles(draft.roles)}
            return application.proposed == wanted and draft.natural_person == application.natural_person
        if application.target is None or normalise_login_id(draft.target) != application.target.login_id:
            return False
        if draft.kind != "change":
            return True
        changes = _changes(draft, application.snapshot)
    except Invalid:
        return False
    return application.proposed == changes and application.natural_person == (
        "email" in changes and draft.natural_person)


def _not_applicable(kind: str) -> Any:
    return {
        "change": _l("A closed account cannot be changed."),
        "remove": _l("This account is already closed."),
        "suspend": _l("Only an active account can be suspended."),
        "resume": _l("Only a suspended account can be resumed."),
        "unlock": _l("A closed account cannot be unlocked."),
        "reissue": _l("A password can be reissued only for an active or not yet activated account."),
    }[kind]
