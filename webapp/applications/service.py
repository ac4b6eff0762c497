"""The application state machine: file, resubmit, withdraw, decide, expire.

Every transition is one transaction: the conditional state change, the
timeline row, the audit entry, the executed change and the mail. The state
change is `UPDATE ... WHERE state = <expected>`; only the caller whose UPDATE
touched the row goes on, so two approvers clicking together execute once.
"""
from __future__ import annotations

import json
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp import clock
from webapp.alerts import service as alerts
from webapp.applications import drafts, notify, policy
from webapp.applications.errors import AddressHeld, AddressTaken, AlreadyDecided, Forbidden, Invalid, NotFound
from webapp.applications.execute import execute
from webapp.applications.models import DECISIONS, OPEN_STATES, Application, ApplicationEvent
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth.models import User
from webapp.database import APPLICATIONS_LOCK, change_if, one_at_a_time
from webapp.extensions import db
from webapp.forms import about

MAX_REASON = 2000
# The same form sent again this soon by the same person is a double click or a reload, not a second request.
SAME_FORM_WITHIN = timedelta(seconds=60)


def _expiry() -> timedelta:
    return timedelta(days=current_app.config["PORTAL_APPLICATION_EXPIRY_DAYS"])


def visible(viewer: User, application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not policy.can_see(viewer, application):
        raise NotFound()
    return application


def _event(application: Application, actor: User | None, transition: str, from_state: str, reason: str = "") -> None:
    db.session.add(ApplicationEvent(application_id=application.id, at=clock.now(), actor_id=actor.id if actor else None,
                                    transition=transition, from_state=from_state, to_state=application.state,
                                    reason=reason))


def _audit(kind: str, application: Application, actor: User | None, origin: Origin, **details: object) -> None:
    target = application.target.login_id if application.target else application.subject_email
    audit.record(kind, origin=origin, actor_id=actor.id if actor else None,
                 organisation_id=application.organisation_id, target=target,
                 application_id=application.id, application_kind=application.kind, **details)


def _fill(application: Application, checked: drafts.Checked, applicant: User) -> None:
    now = clock.now()
    application.kind = checked.kind
    application.target_user_id = checked.target.id if checked.target else None
    application.target = checked.target
    application.payload = json.dumps(checked.payload, ensure_ascii=False)
    application.before = json.dumps(checked.before, ensure_ascii=False)
    application.subject_name = checked.subject_name
    application.subject_email = checked.subject_email
    application.natural_person = checked.natural_person
    application.note = checked.note
    application.requires_sysadmin = policy.needs_sysadmin(
        checked.kind, applicant.organisation_id, applicant.id, application.target_user_id,
        checked.before, checked.payload)
    application.submitted_at = now
    application.updated_at = now
    application.expires_at = now + _expiry()


def _checked(applicant: User, draft: drafts.Draft, origin: Origin,
             exclude_application: int | None = None) -> drafts.Checked:
    """drafts.check, with an address refused as taken recorded: who asked about which address."""
    try:
        return drafts.check(applicant, draft, exclude_application=exclude_application)
    except AddressTaken as taken:
        db.session.rollback()
        audit.record("application.address_refused", origin=origin, actor_id=applicant.id,
                     organisation_id=applicant.organisation_id, target=taken.email[:254],
                     application_kind=draft.kind)
        db.session.commit()
        raise


def _address_held_elsewhere(application: Application, checked: drafts.Checked, applicant: User,
                            origin: Origin) -> dict[str, bool]:
    """Alert the system administrators (only them: it names another organisation's person) when the
    proposed address belongs to an account of another organisation. The applicant is not told: that
    would make the form an oracle of who has an account where. The approval is refused until the
    address is free (execute.py), so someone who knows both organisations has to settle it."""
    holder = checked.address_held_by
    if holder is None:
        return {}
    alerts.raise_alert("application.address_held_elsewhere", alerts.in_both_languages(_l(
        "The address proposed by application No. %(id)d is held by %(holder)s (%(holder_organisation)s); filed by "
        "%(login_id)s of %(organisation)s. It cannot be approved until that is settled.",
        id=application.id, holder=holder.login_id, holder_organisation=holder.organisation.name,
        login_id=applicant.login_id, organisation=applicant.organisation.name)),
        user_id=applicant.id, origin=origin, each_time=True, quietly=True, application_id=application.id,
        holder=holder.login_id)
    return {"address_held_elsewhere": True}


def _approval_refused(application: Application, actor: User, held: AddressHeld, origin: Origin) -> None:
    """After the approval's rollback: an approval refused for a held address is recorded (being told
    whether an address is in use leaves a trace, as at filing). When the approver was not told why,
    the system administrators are alerted: the approver was told that they would check it, and an
    address taken after filing alerted nobody then."""
    holder = held.holder
    facts = {"holder": holder.login_id, "holder_organisation": holder.organisation.name,
             "holder_organisation_id": holder.organisation_id} if holder is not None else {}
    db.session.rollback()
    _audit("application.approval_refused", application, actor, origin, address_held_by=facts.get("holder"),
           holder_organisation_id=facts.get("holder_organisation_id"), reason_withheld=held.withheld)
    if held.withheld:
        alerts.raise_alert("application.address_held_elsewhere", alerts.in_both_languages(_l(
            "Application No. %(id)d could not be approved by %(login_id)s of %(organisation)s: its address is held "
            "by %(holder)s (%(holder_organisation)s). They were told only that a system administrator has to "
            "check it.", id=application.id, login_id=actor.login_id, organisation=actor.organisation.name,
            holder=facts["holder"], holder_organisation=facts["holder_organisation"])),
            user_id=actor.id, origin=origin, quietly=True, application_id=application.id, holder=facts["holder"])
    db.session.commit()


def submit(applicant: User, draft: drafts.Draft, origin: Origin) -> Application:
    """File an application for the applicant's own organisation."""
    one_at_a_time(db.session, APPLICATIONS_LOCK)  # the checks of what is pending must see the others
    if not policy.can_file(applicant):
        raise Forbidden(_l("Only an organisation's administrator can file applications."))
    same = _just_filed(applicant, draft)
    if same is not None:  # the second post would be refused as pending beside the first: it gets the first
        db.session.commit()
        return same
    checked = _checked(applicant, draft, origin)
    application = Application(organisation_id=applicant.organisation_id, applicant_id=applicant.id,
                              organisation=applicant.organisation, applicant=applicant,
                              state="submitted", created_at=clock.now())
    _fill(application, checked, applicant)
    db.session.add(application)
    db.session.flush()
    _event(application, applicant, "submitted", "", checked.note)
    _audit("application.submitted", application, applicant, origin, requires_sysadmin=application.requires_sysadmin,
           **_address_held_elsewhere(application, checked, applicant, origin))
    notify.approvers_asked(application)
    db.session.commit()
    return application


def _just_filed(applicant: User, draft: drafts.Draft) -> Application | None:
    """The application this applicant filed from the same form moments ago, still waiting."""
    recent = db.session.scalars(select(Application).where(
        Application.applicant_id == applicant.id, Application.kind == draft.kind, Application.state == "submitted",
        Application.created_at >= clock.now() - SAME_FORM_WITHIN).order_by(Application.id.desc()))
    return next((application for application in recent if drafts.asks_the_same(draft, application)), None)


def _transition(application: Application, expected: str | tuple[str, ...], **values: object) -> bool:
    """Move the row only if it is still in the expected state; False when someone else moved it first."""
    states = (expected,) if isinstance(expected, str) else expected
    if not change_if(db.session, application, Application.state.in_(states), updated_at=clock.now(), **values):
        db.session.rollback()
        return False
    return True


def resubmit(applicant: User, application_id: int, draft: drafts.Draft, origin: Origin) -> Application:
    """The applicant fixes a returned application and files it again."""
    one_at_a_time(db.session, APPLICATIONS_LOCK)
    application = visible(applicant, application_id)
    if not policy.can_resubmit(applicant, application):
        raise Forbidden(_l("Only the applicant can fix and resubmit a returned application."))
    _refuse_if_expired(application)
    draft.kind = application.kind
    checked = _checked(applicant, draft, origin, exclude_application=application.id)
    if not _transition(application, "returned", state="submitted"):
        raise AlreadyDecided(_l("This application is no longer returned; it cannot be resubmitted."))
    _fill(application, checked, applicant)
    _event(application, applicant, "resubmitted", "returned", checked.note)
    _audit("application.resubmitted", application, applicant, origin, requires_sysadmin=application.requires_sysadmin,
           **_address_held_elsewhere(application, checked, applicant, origin))
    notify.approvers_asked(application, resubmitted=True)
    db.session.commit()
    return application


def withdraw(applicant: User, application_id: int, origin: Origin, reason: str = "") -> Application:
    application = visible(applicant, application_id)
    if application.applicant_id != applicant.id:
        raise Forbidden(_l("Only the applicant can withdraw an application."))
    _refuse_if_expired(application)
    previous = application.state
    if previous not in OPEN_STATES or not _transition(application, OPEN_STATES, state="withdrawn"):
        raise AlreadyDecided(_l("This application has already been decided; it can no longer be withdrawn."))
    _event(application, applicant, "withdrawn", previous, reason)
    _audit("application.withdrawn", application, applicant, origin, reason=reason)
    if previous == "submitted":
        notify.approvers_told(application, reason)
    db.session.commit()
    return application


def _check_decision(actor: User, application: Application, decision: str, reason: str) -> None:
    if application.state != "submitted":
        raise AlreadyDecided(_l("This application has already been decided."))
    if not policy.can_decide(actor, application):
        if application.applicant_id == actor.id or application.target_user_id == actor.id:
            raise Forbidden(_l("You cannot decide an application that you filed or that concerns your own account."))
        if application.requires_sysadmin:
            raise Forbidden(_l("This application needs a system administrator's approval."))
        raise Forbidden(_l("You cannot decide this application."))
    if decision not in DECISIONS:
        raise Invalid(_l("Choose approve, return or reject."))
    if decision != "approve" and not reason:
        raise Invalid(about("reason", _l("Give the reason for returning or rejecting the application.")))
    if len(reason) > MAX_REASON:
        raise Invalid(about("reason", _l("Please enter at most %(n)d characters.", n=MAX_REASON)))


def _decided_so_just_now(actor: User, application: Application, decision: str, reason: str) -> bool:
    """This person made this very decision moments ago: the button pressed twice. Anyone else, or
    another decision, is still told that it has been decided."""
    return (application.state == DECISIONS.get(decision) and application.decided_by_id == actor.id
            and application.decision_reason == reason and application.decided_at is not None
            and application.decided_at >= clock.now() - SAME_FORM_WITHIN)


def decide(actor: User, application_id: int, decision: str, reason: str, origin: Origin) -> Application:
    """Approve (and execute), return or reject; exactly once however many approvers click.

    Applications are filed and decided one at a time (PostgreSQL runs requests side by side):
    two approvals of two applications for one address must not both find it free."""
    one_at_a_time(db.session, APPLICATIONS_LOCK)
    application = visible(actor, application_id)
    if _decided_so_just_now(actor, application, decision, reason):
        db.session.commit()
        return application
    _check_decision(actor, application, decision, reason)
    _refuse_if_expired(application)
    new_state = DECISIONS[decision]
    # A returned application gets a full period again for the applicant to fix it.
    extra = {"expires_at": clock.now() + _expiry()} if new_state == "returned" else {}
    if not _transition(application, "submitted", state=new_state, decided_by_id=actor.id,
                       decided_at=clock.now(), decision_reason=reason, **extra):
        if _decided_so_just_now(actor, application, decision, reason):  # both clicks read it still open
            return application
        raise AlreadyDecided(_l("This application has already been decided."))
    if new_state == "approved":
        try:
            execute(application, actor, origin)
        except AddressHeld as held:
            _approval_refused(application, actor, held, origin)
            raise
        except Invalid:
            db.session.rollback()
            raise
    _event(application, actor, new_state, "submitted", reason)
    _audit(f"application.{new_state}", application, actor, origin, reason=reason)
    notify.applicant_told(application, reason)
    # Whoever else was asked to decide learns that it is done (SPEC §4: the people concerned).
    notify.approvers_told(application, reason, except_id=actor.id)
    db.session.commit()
    return application


def expire_due() -> int:
    """Close applications left open past PORTAL_APPLICATION_EXPIRY_DAYS and tell their applicants."""
    now = clock.now()
    due = db.session.scalars(select(Application).where(
        Application.state.in_(OPEN_STATES), Application.expires_at <= now).order_by(Application.id)).all()
    expired = sum(_expire(application) for application in due)
    db.session.commit()
    return expired


def _expire(application: Application) -> bool:
    previous = application.state
    if not _transition(application, previous, state="expired"):
        return False
    _event(application, None, "expired", previous)
    _audit("application.expired", application, None, audit.SYSTEM, was=previous)
    notify.applicant_told(application)
    if previous == "submitted":
        notify.approvers_told(application)
    db.session.commit()
    return True


def _refuse_if_expired(application: Application) -> None:
    """Past its period an application is expired, whether or not the periodic job has run yet
    (it runs only under `portal serve`, or from cron)."""
    if application.state in OPEN_STATES and application.expires_at <= clock.now():
        _expire(application)
        raise AlreadyDecided(_l("This application has expired: it was not completed within its period. "
                                "File a new one if it is still needed."))
