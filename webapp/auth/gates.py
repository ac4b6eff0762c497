"""The sign-in gates and Flask-Login's user loader.

signed_in      every non-public page needs a live session of an active user;
password_age   with PORTAL_PASSWORD_MAX_AGE_DAYS > 0, an old password sends the
               user to /account/password until it is changed;
authenticator  an organisation that requires an authenticator app sends a user
               without one to /account/authenticator right after the mailed code.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from webapp.auth import service, sessions
from webapp.auth.models import User
from webapp.extensions import db, login_manager
from webapp.guard import add_gate
from webapp.web import current_path, redirect_to


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not getattr(session, "sid", None):
        return None
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    # The session interface already ended such sessions; this is the second lock on the door.
    if user is None or user.status != "active" or not user.organisation.is_active:
        return None
    return user


def session_ended_message() -> str:
    return _("Your session has ended. Please sign in again.")


def tell_session_ended() -> None:
    """For the sign-in page. A session ended with a note of closing time is told of by the login
    page's notices instead, which say why and what next (when the system opens)."""
    note = session.get(sessions.ENDED_NOTE)
    if isinstance(note, dict) and note.get("reason") == "ended_elsewhere":
        flash(_("Your session was ended from another browser (the list of your sessions, or a password change). "
                "If that was not you, sign in and change your password."), "warning")
    elif note is None:
        flash(session_ended_message(), "info")


def require_signed_in(user: Any) -> BaseResponse | None:
    if user.is_authenticated:
        return None
    if session.get("_expired"):
        tell_session_ended()
    target = current_path() if request.method == "GET" else None
    next_arg = {"next": target} if target and not request.headers.get("HX-Request") else {}
    return redirect_to(url_for("auth.login", **next_arg))


def require_current_password(user: Any) -> BaseResponse | None:
    if not service.password_expired(user):
        return None
    flash(_("Your password is older than %(n)d days, the limit your operator has set. Please choose a new one.",
            n=current_app.config["PORTAL_PASSWORD_MAX_AGE_DAYS"]), "info")
    return redirect_to(url_for("auth.change_password"))


def require_authenticator(user: Any) -> BaseResponse | None:
    if user.totp_secret or not user.organisation.require_totp:
        return None
    flash(_("Your organisation requires an authenticator app for signing in. Please set it up now."), "info")
    return redirect_to(url_for("auth.authenticator"))


def install(app: Flask) -> None:
    add_gate(app, "signed_in", require_signed_in)
    add_gate(app, "password_age", require_current_password)
    add_gate(app, "authenticator", require_authenticator)
