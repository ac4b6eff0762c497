"""Account pages: activation link, password change, my sessions, authenticator app."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from webapp import clock
from webapp.auth import credentials, sessions, totp
from webapp.auth.forms import (AuthenticatorForm, ChangePasswordForm, EmptyForm, NewPasswordForm,
                               ReauthenticateForm, field_errors)
from webapp.forms import FormErrors, about, validation_problems
from webapp.guard import exempt_from, public, record_refusal
from webapp.web import origin, redirect_to

ENROL_SECRET = "totp_enrol_secret"  # kept in the server-side session while the user sets up the app


def _activate(token: str) -> BaseResponse | tuple[str, int]:
    try:
        _record, user = credentials.token_user(token)
    except credentials.TokenInvalid:
        return render_template("auth/activate_invalid.html"), 404
    form = NewPasswordForm()
    if request.method != "POST":
        return render_template("auth/activate.html", form=form, user=user, errors=[]), 200
    if not form.validate():
        return render_template("auth/activate.html", form=form, user=user, errors=field_errors(form)), 400
    try:
        credentials.activate(token, form.password.data, form.password_confirm.data, origin())
    except credentials.PasswordRejected as rejected:
        return render_template("auth/activate.html", form=form, user=user, errors=rejected.messages), 400
    except credentials.TokenInvalid:
        return render_template("auth/activate_invalid.html"), 404
    if current_user.is_authenticated:
        logout_user()
    sessions.sign_out(session, None, origin())  # type: ignore[arg-type]
    flash(_("Your password has been set. Please sign in."), "info")
    return redirect_to(url_for("auth.login"))


def _other_sessions_ended(count: int) -> str:
    return ngettext("%(n)d other session was ended.", "%(n)d other sessions were ended.", count, n=count)


def _change_password() -> BaseResponse | tuple[str, int]:
    form = ChangePasswordForm()
    if request.method != "POST":
        return render_template("auth/password.html", form=form, errors=[]), 200
    if not form.validate():
        return render_template("auth/password.html", form=form, errors=field_errors(form)), 400
    try:
        ended = credentials.change_password(
            current_user, form.current_password.data, form.password.data, form.password_confirm.data,
            end_others=form.end_other_sessions.data, session_id=session.sid,  # type: ignore[attr-defined]
            origin=origin(),
        )
    except credentials.PasswordRejected as rejected:
        return render_template("auth/password.html", form=form, errors=rejected.messages), 400
    # A copy of this very cookie (the reason one changes a password in a hurry) shares this
    # session's id, which "end the others" spares: a new id leaves the copy signed out.
    sessions.regenerate(session)  # type: ignore[arg-type]
    message = _("Your password has been changed.")
    if ended:
        message += " " + _other_sessions_ended(ended)
    flash(message, "info")
    return redirect_to(url_for("main.dashboard"))


def _authenticator_page(form: AuthenticatorForm, problems: list[Any], status: int = 200,
                        sent: str = "") -> tuple[str, int]:
    """`sent`: the refused form, "enrol" or "off", whose inputs are marked."""
    secret = session.get(ENROL_SECRET)
    if not totp.is_valid_secret(secret):
        secret = session[ENROL_SECRET] = totp.new_secret()
    uri = totp.provisioning_uri(current_user, secret)
    return render_template(
        "auth/authenticator.html", form=form, off_form=ReauthenticateForm(),
        errors=FormErrors("authenticator-errors", problems, sent),
        secret=totp.grouped(secret), uri=uri, qr=totp.qr_svg(uri, _("QR code to set up the authenticator app")),
        may_use_email=totp.may_use_email(current_user),
    ), status


def _authenticator() -> BaseResponse | tuple[str, int]:
    form = AuthenticatorForm()
    if request.method != "POST":
        return _authenticator_page(form, [])
    if not form.validate():
        return _authenticator_page(form, validation_problems(form), 400, "enrol")
    try:
        totp.enable(current_user, session.get(ENROL_SECRET, ""), form.password.data, form.code.data, origin())
    except (totp.AuthenticatorRefused, credentials.PasswordRejected) as refused:
        wrong = "code" if isinstance(refused, totp.AuthenticatorRefused) else "password"
        return _authenticator_page(form, [about(wrong, message) for message in refused.messages], 400, "enrol")
    session.pop(ENROL_SECRET, None)
    flash(_("The authenticator app is set up. From now on, sign in with the code it shows."), "info")
    return redirect_to(url_for("auth.my_sessions"))


def _authenticator_off() -> BaseResponse | tuple[str, int]:
    form = ReauthenticateForm()
    problems: list[Any] = validation_problems(form) if not form.validate() else []
    if not problems:
        try:
            totp.disable(current_user, form.password.data, origin())
        except totp.AuthenticatorRefused as refused:
            problems = refused.messages
        except credentials.PasswordRejected as refused:
            problems = [about("password", message) for message in refused.messages]
    if problems:
        return _authenticator_page(AuthenticatorForm(formdata=None), problems, 400, "off")
    flash(_("Sign-in codes will be sent by e-mail again."), "info")
    return redirect_to(url_for("auth.my_sessions"))


def _my_sessions() -> str:
    return render_template(
        "auth/sessions.html", sessions=sessions.active_sessions(current_user.id),
        current_sid=session.sid, form=EmptyForm(), now=clock.now(),  # type: ignore[attr-defined]
    )


def _end_other_sessions() -> BaseResponse:
    ended = sessions.end_others(session, current_user, origin())  # type: ignore[arg-type]
    flash(_other_sessions_ended(ended), "info")
    return redirect_to(url_for("auth.my_sessions"))


def _end_one_session(sid: str) -> BaseResponse:
    if sessions.end_other(session, current_user, sid, origin()):  # type: ignore[arg-type]
        flash(_("The session was ended."), "info")
    elif sid != session.sid:
        if sessions.held_by_someone_else(current_user.id, sid):
            record_refusal("access.object_refused")
        flash(_("That session had already ended."), "info")
    return redirect_to(url_for("auth.my_sessions"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/activate/<token>", "activate", public(_activate), methods=["GET", "POST"])
    # Reachable while the password is too old or the app is still to be set up, so those gates cannot loop.
    bp.add_url_rule("/account/password", "change_password",
                    exempt_from("consent", "password_age")(_change_password), methods=["GET", "POST"])
    bp.add_url_rule("/account/authenticator", "authenticator",
                    exempt_from("consent", "password_age", "authenticator")(_authenticator), methods=["GET", "POST"])
    bp.add_url_rule("/account/authenticator/email", "authenticator_off",
                    exempt_from("consent", "password_age")(_authenticator_off), methods=["POST"])
    bp.add_url_rule("/account/sessions", "my_sessions", _my_sessions, methods=["GET"])
    bp.add_url_rule("/account/sessions/end-others", "end_other_sessions", _end_other_sessions, methods=["POST"])
    bp.add_url_rule("/account/sessions/<sid>/end", "end_one_session", _end_one_session, methods=["POST"])
