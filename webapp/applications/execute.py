"""What an approval does to the account, inside the approval's transaction.

Each executor re-checks what may have changed since filing (an address taken
meanwhile, an account closed by another route) and raises Invalid, so the
caller rolls the whole approval back: all or nothing.
"""
from __future__ import annotations

from typing import Callable

from flask_babel import lazy_gettext as _l

from webapp import clock
from webapp.applications import notify
from webapp.applications.errors import AddressHeld, Invalid
from webapp.applications.models import Application
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth import credentials
from webapp.auth.models import User
from webapp.auth.sessions import end_all_sessions
from webapp.orgs import service as orgs

Executor = Callable[[Application, User, Origin], User]
# Taken since filing, or held by an account of another organisation all along (the system
# administrators were alerted at filing; the applicant was not told, see drafts.py). Said as it is
# to a system administrator, and when the holder is of the approver's own organisation.
_ADDRESS_HELD = _l("The e-mail address is used by another account, so this application cannot be approved as it "
                   "is: return it so that it can be corrected, or wait until the system administrators have "
                   "settled the address.")
# Otherwise: "used by another account" would tell the organisation that someone elsewhere has the
# address, which filing keeps from it (one person files addresses, another approves to test them).
_NEEDS_SYSADMIN_CHECK = _l("This application needs a system administrator's check before it can be approved; "
                           "the system administrators have been told. Return it so that it can be corrected, or "
                           "wait until they have checked it.")


def _record(kind: str, application: Application, actor: User, origin: Origin, user: User, **details: object) -> None:
    audit.record(kind, origin=origin, actor_id=actor.id, organisation_id=user.organisation_id,
                 target=user.login_id, application_id=application.id, **details)


def _address_held(actor: User, email: str, except_user_id: int | None = None) -> AddressHeld:
    holder = orgs.email_holder(email, except_user_id=except_user_id)
    withheld = holder is not None and holder.organisation_id != actor.organisation_id and not actor.is_sysadmin
    return AddressHeld(_NEEDS_SYSADMIN_CHECK if withheld else _ADDRESS_HELD, holder, withheld)


def _live_target(application: Application) -> User:
    user = application.target
    if user is None or user.status == "closed":
        raise Invalid(_l("The account concerned has been closed in the meantime; reject this application."))
    return user


def _add(application: Application, actor: User, origin: Origin) -> User:
    data = application.proposed
    try:
        user = orgs.create_user(application.organisation, name=data["name"], email=data["email"],
                                roles=" ".join(data["roles"]), department=data.get("department", ""),
                                emergency_phone=data.get("emergency_phone", ""), status="pending")
    except orgs.DuplicateEmail:
        raise _address_held(actor, data["email"]) from None
    application.target_user_id = user.id
    application.target = user
    _record("account.created", application, actor, origin, user, roles=user.roles)
    credentials.issue_activation(user, "activate", origin, actor.id)
    return user


def _change(application: Application, actor: User, origin: Origin) -> User:
    user = _live_target(application)
    data = application.proposed
    if "email" in data and orgs.email_in_use(data["email"], except_user_id=user.id):
        raise _address_held(actor, data["email"], except_user_id=user.id)
    old_email = user.email
    changed = {}
    for name in ("name", "department", "email", "emergency_phone"):
        if name in data:
            changed[name] = [getattr(user, name), data[name]]
            setattr(user, name, data[name])
    if "roles" in data:
        changed["roles"] = [user.roles, " ".join(data["roles"])]
        user.roles = " ".join(data["roles"])
    _record("account.changed", application, actor, origin, user, changes=changed)
    notify.account_changed(user, application, old_email)
    if "email" in data:
        credentials.renew_link(user, origin, actor.id)
    return user


def _remove(application: Application, actor: User, origin: Origin) -> User:
    user = _live_target(application)
    user.status = "closed"
    user.closed_at = clock.now()
    ended = end_all_sessions(user.id)
    _record("account.closed", application, actor, origin, user, ended_sessions=ended)
    notify.account_status(user, application)
    return user


def _suspend(application: Application, actor: User, origin: Origin) -> User:
    user = _live_target(application)
    user.status = "suspended"
    user.suspended_by = "organisation"
    ended = end_all_sessions(user.id)
    _record("account.suspended", application, actor, origin, user, ended_sessions=ended)
    notify.account_status(user, application)
    return user


def _resume(application: Application, actor: User, origin: Origin) -> User:
    user = _live_target(application)
    # Checked again at approval: the account may have been resumed meanwhile, and suspended
    # again by a system administrator, since the application was filed.
    if user.status != "suspended":
        raise Invalid(_l("The account is not suspended any more; reject this application."))
    if user.suspended_by in {"sysadmin", "detector"} and not actor.is_sysadmin:
        raise Invalid(_l("A system administrator or a detector suspended this account: only a system "
                         "administrator can approve its resumption."))
    # An account suspended before its first activation goes back to waiting for it.
    user.status = "active" if user.password_hash else "pending"
    user.resumed_at = clock.now()
    user.suspended_by = None
    _record("account.resumed", application, actor, origin, user)
    notify.account_status(user, application)
    credentials.renew_link(user, origin, actor.id)
    return user


def _unlock(application: Application, actor: User, origin: Origin) -> User:
    user = _live_target(application)
    user.locked_at = None
    user.failed_logins = 0
    _record("account.unlocked", application, actor, origin, user)
    notify.account_status(user, application)
    return user


def _reissue(application: Application, actor: User, origin: Origin) -> User:
    user = _live_target(application)
    if user.status not in {"active", "pending"}:
        raise Invalid(_l("A password can be reissued only for an active or not yet activated account."))
    ended = end_all_sessions(user.id)
    # The old password stops working now, not when the link is used: a reissue is also asked for
    # when it may be known to someone else (the sign-in says only what any failure says).
    revoked = user.password_hash is not None
    user.password_hash = None
    _record("account.password_reissued", application, actor, origin, user, ended_sessions=ended,
            old_password_revoked=revoked)
    credentials.issue_activation(user, "reissue", origin, actor.id)
    return user


EXECUTORS: dict[str, Executor] = {
    "add": _add, "change": _change, "remove": _remove, "suspend": _suspend,
    "resume": _resume, "unlock": _unlock, "reissue": _reissue,
}


def execute(application: Application, actor: User, origin: Origin) -> User:
    return EXECUTORS[application.kind](application, actor, origin)
