"""Setting a password: activation links, reissue, and the user's own change."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth import lookup, passwords, sessions
from webapp.auth.models import ActivationToken, PasswordHistory, User
from webapp.database import change_if
from webapp.extensions import db
from webapp.mail import outbox
from webapp.mail.links import portal_url


class PasswordRejected(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


class TokenInvalid(Exception):
    """Unknown, used or expired activation link."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def activation_url(token: str) -> str:
    return portal_url("auth.activate", token=token)


def issue_activation(user: User, purpose: str = "activate", origin: Origin = audit.SYSTEM,
                     actor_id: int | None = None, send_mail: bool = True) -> str:
    """Create a one-time link (72 h); older unused links of the user stop working."""
    now = clock.now()
    void_links(user)
    token = secrets.token_urlsafe(32)
    hours = current_app.config["PORTAL_ACTIVATION_LIFETIME_HOURS"]
    db.session.add(ActivationToken(
        token_hash=_token_hash(token), user_id=user.id, purpose=purpose,
        created_at=now, expires_at=now + timedelta(hours=hours),
    ))
    audit.record("account.activation_issued", origin=origin, actor_id=actor_id,
                 organisation_id=user.organisation_id, target=user.login_id, purpose=purpose)
    if send_mail:
        outbox.enqueue(user.email, _l("Set your Sekisho password"), "activation",
                       user=user, url=activation_url(token), hours=hours, purpose=purpose)
    return token


def void_links(user: User) -> None:
    now = clock.now()
    for old in db.session.scalars(
        select(ActivationToken).where(ActivationToken.user_id == user.id, ActivationToken.used_at.is_(None))
    ):
        old.used_at = now


def renew_link(user: User, origin: Origin, actor_id: int | None) -> None:
    """After a new address or a resumption, no older link works any more, and an account still
    without a password (never activated, or reissued) gets a fresh link at its current address:
    the old link went to a mailbox that may be wrong or in someone else's hands."""
    usable = user.status in ("pending", "active") and user.organisation.is_active
    if user.password_hash is None and usable:
        issue_activation(user, "reissue" if user.password_changed_at else "activate", origin, actor_id)
    else:  # nothing to set, or a link that could not be used now: the resumption sends one
        void_links(user)


def token_user(token: str) -> tuple[ActivationToken, User]:
    if not token or len(token) > 100:
        raise TokenInvalid()
    record = db.session.scalar(select(ActivationToken).where(ActivationToken.token_hash == _token_hash(token)))
    if record is None or record.used_at is not None or clock.now() >= record.expires_at:
        raise TokenInvalid()
    user = db.session.get(User, record.user_id)
    if user is None or user.status in {"suspended", "closed"} or not user.organisation.is_active:
        raise TokenInvalid()
    return record, user


def _check_new_password(user: User, password: str, confirm: str) -> None:
    messages: list[str] = []
    if passwords.normalise(password) != passwords.normalise(confirm):  # as hashed: full- and half-width alike
        messages.append(_("The two passwords do not match."))
    messages += [v.message for v in passwords.check_policy(
        password, login_id=user.login_id, organisation_name=user.organisation.name, name=user.name)]
    if not messages and _used_recently(user, password):
        messages.append(_("You used this password recently. Choose one you have not used for your last %(n)d passwords.",
                          n=current_app.config["PORTAL_PASSWORD_HISTORY"]))
    if messages:
        raise PasswordRejected(messages)


def _used_recently(user: User, password: str) -> bool:
    keep = current_app.config["PORTAL_PASSWORD_HISTORY"]
    hashes = db.session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.id.desc()).limit(keep)
    ).all()
    return any(passwords.verify_password(h, password) for h in hashes)


def _set_password(user: User, password: str) -> None:
    now = clock.now()
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.failed_logins = 0
    db.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    sessions.void_sign_ins_in_progress(user.id)


def activate(token: str, password: str, confirm: str, origin: Origin) -> User:
    record, user = token_user(token)
    _check_new_password(user, password, confirm)
    # Conditional: of two submissions of one link at once (a double click; on PostgreSQL both
    # read it unused), only one sets a password.
    if not change_if(db.session, record, ActivationToken.used_at.is_(None), used_at=clock.now()):
        raise TokenInvalid()
    _set_password(user, password)
    if user.status == "pending":
        user.status = "active"
    user.locked_at = None
    sessions.end_all_sessions(user.id)
    audit.record("account.activated" if record.purpose == "activate" else "account.password_reset",
                 origin=origin, actor_id=user.id, organisation_id=user.organisation_id, target=user.login_id)
    db.session.commit()
    return user


def confirm_current_password(user: User, password: str, origin: Origin, action: str) -> None:
    """Re-authentication before a sensitive change. Wrong answers count like failed sign-ins
    (a hijacked session must not become a password-guessing oracle)."""
    from webapp.auth import ratelimit, service

    if user.is_locked:
        raise PasswordRejected([_("Your account is locked. Ask your organisation's administrator to unlock it.")])
    if passwords.verify_password(user.password_hash, password):
        return
    service.count_failure(user, origin)
    audit.record("account.reauthentication_failed", origin=origin, actor_id=user.id,
                 organisation_id=user.organisation_id, action=action)
    ratelimit.note_failure(origin)
    db.session.commit()
    raise PasswordRejected([_("The current password is not correct.")])


# A form sent twice arrives within seconds; a minute leaves room for a slow connection.
SAME_CHANGE_WINDOW = timedelta(minutes=1)


def _changed_to_this_just_now(user: User, password: str) -> bool:
    """Whether the password was set to exactly this a moment ago. Only someone who knows the
    password now in force can get True, so it tells a guesser nothing; a wrong guess still goes
    on to the check of the current password and counts as a failure there."""
    changed_at = user.password_changed_at
    if changed_at is None or not user.password_hash or clock.now() - changed_at > SAME_CHANGE_WINDOW:
        return False
    return passwords.verify_password(user.password_hash, password)


def change_password(user: User, current: str, password: str, confirm: str, *, end_others: bool,
                    session_id: str | None, origin: Origin) -> int:
    """Returns how many other sessions were ended."""
    # One change of an account at a time, on what is stored now (not what this request read at
    # its start): the second of two forms sent at once sees the first one's password.
    lookup.lock_account(user.id)
    db.session.refresh(user)  # read after the lock: what the other form stored, if it came first
    if not user.is_locked and _changed_to_this_just_now(user, password):
        # The same form sent again (a double click, or back to tick "end the other sessions"):
        # the first one set the password; what this one asks beyond that is still done.
        if end_others:
            return sessions.end_sessions_but(user, session_id, origin)
        db.session.commit()
        return 0
    confirm_current_password(user, current, origin, "change_password")
    _check_new_password(user, password, confirm)
    _set_password(user, password)
    ended = (sessions.end_all_sessions(user.id, except_sid=session_id, note=sessions.ended_elsewhere_note(user.id))
             if end_others else 0)
    audit.record("account.password_changed", origin=origin, actor_id=user.id,
                 organisation_id=user.organisation_id, ended_sessions=ended)
    outbox.enqueue(user.email, _l("Your Sekisho password was changed"), "password_changed",
                   user=user, at=clock.now_jst(), ip=origin.ip)
    db.session.commit()
    return ended
