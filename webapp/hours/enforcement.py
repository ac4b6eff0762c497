"""Where business hours are enforced: every request, the sign-in, the login page, the banner.

Outside hours a signed-in user's sessions all end (not only this one), so
a second browser left open cannot carry on after closing. Users with the
hours exemption pass; each use is audited once per session and closed period.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import has_request_context, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth import sessions
from webapp.auth.gates import session_ended_message
from webapp.auth.models import ServerSession, User
from webapp.extensions import db
from webapp.hours import display, service
from webapp.hours.calendar import WARNING_MINUTES, Status
from webapp.mail import outbox
from webapp.ui import Banner
from webapp.web import origin, redirect_to

EXEMPTION_MARKER = "hours_exemption_period"
SIGN_IN_EXEMPTION_MARKER = "hours_exemption_sign_in"
# A sign-in refused this long after closing ended that person's session in that browser is them
# trying again, not someone else holding the password: no alarm mail (still audited).
QUIET_AFTER_CLOSING = timedelta(hours=1)


def current_status(user: Any) -> Status:
    """The user's status at this request's instant."""
    return _profile_status(service.effective_profile_name(user))


def _profile_status(name: str) -> Status:
    # Gate, banner and notices ask on the same request: compute once per profile.
    # Kept on the request itself, not on `g`: an app context can outlive a request
    # (tests, CLI), and a closure created meanwhile must count at once.
    if not has_request_context():
        return service.status_of_profile(name, clock.now())
    memo: dict[str, Status] = request.environ.setdefault("sekisho.hours_status", {})
    if name not in memo:
        memo[name] = service.status_of_profile(name, clock.now())
    return memo[name]


def _period(status: Status) -> str:
    """Names one closed period: the opening that ends it."""
    return status.opens_at.isoformat() if status.opens_at else "indefinite"


def _audit_details(user: User, status: Status) -> dict[str, Any]:
    return {"profile": service.effective_profile_name(user), "reason": status.reason,
            "next_open": status.opens_at.isoformat() if status.opens_at else None}


def hours_gate(user: Any) -> BaseResponse | None:
    """The "hours" gate: outside hours, end every session of a non-exempt user."""
    if not user.is_authenticated:
        return None
    status = current_status(user)
    if status.is_open:
        return None
    if user.hours_exempt:
        _note_exemption(user, status)
        return None
    profile = service.effective_profile_name(user)
    note = _closing_note(user, profile)
    # The user's other browsers are told on their next request (the note their rows keep).
    ended = sessions.end_all_sessions(user.id, note=note)
    audit.record("session.ended_closed", origin=origin(), actor_id=user.id,
                 organisation_id=user.organisation_id, target=request.path[:200], ended=ended,
                 **_audit_details(user, status))
    logout_user()
    sessions.end_session(session)  # type: ignore[arg-type]
    session[sessions.ENDED_NOTE] = note  # this browser's fresh session: read at its sign-in
    db.session.commit()
    return redirect_to(url_for("auth.login", closed=profile))


def _closing_note(user: User, profile: str) -> dict[str, Any]:
    """What a session ended at closing leaves for its browser (sessions.ENDED_NOTE)."""
    return {"reason": "closed", "user": user.id, "profile": profile, "at": clock.now().isoformat()}


def _closing_note_here() -> dict[str, Any] | None:
    """The note of a session of this browser that closing time ended, if any."""
    if not has_request_context():
        return None
    note = session.get(sessions.ENDED_NOTE)
    return note if isinstance(note, dict) and note.get("reason") == "closed" else None


def _tries_again_after_own_closing(user: User) -> bool:
    note = _closing_note_here()
    if note is None or note.get("user") != user.id:
        return False
    try:
        ended_at = datetime.fromisoformat(note["at"])
    except (KeyError, TypeError, ValueError):
        return False
    return timedelta(0) <= clock.now() - ended_at < QUIET_AFTER_CLOSING


def _note_exemption(user: User, status: Status) -> None:
    # Once per session and closed period: enough to account for it, without
    # an entry for every click of an administrator at work at night.
    period = _period(status)
    if session.get(EXEMPTION_MARKER) == period:
        return
    session[EXEMPTION_MARKER] = period
    audit.record("hours.exemption_used", origin=origin(), actor_id=user.id,
                 organisation_id=user.organisation_id, target=request.path[:200], context="request",
                 **_audit_details(user, status))
    db.session.commit()


def refuse_sign_in_outside_hours(user: User, where: Origin) -> str | None:
    """Sign-in check, run after the password was right (it reveals hours, not accounts). The
    owner is mailed, as the code mail would have told them in hours: a right password from
    someone else must not go unnoticed because the system happened to be closed. Not when it is
    the browser whose session of theirs closing time just ended: that is them, told at once."""
    status = current_status(user)
    if status.is_open:
        return None
    if user.hours_exempt:
        # Once per sign-in: the check runs again when the code comes (the marker is the browser's).
        period = f"{user.id}:{_period(status)}"
        if has_request_context() and session.get(SIGN_IN_EXEMPTION_MARKER) == period:
            return None
        audit.record("hours.exemption_used", origin=where, actor_id=user.id,
                     organisation_id=user.organisation_id, context="sign_in", **_audit_details(user, status))
        if has_request_context():
            session[SIGN_IN_EXEMPTION_MARKER] = period
        return None
    mailed = not _tries_again_after_own_closing(user)
    audit.record("hours.refused", origin=where, actor_id=user.id, organisation_id=user.organisation_id,
                 target=user.login_id, mailed=mailed, **_audit_details(user, status))
    if mailed:
        outbox.enqueue(user.email, _l("Sekisho: a sign-in with your password was refused (system closed)"),
                       "sign_in_refused_hours", user=user, at=clock.now_jst(), ip=where.ip)
    return display.closed_message(status)


def closing_banner() -> Banner | None:
    """From WARNING_MINUTES before closing: the minutes left, counted down by static/app.js."""
    if not current_user.is_authenticated:
        return None
    status = current_status(current_user)
    if not status.is_open or status.closes_at is None:
        return None
    left = status.closes_at - clock.now()
    if left > timedelta(minutes=WARNING_MINUTES):
        return None
    minutes = -(-left // timedelta(minutes=1))  # rounded up: 30 seconds read "1 minute"
    text, one, other = display.countdown_texts(status.closes_at, minutes)
    if current_user.hours_exempt:
        # Informed, but not counted down: at zero the page would reload and lose their typing.
        return Banner("info", text)
    return Banner("warning", text, {
        "data-hours-seconds-left": str(int(left.total_seconds())),
        "data-hours-text-one": one,
        "data-hours-text-other": other,
    })


def login_closed_notice() -> Banner | None:
    """The login page says when the system is closed and when it opens.

    After closing time ended a session, the user's own profile (it may differ
    from the system-wide one) is named by ?closed=<profile> (the gate's
    redirect) or by the note the ended session left for this browser (the
    scheduler ended it, or a request of another browser); a stale or forged
    value falls back to the system-wide profile.
    """
    note = _closing_note_here() if request.method == "GET" else None  # a refused sign-in says it itself
    asked = request.args.get("closed", "") or (str(note.get("profile", "")) if note else "")
    ended_by_closing = bool(asked) and len(asked) <= 40 and service.is_known_profile(asked)
    name = asked if ended_by_closing else service.system_profile_name()
    status = _profile_status(name)
    if status.is_open:
        # Open again by the time the browser came back: still told that the session ended.
        return Banner("info", session_ended_message()) if note and ended_by_closing else None
    text = display.closed_message(status)
    if ended_by_closing:
        text = _("Your session has ended because the system is closed.") + " " + text
    elif _another_calendar_open(name):
        text += " " + _("Organisations with their own calendar of hours may be open now: their users can sign in.")
    return Banner("closed", text)


def _another_calendar_open(closed_profile: str) -> bool:
    """The page does not know whose it is yet: an organisation on another calendar may be open
    (a conformance review: the page told such users, flatly, that the system was closed)."""
    from webapp.orgs.models import Organisation

    profiles = db.session.scalars(select(Organisation.hours_profile).distinct().where(
        Organisation.status == "active", Organisation.hours_profile.is_not(None),
        Organisation.hours_profile != closed_profile)).all()
    return any(service.is_known_profile(p) and _profile_status(p).is_open for p in profiles)


def login_closures_notice() -> Banner | None:
    """Closures in the next days, announced before they start."""
    closures = service.upcoming_closures()
    if not closures:
        return None
    items = [_("%(start)s to %(end)s: %(reason)s", start=display.format_moment(c.start_at),
               end=display.format_moment(c.end_at), reason=c.reason) for c in closures]
    return Banner("info", _("Scheduled closures: %(closures)s", closures=" / ".join(items)))


def end_sessions_outside_hours() -> int:
    """Scheduler and `portal hours end-sessions`: close sessions at closing time even without a request."""
    user_ids = db.session.scalars(
        select(ServerSession.user_id).join(User, User.id == ServerSession.user_id)
        .where(ServerSession.authenticated_at.is_not(None), User.hours_exempt.is_(False)).distinct()
    ).all()
    statuses: dict[str, Status] = {}
    ended = 0
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        if user is None:
            continue
        name = service.effective_profile_name(user)
        if name not in statuses:
            statuses[name] = service.status_of_profile(name, clock.now())
        if statuses[name].is_open:
            continue
        status = statuses[name]
        count = sessions.end_all_sessions(user.id, note=_closing_note(user, name))
        audit.record("session.ended_closed", actor_id=user.id, organisation_id=user.organisation_id,
                     context="scheduler", ended=count, **_audit_details(user, status))
        ended += count
    db.session.commit()
    return ended
