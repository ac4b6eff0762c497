"""Sign-in steps: password, then a one-time code (mail or authenticator app).

Every refusal raises LoginRefused with one generic message, whatever the cause,
so that the page never tells an attacker which IDs exist or are locked.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth import passwords
from webapp.auth.models import PendingLogin, RateEvent, User
from webapp.extensions import db
from webapp.mail import outbox

LOGIN_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class LoginRefused(Exception):
    """Wrong ID, wrong password, locked, suspended: the same answer for all."""


class TooManyAttempts(Exception):
    """This address failed too often; it must wait."""


class CodeRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # wrong | expired | exhausted | missing


class ResendTooSoon(Exception):
    def __init__(self, seconds_left: int) -> None:
        super().__init__(seconds_left)
        self.seconds_left = seconds_left


@dataclass(frozen=True)
class PendingStep:
    pending_id: int
    method: str
    mail_id: int | None


def normalise_login_id(text: str) -> str:
    """Full-width IME input and any case give the same ID."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def issue_login_id() -> str:
    """System-issued, never the e-mail address; unambiguous characters only."""
    while True:
        candidate = "u" + "".join(secrets.choice(LOGIN_ID_ALPHABET) for _ in range(7))
        if db.session.scalar(select(User.id).where(User.login_id == candidate)) is None:
            return candidate


def find_user(login_id: str) -> User | None:
    normalised = normalise_login_id(login_id)
    if not normalised or len(normalised) > 40:
        return None
    return db.session.scalar(select(User).where(User.login_id == normalised))


def _code_hash(pending_id: int, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{pending_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _count_recent(key: str, window_seconds: int) -> int:
    since = clock.now() - timedelta(seconds=window_seconds)
    return db.session.scalar(select(func.count()).where(RateEvent.key == key, RateEvent.at >= since)) or 0


def _ip_key(origin: Origin) -> str:
    return f"login-failure:{origin.ip}"


def check_ip_allowed(origin: Origin) -> None:
    c = current_app.config
    if _count_recent(_ip_key(origin), c["PORTAL_IP_FAILURE_WINDOW_SECONDS"]) >= c["PORTAL_IP_FAILURE_LIMIT"]:
        audit.record("login.rate_limited", origin=origin)
        db.session.commit()
        raise TooManyAttempts()


def _note_ip_failure(origin: Origin) -> None:
    db.session.add(RateEvent(key=_ip_key(origin), at=clock.now()))


def responsible_people(organisation_id: int) -> list[User]:
    return [
        u for u in db.session.scalars(
            select(User).where(User.organisation_id == organisation_id, User.status == "active")
        )
        if u.has_role("responsible")
    ]


def _lock(user: User, origin: Origin) -> None:
    user.locked_at = clock.now()
    audit.record("account.locked", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 target=user.login_id, failures=user.failed_logins)
    outbox.enqueue(user.email, _("Your Sekisho account has been locked"), "account_locked",
                   user=user, recipient=user, at=clock.now_jst(), ip=origin.ip)
    for person in responsible_people(user.organisation_id):
        if person.id != user.id:
            outbox.enqueue(person.email, _("A user of your organisation has been locked out"), "account_locked",
                           user=user, recipient=person, at=clock.now_jst(), ip=origin.ip)


def _refuse(reason: str, origin: Origin, user: User | None, attempted: str) -> LoginRefused:
    _note_ip_failure(origin)
    audit.record(
        "login.failed", origin=origin,
        actor_id=user.id if user else None,
        organisation_id=user.organisation_id if user else None,
        target=attempted[:40], reason=reason,
    )
    db.session.commit()
    return LoginRefused()


def check_password(login_id: str, password: str, origin: Origin) -> User:
    """The password step. Returns the user, or raises LoginRefused / TooManyAttempts."""
    check_ip_allowed(origin)
    user = find_user(login_id)
    attempted = normalise_login_id(login_id)
    if user is None:
        passwords.burn_verification_time(password)
        raise _refuse("unknown_id", origin, None, attempted)
    password_ok = passwords.verify_password(user.password_hash, password)
    if not user.can_sign_in:
        reason = "locked" if user.is_locked else f"status_{user.status}"
        if not user.organisation.is_active:
            reason = "organisation_suspended"
        raise _refuse(reason, origin, user, attempted)
    if not password_ok:
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["PORTAL_LOCKOUT_THRESHOLD"]:
            _lock(user, origin)
        raise _refuse("wrong_password", origin, user, attempted)
    return user


def second_factor_method(user: User) -> str:
    if user.totp_secret and (user.mfa_method == "totp" or user.organisation.require_totp):
        return "totp"
    return "email"


def start_pending_login(user: User, session_id: str, origin: Origin) -> PendingStep:
    """Password accepted: void older pending logins of this browser and send a fresh code."""
    now = clock.now()
    user.failed_logins = 0
    db.session.execute(
        update(PendingLogin)
        .where(PendingLogin.session_id == session_id, PendingLogin.voided_at.is_(None),
               PendingLogin.consumed_at.is_(None))
        .values(voided_at=now)
    )
    method = second_factor_method(user)
    pending = PendingLogin(
        session_id=session_id, user_id=user.id, method=method, created_at=now, ip=origin.ip[:64],
        expires_at=now + timedelta(seconds=current_app.config["PORTAL_CODE_LIFETIME_SECONDS"]),
    )
    db.session.add(pending)
    db.session.flush()
    audit.record("login.password_ok", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 method=method)
    mail_id = _send_code(pending, user, origin) if method == "email" else None
    db.session.commit()
    return PendingStep(pending.id, method, mail_id)


def _send_code(pending: PendingLogin, user: User, origin: Origin) -> int:
    code = pyotp.HOTP(pyotp.random_base32()).at(0)
    now = clock.now()
    pending.code_hash = _code_hash(pending.id, code)
    pending.code_sent_at = now
    pending.expires_at = now + timedelta(seconds=current_app.config["PORTAL_CODE_LIFETIME_SECONDS"])
    minutes = current_app.config["PORTAL_CODE_LIFETIME_SECONDS"] // 60
    item = outbox.enqueue(
        user.email, _("Sekisho one-time code"), "login_code",
        user=user, code=code, at=clock.now_jst(), ip=origin.ip, minutes=minutes,
    )
    audit.record("login.code_sent", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 mail_id=item.id)
    return item.id


def pending_for(pending_id: int | None, session_id: str | None) -> PendingLogin | None:
    """The pending login of this browser only: a code requested elsewhere does not work here."""
    if not pending_id or not session_id:
        return None
    pending = db.session.get(PendingLogin, pending_id)
    if pending is None or not hmac.compare_digest(pending.session_id, session_id):
        return None
    if pending.voided_at or pending.consumed_at:
        return None
    return pending


def resend_code(pending_id: int | None, session_id: str | None, origin: Origin) -> int:
    pending = pending_for(pending_id, session_id)
    if pending is None or pending.method != "email":
        raise CodeRefused("missing")
    wait = current_app.config["PORTAL_CODE_RESEND_SECONDS"]
    elapsed = (clock.now() - pending.code_sent_at).total_seconds() if pending.code_sent_at else wait
    if elapsed < wait:
        raise ResendTooSoon(int(wait - elapsed) + 1)
    user = db.session.get(User, pending.user_id)
    assert user is not None
    mail_id = _send_code(pending, user, origin)
    db.session.commit()
    return mail_id


def _totp_matches(user: User, code: str) -> bool:
    if not user.totp_secret:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = clock.now()
    for drift in (-1, 0, 1):
        counter = totp.timecode(now) + drift
        if counter > user.totp_last_counter and hmac.compare_digest(totp.generate_otp(counter), code):
            user.totp_last_counter = counter  # a code is good once, even inside its 30 s window
            return True
    return False


def verify_code(pending_id: int | None, session_id: str | None, code: str, origin: Origin) -> User:
    """The second step. Returns the user on success; wrong codes count towards voiding."""
    pending = pending_for(pending_id, session_id)
    if pending is None:
        raise CodeRefused("missing")
    user = db.session.get(User, pending.user_id)
    assert user is not None
    now = clock.now()
    if now >= pending.expires_at:
        pending.voided_at = now
        audit.record("login.code_expired", origin=origin, actor_id=user.id, organisation_id=user.organisation_id)
        db.session.commit()
        raise CodeRefused("expired")
    code = unicodedata.normalize("NFKC", code).strip().replace(" ", "")
    if pending.method == "totp":
        ok = code.isdigit() and len(code) == 6 and _totp_matches(user, code)
    else:
        ok = code.isdigit() and len(code) == 6 and pending.code_hash is not None and hmac.compare_digest(
            pending.code_hash, _code_hash(pending.id, code))
    if not ok or not user.can_sign_in:
        pending.attempts += 1
        exhausted = pending.attempts >= current_app.config["PORTAL_CODE_MAX_ATTEMPTS"]
        if exhausted:
            pending.voided_at = now
        audit.record("login.code_failed", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                     attempts=pending.attempts, voided=exhausted)
        db.session.commit()
        raise CodeRefused("exhausted" if exhausted else "wrong")
    pending.consumed_at = now
    user.last_login_at = now
    user.failed_logins = 0
    return user


def password_expired(user: User) -> bool:
    max_age = current_app.config["PORTAL_PASSWORD_MAX_AGE_DAYS"]
    if not max_age or user.password_changed_at is None:
        return False
    return clock.now() - user.password_changed_at >= timedelta(days=max_age)
