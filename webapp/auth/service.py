"""Sign-in steps: password, then a one-time code (mail or authenticator app).

Every refusal of the password step raises LoginRefused, whatever the cause, so
the page never tells an attacker which IDs exist, are locked or suspended; each
of those paths spends one argon2 verification so their timing matches too.
Counters that stop guessing (failed sign-ins, code attempts, the used TOTP
step) change through conditional UPDATEs, so parallel requests cannot slip
past a limit on PostgreSQL either.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

import pyotp
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm.attributes import set_committed_value

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth import hooks, lookup, passwords, ratelimit, sessions
from webapp.auth.models import PendingLogin, User
from webapp.auth.ratelimit import TooManyAttempts  # noqa: F401  (part of this module's interface)
from webapp.extensions import db
from webapp.mail import outbox

LOGIN_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TOTP_DRIFT_STEPS = (-1, 0, 1)  # one 30 s step either side: phone clocks drift
# An account gets at most the code mails one sign-in may get (1 + PORTAL_CODE_MAX_RESENDS) within
# this window, however many password steps ask: longer than any code lives (10 minutes at most),
# so a new password step cannot start the count afresh where a resend could not, and short enough
# that an owner whose mailbox someone holding the password filled waits a quarter of an hour at most.
CODE_MAIL_WINDOW = timedelta(minutes=15)

# The statements of every sign-in, built once: building one (and its cache key) costs
# SQLAlchemy more than SQLite takes to run it. Values to SET are given when executing.
_PENDING = PendingLogin.__table__
_VOID_BROWSER_PENDING = update(_PENDING).where(
    _PENDING.c.session_id.in_(bindparam("session_ids", expanding=True)),
    _PENDING.c.voided_at.is_(None), _PENDING.c.consumed_at.is_(None))
_INSERT_PENDING = insert(_PENDING)
_UPDATE_PENDING = update(_PENDING).where(_PENDING.c.id == bindparam("pending_id"))
_PENDING_BY_ID = select(_PENDING).where(_PENDING.c.id == bindparam("pending_id"))
_COUNT_RESEND = update(_PENDING).where(  # conditional: two resends at once cannot pass the cap
    _PENDING.c.id == bindparam("pending_id"), _PENDING.c.resends < bindparam("cap")).values(resends=_PENDING.c.resends + 1)
_CONSUME_PENDING = update(_PENDING).where(
    _PENDING.c.id == bindparam("pending_id"), _PENDING.c.consumed_at.is_(None), _PENDING.c.voided_at.is_(None))
_LIVE_CODE_MAILS = select(_PENDING.c.code_mail_id).where(
    _PENDING.c.code_mail_id.in_(bindparam("mail_ids", expanding=True)),
    _PENDING.c.voided_at.is_(None), _PENDING.c.consumed_at.is_(None))
# The one read a password step adds (pending_logins.user_id is indexed; an account has a few rows in
# the window): its code mails not used to sign in, and when one of a sign-in still waiting went.
_CODE_MAILS_OF_ACCOUNT = select(
    func.count() + func.coalesce(func.sum(_PENDING.c.resends), 0), func.min(_PENDING.c.created_at),
    func.max(case((_PENDING.c.voided_at.is_(None), _PENDING.c.code_sent_at))),
).where(_PENDING.c.user_id == bindparam("user_id"), _PENDING.c.method == "email",
        _PENDING.c.consumed_at.is_(None), _PENDING.c.created_at.between(bindparam("since"), bindparam("now")))
_RECORD_SIGN_IN = update(User.__table__).where(User.__table__.c.id == bindparam("user_id"))
_STILL_OPEN = select(User.__table__.c.id).where(
    User.__table__.c.id == bindparam("user_id"), User.__table__.c.locked_at.is_(None),
    User.__table__.c.status == "active")


class LoginRefused(Exception):
    """Wrong ID, wrong password, locked, suspended: the same answer for all."""


class CodeRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # wrong | expired | exhausted | missing


class ResendTooSoon(Exception):
    def __init__(self, seconds_left: int) -> None:
        super().__init__(seconds_left)
        self.seconds_left = seconds_left


class ResendLimitReached(Exception):
    """This pending login has had all the new codes it may get."""


class CodeMailWithheld(Exception):
    """No code mail this time: the account was mailed one a moment ago for a sign-in still
    waiting, or has had all the code mails CODE_MAIL_WINDOW allows. The sign-in waiting keeps
    its code. Raised only after a right password (or from a resend), as the code page is."""

    def __init__(self, user_id: int, seconds_left: int, too_many: bool) -> None:
        super().__init__(seconds_left)
        self.user_id = user_id
        self.seconds_left = seconds_left
        self.minutes_left = math.ceil(seconds_left / 60)
        self.too_many = too_many


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
    return lookup.user_by_login_id(normalised)


def _code_hash(session_id: str, code: str) -> str:
    """Keyed with the app's secret and bound to the browser session the code was sent for
    (each password step gives the browser a new session id, so this is one pending login)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{session_id}:{code}".encode(), hashlib.sha256).hexdigest()


def responsible_people(organisation_id: int) -> list[User]:
    return [
        u for u in db.session.scalars(
            select(User).where(User.organisation_id == organisation_id, User.status == "active")
        )
        if u.has_role("responsible")
    ]


def _lock(user: User, origin: Origin, failures: int) -> None:
    """Lock once: only the request that flips locked_at mails the user and the responsible people.
    `failures` is the count the database returned: under parallel tries `user` holds an older one."""
    now = clock.now()
    flipped = db.session.execute(
        update(User).where(User.id == user.id, User.locked_at.is_(None)).values(locked_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not flipped:
        return
    audit.record("account.locked", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 target=user.login_id, failures=failures)
    # Sent by the scheduler's next mail run, not before this answer: the fifth wrong password
    # must take as long for an existing ID as for an unknown one.
    outbox.enqueue(user.email, _l("Your Sekisho account has been locked"), "account_locked", with_response=False,
                   user=user, person=user, at=clock.now_jst(), ip=origin.ip)
    for person in responsible_people(user.organisation_id):
        if person.id != user.id:
            outbox.enqueue(person.email, _l("A user of your organisation has been locked out"), "account_locked",
                           with_response=False, user=user, person=person, at=clock.now_jst(), ip=origin.ip)


def count_failure(user: User, origin: Origin) -> bool:
    """One more failed sign-in in a row; the threshold locks the account until an unlock.
    True when the account is locked now."""
    failures = db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins).execution_options(synchronize_session="fetch")
    ).scalar_one()
    if failures >= current_app.config["PORTAL_LOCKOUT_THRESHOLD"]:
        _lock(user, origin, failures)
        return True
    return False


def _replace_waiting_sign_ins(user: User, origin: Origin) -> bool:
    """One sign-in waiting for a code per account: a right password voids the others, so wrong
    codes cannot be spread over many browsers, and each one that saw wrong codes (given up short
    of the last try) counts as a failed sign-in. False when that locked the account.
    The caller holds the account's row (lookup.lock_account)."""
    replaced = sessions.void_sign_ins_in_progress(user.id)
    return not any(count_failure(user, origin) for attempts in replaced if attempts)


# Issued IDs are short; Sekisho passwords are 15+ characters. A long "ID" that matches nobody
# is most likely a password typed into the wrong field, and passwords never go into the log.
LONGEST_LOGGED_UNKNOWN_ID = 14


def _audit_target(user: User | None, attempted: str) -> str:
    if user is not None:
        return user.login_id
    if len(attempted) > LONGEST_LOGGED_UNKNOWN_ID:
        return f"(unknown, {len(attempted)} characters)"
    return attempted


def _refuse(reason: str, origin: Origin, user: User | None, attempted: str, attempt: int) -> LoginRefused:
    audit.record(
        "login.failed", origin=origin,
        actor_id=user.id if user else None,
        organisation_id=user.organisation_id if user else None,
        target=_audit_target(user, attempted), reason=reason,
    )
    ratelimit.note_failure(origin, attempt)  # after the entry: a burst it completes names this try's organisation too
    db.session.commit()
    return LoginRefused()


def _verify_or_burn(user: User | None, password: str) -> bool:
    """Always one argon2 verification: unknown IDs and accounts without a password cost the same."""
    if user is None or not user.password_hash:
        passwords.burn_verification_time(password)
        return False
    return passwords.verify_password(user.password_hash, password)


def _device_of(user: User | None, device_account: int | None) -> User | None:
    """The user, when the browser's device cookie (devices.py) is this account's and it may sign in:
    a suspended or closed account's cookie lifts nothing."""
    if user is None or device_account is None or user.id != device_account or not user.can_sign_in:
        return None
    return user


def check_password(login_id: str, password: str, origin: Origin, device_account: int | None = None) -> User:
    """The password step. Returns the user, or raises LoginRefused / TooManyAttempts.
    `device_account`: the account of the browser's valid device cookie, if any (devices.py)."""
    # With a device cookie the account is read before the address's limit, which the cookie lifts
    # for its own account only; without one a blocked address still costs no read.
    known = find_user(login_id) if device_account is not None else None
    attempt = ratelimit.begin_attempt(origin, _device_of(known, device_account))  # tries sent at once count first
    attempted = normalise_login_id(login_id)
    user = known if device_account is not None else find_user(login_id)
    # End the reading transaction first: on SQLite it holds the write lock (BEGIN IMMEDIATE),
    # and 25 ms of argon2 under it would let only one sign-in hash at a time.
    db.session.commit()
    password_ok = _verify_or_burn(user, password)
    if user is None:
        raise _refuse("unknown_id", origin, None, attempted, attempt)
    if not user.can_sign_in:
        reason = "locked" if user.is_locked else f"status_{user.status}"
        if not user.organisation.is_active:
            reason = "organisation_suspended"
        elif user.status == "active" and not user.password_hash:
            reason = "no_password"
        raise _refuse(reason, origin, user, attempted, attempt)
    if not password_ok:
        count_failure(user, origin)
        raise _refuse("wrong_password", origin, user, attempted, attempt)
    # The user was read before hashing; wrong guesses sent in parallel may have locked the
    # account meanwhile. Accepting this one would tell a guesser, past the lockout, that it
    # was right (a code page instead of the one answer for every failure).
    if db.session.scalar(_STILL_OPEN, {"user_id": user.id}) is None:
        raise _refuse("locked_meanwhile", origin, user, attempted, attempt)
    # The account's row is held until the new sign-in is committed: on PostgreSQL, right passwords
    # sent at once would otherwise each miss the others' uncommitted sign-ins (and code mails) and
    # all go on (SQLite's BEGIN IMMEDIATE already runs them one after another).
    lookup.lock_account(user.id)
    # Whoever holds the password must not bury the owner's mailbox (and the code mail's warning)
    # under codes: such a step leaves the sign-in waiting as it is.
    withheld = code_mail_withheld(user.id) if second_factor_method(user) == "email" else None
    if withheld is None and not _replace_waiting_sign_ins(user, origin):
        raise _refuse("locked_by_codes", origin, user, attempted, attempt)
    for observer in hooks.PASSWORD_ACCEPTED:
        observer(user, "", origin)
    if user.status != "active":  # a detector suspended the account (PORTAL_ALERT_SUSPEND); its mail says so
        raise _refuse("suspended_by_detector", origin, user, attempted, attempt)
    # Not a failure: its place in the address's count is free again once this sign-in commits.
    ratelimit.end_attempt(origin, attempt)
    if withheld is not None:
        audit.record("login.code_withheld", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                     reason="too_many" if withheld.too_many else "too_soon", retry_after=withheld.seconds_left)
        db.session.commit()
        raise withheld
    return user


def code_mail_withheld(user_id: int) -> CodeMailWithheld | None:
    """Why no code may be mailed to this account now (the same limits a resend keeps), or None."""
    now = clock.now()
    # Rows from "the future" (a clock set back) do not count: the account's mail must not stop
    # for as long as the clock went back.
    mails, oldest, last_waiting = db.session.execute(
        _CODE_MAILS_OF_ACCOUNT, {"user_id": user_id, "since": now - CODE_MAIL_WINDOW, "now": now}).one()
    if mails >= 1 + current_app.config["PORTAL_CODE_MAX_RESENDS"]:
        return CodeMailWithheld(user_id, _seconds_until(oldest + CODE_MAIL_WINDOW), too_many=True)
    wait = timedelta(seconds=current_app.config["PORTAL_CODE_RESEND_SECONDS"])
    if last_waiting is not None and timedelta(0) <= now - last_waiting < wait:
        return CodeMailWithheld(user_id, _seconds_until(last_waiting + wait), too_many=False)
    return None


def _seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - clock.now()).total_seconds()))


def waits_in_this_browser(user_id: int, pending_id: int | None, session_id: str | None) -> bool:
    """This browser holds the account's sign-in waiting for a code (a double submit, a second tab)."""
    pending = pending_for(pending_id, session_id)
    return pending is not None and pending.user_id == user_id and clock.now() < pending.expires_at


def second_factor_method(user: User) -> str:
    if user.totp_secret and (user.mfa_method == "totp" or user.organisation.require_totp):
        return "totp"
    return "email"


def start_pending_login(user: User, session_id: str, origin: Origin, replaces_session_id: str | None = None,
                        remember: Callable[[int], None] | None = None) -> PendingStep:
    """Password accepted (the account's other pending logins are void by now, see
    check_password): void this browser's older ones and send a fresh code.

    The failure count is NOT reset here: it resets only when the whole sign-in
    succeeds, so someone holding the password cannot guess codes forever.
    `remember` receives the new pending login's id before the commit, so that the
    browser's session can record it in the same transaction.
    """
    now = clock.now()
    browser_ids = [sid for sid in (session_id, replaces_session_id) if sid]
    db.session.execute(_VOID_BROWSER_PENDING, {"session_ids": browser_ids, "voided_at": now})
    method = second_factor_method(user)
    code, code_columns = _new_code(session_id) if method == "email" else (None, {})
    # Queued before the pending login is written, so that it names its mail without a second statement.
    mail_id = _queue_code_mail(code, user, origin) if code is not None else None
    pending_id = db.session.execute(_INSERT_PENDING, {
        "session_id": session_id, "user_id": user.id, "method": method, "created_at": now, "ip": origin.ip[:64],
        "expires_at": now + timedelta(seconds=current_app.config["PORTAL_CODE_LIFETIME_SECONDS"]),
        "code_mail_id": mail_id, **code_columns,
    }).inserted_primary_key[0]
    audit.record("login.password_ok", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 method=method)
    if mail_id is not None:
        _record_code_sent(user, origin, mail_id)
    if remember is not None:
        remember(pending_id)
    db.session.commit()
    return PendingStep(pending_id, method, mail_id)


def _new_code(session_id: str) -> tuple[str, dict[str, Any]]:
    """A new random code and the pending login's columns for it (only its keyed hash is stored)."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = clock.now()
    lifetime = timedelta(seconds=current_app.config["PORTAL_CODE_LIFETIME_SECONDS"])
    return code, {"code_hash": _code_hash(session_id, code), "code_sent_at": now, "expires_at": now + lifetime}


def _queue_code_mail(code: str, user: User, origin: Origin) -> int:
    lifetime = current_app.config["PORTAL_CODE_LIFETIME_SECONDS"]
    return outbox.enqueue(
        user.email, _l("Sekisho one-time code"), "login_code",
        user=user, code=code, at=clock.now_jst(), ip=origin.ip, minutes=lifetime // 60,
    ).id


def _record_code_sent(user: User, origin: Origin, mail_id: int, resend: bool = False) -> None:
    audit.record("login.code_sent", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 mail_id=mail_id, resend=resend)


def live_code_mails(mail_ids: list[int]) -> set[int]:
    """Of these code mails, those whose code a sign-in still waits for (outbox.STILL_WANTED): after
    an outage, a code replaced by a new password step or a resend, or of a sign-in used or voided,
    would only arrive after the live one and count as a wrong try when typed."""
    return set(db.session.scalars(_LIVE_CODE_MAILS, {"mail_ids": mail_ids}))


def pending_for(pending_id: int | None, session_id: str | None) -> Row[Any] | None:
    """The pending login of this browser only: a code requested elsewhere does not work here.

    A row as read (changes go through statements), so checking it costs no ORM load."""
    if not isinstance(pending_id, int) or not session_id:
        return None
    pending = db.session.execute(_PENDING_BY_ID, {"pending_id": pending_id}).first()
    if pending is None or not hmac.compare_digest(pending.session_id, session_id):
        return None
    if pending.voided_at or pending.consumed_at:
        return None
    return pending


def resend_code(pending_id: int | None, session_id: str | None, origin: Origin) -> int:
    """A new code after the wait; the old one stops working, the failure count stays."""
    pending = pending_for(pending_id, session_id)
    if pending is None or pending.method != "email" or clock.now() >= pending.expires_at:
        raise CodeRefused("missing")
    wait = current_app.config["PORTAL_CODE_RESEND_SECONDS"]
    elapsed = (clock.now() - pending.code_sent_at).total_seconds() if pending.code_sent_at else wait
    if elapsed < wait:
        raise ResendTooSoon(max(1, math.ceil(wait - elapsed)))
    if pending.resends >= current_app.config["PORTAL_CODE_MAX_RESENDS"]:
        raise ResendLimitReached()
    # Password steps a minute apart, each followed by all its resends, would pass both per-sign-in limits.
    withheld = code_mail_withheld(pending.user_id)
    if withheld is not None and withheld.too_many:
        raise withheld
    user = lookup.user_by_id(pending.user_id)
    assert user is not None
    if not db.session.execute(_COUNT_RESEND, {"pending_id": pending.id,
                                              "cap": current_app.config["PORTAL_CODE_MAX_RESENDS"]}).rowcount:
        raise ResendLimitReached()
    code, code_columns = _new_code(pending.session_id)  # replaces the previous code
    mail_id = _queue_code_mail(code, user, origin)
    db.session.execute(_UPDATE_PENDING, {"pending_id": pending.id, "code_mail_id": mail_id, **code_columns})
    _record_code_sent(user, origin, mail_id, resend=True)
    db.session.commit()
    return mail_id


def totp_step(secret: str, code: str) -> int | None:
    """The time step whose code matches, within the allowed drift; None when none does."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(clock.now())
    for drift in TOTP_DRIFT_STEPS:
        if hmac.compare_digest(totp.generate_otp(current + drift), code):
            return current + drift
    return None


def use_totp_step(user: User, step: int) -> bool:
    """Record the step as used; False when it (or a later one) was used already: no replay."""
    return bool(db.session.execute(
        update(User).where(User.id == user.id, User.totp_last_counter < step).values(totp_last_counter=step)
        .execution_options(synchronize_session="fetch")
    ).rowcount)


def clean_code(code: str) -> str | None:
    """Full-width digits and spaces from a phone or IME are fine; anything else is not a code."""
    cleaned = unicodedata.normalize("NFKC", code).replace(" ", "").strip()
    return cleaned if len(cleaned) == 6 and cleaned.isascii() and cleaned.isdigit() else None


def _code_matches(pending: Row[Any], user: User, code: str | None) -> bool:
    if code is None:
        return False
    if pending.method == "totp":
        step = totp_step(user.totp_secret, code) if user.totp_secret else None
        return step is not None and use_totp_step(user, step)
    return pending.code_hash is not None and hmac.compare_digest(pending.code_hash, _code_hash(pending.session_id, code))


def _consume(pending: Row[Any]) -> bool:
    """Single use even when two requests carry the same code at once."""
    return bool(db.session.execute(_CONSUME_PENDING, {"pending_id": pending.id, "consumed_at": clock.now()}).rowcount)


def _code_failed(pending: Row[Any], user: User, origin: Origin) -> CodeRefused:
    attempts = db.session.execute(
        update(PendingLogin).where(PendingLogin.id == pending.id).values(attempts=PendingLogin.attempts + 1)
        .returning(PendingLogin.attempts)
    ).scalar_one()
    exhausted = attempts >= current_app.config["PORTAL_CODE_MAX_ATTEMPTS"]
    if exhausted:
        db.session.execute(
            update(PendingLogin).where(PendingLogin.id == pending.id, PendingLogin.voided_at.is_(None))
            .values(voided_at=clock.now())
        )
        count_failure(user, origin)  # a voided pending is one failed sign-in towards the lockout
    audit.record("login.code_failed", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 attempts=attempts, voided=exhausted, method=pending.method)
    ratelimit.note_failure(origin)
    db.session.commit()
    return CodeRefused("exhausted" if exhausted else "wrong")


def refusal_at_code_step(pending: Row[Any], origin: Origin) -> str | None:
    """The sign-in checks again when the code comes: the hours may have closed (or the network
    rules changed) since the password was accepted. A refused sign-in in progress is voided."""
    user = lookup.user_by_id(pending.user_id)
    if user is None:
        return None
    refusal = hooks.first_refusal(user, origin)
    if refusal:
        db.session.execute(_UPDATE_PENDING, {"pending_id": pending.id, "voided_at": clock.now()})
        db.session.commit()
    return refusal


def verify_code(pending: Row[Any], code: str, origin: Origin, device_account: int | None = None) -> User:
    """The second step for a pending login of this browser (pending_for). Returns the user on
    success (caller commits); wrong codes count towards voiding. The row may be stale by now:
    consuming it is conditional, so a code is used once however many requests carry it."""
    user = lookup.user_by_id(pending.user_id)
    assert user is not None
    # Wrong codes count against the address like wrong passwords; its limit spares this account's
    # device cookie here as at the password step.
    ratelimit.check_ip_allowed(origin, _device_of(user, device_account))
    now = clock.now()
    if now >= pending.expires_at:
        db.session.execute(_UPDATE_PENDING, {"pending_id": pending.id, "voided_at": now})
        audit.record("login.code_expired", origin=origin, actor_id=user.id, organisation_id=user.organisation_id)
        db.session.commit()
        raise CodeRefused("expired")
    if not (_code_matches(pending, user, clean_code(code)) and user.can_sign_in and _consume(pending)):
        raise _code_failed(pending, user, origin)
    # Written directly, and set on the loaded user without making it dirty (no flush later).
    db.session.execute(_RECORD_SIGN_IN, {"user_id": user.id, "last_login_at": now, "failed_logins": 0})
    set_committed_value(user, "last_login_at", now)
    set_committed_value(user, "failed_logins", 0)
    return user


def password_expired(user: User) -> bool:
    max_age = current_app.config["PORTAL_PASSWORD_MAX_AGE_DAYS"]
    if not max_age or user.password_changed_at is None:
        return False
    return clock.now() - user.password_changed_at >= timedelta(days=max_age)
