"""A system administrator registers an organisation with its first administrator and responsible person.

The onboarding is itself the approval (by a system administrator): both
people are created at once, waiting for activation, and mailed their links.
An organisation is onboarded once: the same name again is refused, so its
administrator ID is issued only once.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy import update as update_rows

from webapp import clock
from webapp.applications.drafts import EMAIL_PATTERN
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth import credentials
from webapp.auth.models import ServerSession, User
from webapp.database import change_if
from webapp.extensions import db
from webapp.forms import about
from webapp.hours import service as hours
from webapp.mail import outbox
from webapp.mail.outbox import in_mail_language
from webapp.orgs import networks
from webapp.orgs import service as orgs
from webapp.orgs.errors import Invalid, NotFound
from webapp.orgs.models import Organisation
from webapp.orgs.regions import ONBOARDING_CATEGORIES, PREFECTURES, SUPPLY_AREAS


@dataclass
class OrganisationData:
    name: str
    category: str
    supply_area: str = ""
    prefecture: str = ""
    hours_profile: str = ""
    security_manager_name: str = ""
    security_manager_contact: str = ""
    allowed_networks: str = ""
    require_totp: bool = False


@dataclass
class Person:
    name: str
    department: str
    email: str
    emergency_phone: str = ""


def comparable_name(name: str) -> str:
    """Full-width, case and spacing variants of one name are the same organisation."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def _name_taken(name: str, except_id: int | None = None) -> bool:
    wanted = comparable_name(name)
    return any(comparable_name(other) == wanted
               for org_id, other in db.session.execute(select(Organisation.id, Organisation.name))
               if org_id != except_id)


def _area(data: OrganisationData) -> tuple[str, list[Any]]:
    if data.category == "grid":
        return (data.supply_area, []) if data.supply_area in SUPPLY_AREAS else (
            "", [about("supply_area", _l("Choose the supply area of a general transmission and distribution operator."))])
    if data.category == "municipality":
        return (data.prefecture, []) if data.prefecture in PREFECTURES else (
            "", [about("prefecture", _l("Choose the prefecture of a municipality or ministry."))])
    return "", []


def _check_organisation(data: OrganisationData, categories: tuple[str, ...], except_id: int | None) -> tuple[str, list[Any]]:
    problems: list[Any] = []
    if not data.name:
        problems.append(about("name", _l("Enter the organisation's name.")))
    elif _name_taken(data.name, except_id):
        problems.append(about("name", _l("An organisation with this name is already registered; "
                                         "an organisation is onboarded only once.")))
    if data.category not in categories:
        problems.append(about("category", _l("Choose the organisation's category.")))
    area, area_problems = _area(data)
    problems += area_problems
    if data.hours_profile and data.hours_profile not in hours.profile_names():
        problems.append(about("hours_profile", _l("Choose a calendar profile from the list.")))
    if not data.security_manager_name or not data.security_manager_contact:
        missing = tuple(name for name in ("security_manager_name", "security_manager_contact") if not getattr(data, name))
        problems.append(about(missing, _l("Enter the security manager's name and emergency contact.")))
    problems += [about("allowed_networks", problem) for problem in networks.parse(data.allowed_networks)[1]]
    return area, problems


def _check_person(person: Person, label: Any, needs_phone: bool, prefix: str) -> list[Any]:
    """`prefix`: of the form's inputs about this person (admin_name, responsible_email, ...)."""
    problems: list[Any] = []
    if not person.name:
        problems.append(about(f"{prefix}_name", _l("%(who)s: enter the full name.", who=label)))
    if not EMAIL_PATTERN.match(person.email or "") or len(person.email) > 254:
        problems.append(about(f"{prefix}_email", _l("%(who)s: enter a valid personal e-mail address.", who=label)))
    elif orgs.email_in_use(person.email):
        problems.append(about(f"{prefix}_email", _l("%(who)s: this e-mail address is already used by another "
                                                     "account.", who=label)))
    if needs_phone and not person.emergency_phone:
        problems.append(about(f"{prefix}_phone", _l("%(who)s: enter the emergency phone number.", who=label)))
    return problems


def onboard(actor: User, data: OrganisationData, admin: Person, responsible: Person, origin: Origin) -> Organisation:
    area, problems = _check_organisation(data, ONBOARDING_CATEGORIES, None)
    problems += _check_person(admin, _l("Administrator"), False, "admin")
    problems += _check_person(responsible, _l("Responsible person"), True, "responsible")
    if admin.email and admin.email.strip().lower() == responsible.email.strip().lower():
        problems.append(about(("admin_email", "responsible_email"), _l(
            "The administrator and the responsible person must be two people with their own addresses.")))
    if problems:
        raise Invalid(problems)
    organisation = orgs.create_organisation(
        data.name, data.category, area, hours_profile=data.hours_profile or None,
        security_manager_name=data.security_manager_name, security_manager_contact=data.security_manager_contact,
        allowed_networks=networks.parse(data.allowed_networks)[0], require_totp=data.require_totp)
    first_admin = orgs.create_user(organisation, name=admin.name, email=admin.email, roles="org_admin",
                                   department=admin.department)
    first_responsible = orgs.create_user(organisation, name=responsible.name, email=responsible.email,
                                         roles="responsible", department=responsible.department,
                                         emergency_phone=responsible.emergency_phone)
    audit.record("organisation.onboarded", origin=origin, actor_id=actor.id, organisation_id=organisation.id,
                 target=organisation.name, category=organisation.category, area=area,
                 administrator=first_admin.login_id, responsible=first_responsible.login_id)
    for person in (first_admin, first_responsible):
        audit.record("account.created", origin=origin, actor_id=actor.id, organisation_id=organisation.id,
                     target=person.login_id, roles=person.roles, onboarding=True)
        credentials.issue_activation(person, "activate", origin, actor.id)
    db.session.commit()
    return organisation


def get(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    return organisation


def update(actor: User, organisation_id: int, data: OrganisationData, origin: Origin) -> Organisation:
    organisation = get(organisation_id)
    # The operator's own organisation keeps its category; nobody else can become the operator.
    categories = ("operator",) if organisation.category == "operator" else ONBOARDING_CATEGORIES
    area, problems = _check_organisation(data, categories, organisation.id)
    if problems:
        raise Invalid(problems)
    changes = {}
    values = {"name": data.name, "category": data.category, "area": area, "hours_profile": data.hours_profile or None,
              "security_manager_name": data.security_manager_name,
              "security_manager_contact": data.security_manager_contact,
              "allowed_networks": networks.parse(data.allowed_networks)[0], "require_totp": data.require_totp}
    for key, value in values.items():
        if getattr(organisation, key) != value:
            changes[key] = [getattr(organisation, key), value]
            setattr(organisation, key, value)
    if changes:
        audit.record("organisation.updated", origin=origin, actor_id=actor.id, organisation_id=organisation.id,
                     target=organisation.name, changes=changes)
    db.session.commit()
    return organisation


def set_status(actor: User, organisation_id: int, status: str, reason: str, origin: Origin) -> int:
    """Suspend or resume a whole organisation; suspension ends every session of its users at once."""
    organisation = get(organisation_id)
    if status not in {"active", "suspended"}:
        raise Invalid(_l("Choose suspend or resume."))
    if organisation.category == "operator":
        raise Invalid(_l("The portal operator's own organisation cannot be suspended."))
    if status == "suspended" and not reason:
        raise Invalid(about("reason", _l("Give the reason for the suspension.")))
    # One statement decides: of two requests at once (PostgreSQL runs them side by side), the
    # second finds the state changed and says so instead of suspending and mailing again.
    if not change_if(db.session, organisation, Organisation.status != status, status=status):
        raise Invalid(_l("The organisation is already in this state."))
    ended = 0
    if status == "suspended":
        members = select(User.id).where(User.organisation_id == organisation.id)
        ended = db.session.execute(delete(ServerSession).where(ServerSession.user_id.in_(members))).rowcount or 0
    else:
        db.session.execute(update_rows(User).where(User.organisation_id == organisation.id)
                           .values(resumed_at=clock.now()))
    audit.record("organisation.suspended" if status == "suspended" else "organisation.resumed", origin=origin,
                 actor_id=actor.id, organisation_id=organisation.id, target=organisation.name,
                 reason=reason, ended_sessions=ended)
    _tell_organisation(organisation, reason)
    if status == "active":
        # A link mailed before the suspension went to a mailbox that may be why it was suspended.
        for person in db.session.scalars(select(User).where(User.organisation_id == organisation.id,
                                                            User.password_hash.is_(None))):
            credentials.renew_link(person, origin, actor.id)
    db.session.commit()
    return ended


@in_mail_language
def _tell_organisation(organisation: Organisation, reason: str) -> None:
    from flask_babel import gettext as _

    people = db.session.scalars(select(User).where(User.organisation_id == organisation.id,
                                                   User.status.in_(("active", "pending"))))
    subject = (_("Sekisho: use by your organisation has been suspended") if organisation.status == "suspended"
               else _("Sekisho: use by your organisation has been resumed"))
    for person in people:
        # Everyone hears why they cannot sign in; the reason is for those who govern the organisation.
        governs = person.has_role("responsible", "org_admin")
        outbox.enqueue(person.email, subject, "account_organisation_status",
                       reader=person, organisation=organisation, reason=reason if governs else "")
