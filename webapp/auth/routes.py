"""Login, one-time code, logout, activation, password change and the user's sessions."""
from __future__ import annotations

from flask import Blueprint, flash, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from webapp import clock
from webapp.audit import service as audit
from webapp.auth import credentials, hooks, service, sessions
from webapp.auth.forms import ChangePasswordForm, CodeForm, EmptyForm, LoginForm, NewPasswordForm
from webapp.extensions import db
from webapp.guard import exempt_from, public
from webapp.mail import outbox
from webapp.web import origin, redirect_to, safe_next



def generic_failure() -> str:
    """One message for unknown ID, wrong password, locked and suspended: no enumeration."""
    return _("The user ID or password is incorrect, or the account cannot be used at the moment.")

ALL_GATES = ("hours", "consent", "password_age")


def _login_page(form: LoginForm, error: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("auth/login.html", form=form, error=error), status


def make_blueprint() -> Blueprint:
    bp = Blueprint("auth", __name__)

    @bp.route("/login", methods=["GET", "POST"])
    @public
    def login() -> BaseResponse | tuple[str, int]:
        if current_user.is_authenticated:
            return redirect_to(url_for("main.dashboard"))
        form = LoginForm()
        if request.method == "GET":
            if request.args.get("next"):
                session["next"] = safe_next(request.args.get("next"))
            if session.get("_expired"):
                flash(_("Your session has ended. Please sign in again."), "info")
            return _login_page(form)
        if not form.validate():
            return _login_page(form, generic_failure(), 400)
        try:
            user = service.check_password(form.login_id.data, form.password.data, origin())
        except service.TooManyAttempts:
            return _login_page(form, _("Too many failed sign-ins from this network. Please wait a while and try again."), 429)
        except service.LoginRefused:
            return _login_page(form, generic_failure(), 401)
        refusal = hooks.first_refusal(user, origin())
        if refusal:
            db.session.commit()
            return _login_page(form, refusal, 403)
        sessions.regenerate(session)  # type: ignore[arg-type]
        step = service.start_pending_login(user, session.sid, origin())  # type: ignore[attr-defined]
        session["pending_login"] = step.pending_id
        if step.mail_id is not None:
            outbox.deliver([step.mail_id])
            if not outbox.was_delivered(step.mail_id):
                return _login_page(form, _(
                    "The one-time code could not be sent by mail right now. It will be sent again automatically; "
                    "if it does not arrive within a few minutes, please sign in again later."), 503)
        return redirect_to(url_for("auth.code"))

    @bp.route("/login/code", methods=["GET", "POST"])
    @public
    def code() -> BaseResponse | tuple[str, int]:
        pending = service.pending_for(session.get("pending_login"), getattr(session, "sid", None))
        if pending is None:
            flash(_("Please sign in with your user ID and password first."), "info")
            return redirect_to(url_for("auth.login"))
        form = CodeForm()
        if request.method == "GET":
            return render_template("auth/code.html", form=form, pending=pending), 200
        if not form.validate():
            return render_template("auth/code.html", form=form, pending=pending,
                                   error=_("Enter the 6-digit code.")), 400
        try:
            user = service.verify_code(pending.id, session.sid, form.code.data, origin())  # type: ignore[attr-defined]
        except service.CodeRefused as refused:
            if refused.reason in {"expired", "exhausted", "missing"}:
                session.pop("pending_login", None)
                flash(_("The code is no longer valid. Please sign in again."), "error")
                return redirect_to(url_for("auth.login"))
            return render_template("auth/code.html", form=form, pending=pending,
                                   error=_("The code is not correct.")), 401
        next_url = session.get("next")
        sessions.regenerate(session)  # type: ignore[arg-type]
        session.pop("pending_login", None)
        session.pop("next", None)
        login_user(user)
        sessions.mark_authenticated(session, user.id, origin().ip, origin().user_agent)  # type: ignore[arg-type]
        audit.record("login.succeeded", origin=origin(), actor_id=user.id, organisation_id=user.organisation_id,
                     method=pending.method)
        db.session.commit()
        return redirect_to(safe_next(next_url))

    @bp.post("/login/code/resend")
    @public
    def resend_code() -> BaseResponse:
        try:
            mail_id = service.resend_code(session.get("pending_login"), getattr(session, "sid", None), origin())
        except service.ResendTooSoon as soon:
            flash(_("You can request a new code in %(n)d seconds.", n=soon.seconds_left), "error")
            return redirect_to(url_for("auth.code"))
        except service.CodeRefused:
            flash(_("Please sign in with your user ID and password first."), "info")
            return redirect_to(url_for("auth.login"))
        outbox.deliver([mail_id])
        if outbox.was_delivered(mail_id):
            flash(_("A new code has been sent. The previous code no longer works."), "info")
        else:
            flash(_("The code could not be sent right now. It will be sent again automatically."), "error")
        return redirect_to(url_for("auth.code"))

    @bp.route("/logout", methods=["GET", "POST"])
    @public
    def logout() -> BaseResponse | str:
        if request.method == "GET":
            if not current_user.is_authenticated:
                return redirect_to(url_for("auth.login"))
            return render_template("auth/logout.html", form=EmptyForm())
        form = EmptyForm()
        if current_user.is_authenticated and form.validate():
            audit.record("logout", origin=origin(), actor_id=current_user.id,
                         organisation_id=current_user.organisation_id)
            logout_user()
        sessions.end_session(session)  # type: ignore[arg-type]
        db.session.commit()
        flash(_("You have signed out."), "info")
        return redirect_to(url_for("auth.login"))

    @bp.route("/activate/<token>", methods=["GET", "POST"])
    @public
    def activate(token: str) -> BaseResponse | tuple[str, int]:
        try:
            _record, user = credentials.token_user(token)
        except credentials.TokenInvalid:
            return render_template("auth/activate_invalid.html"), 404
        form = NewPasswordForm()
        if request.method == "POST":
            if not form.validate():
                return render_template("auth/activate.html", form=form, user=user, errors=[
                    _("Enter the new password twice.")]), 400
            try:
                credentials.activate(token, form.password.data, form.password_confirm.data, origin())
            except credentials.PasswordRejected as rejected:
                return render_template("auth/activate.html", form=form, user=user, errors=rejected.messages), 400
            except credentials.TokenInvalid:
                return render_template("auth/activate_invalid.html"), 404
            if current_user.is_authenticated:
                logout_user()
            sessions.end_session(session)  # type: ignore[arg-type]
            flash(_("Your password has been set. Please sign in."), "info")
            return redirect_to(url_for("auth.login"))
        return render_template("auth/activate.html", form=form, user=user, errors=[]), 200

    @bp.route("/account/password", methods=["GET", "POST"])
    @exempt_from("consent", "password_age")
    def change_password() -> BaseResponse | tuple[str, int]:
        form = ChangePasswordForm()
        if request.method == "POST":
            if not form.validate():
                return render_template("auth/password.html", form=form, errors=[
                    _("Fill in every field.")]), 400
            try:
                ended = credentials.change_password(
                    current_user, form.current_password.data, form.password.data, form.password_confirm.data,
                    end_others=form.end_other_sessions.data, session_id=session.sid,  # type: ignore[attr-defined]
                    origin=origin(),
                )
            except credentials.PasswordRejected as rejected:
                return render_template("auth/password.html", form=form, errors=rejected.messages), 400
            flash(_("Your password has been changed.") + (
                " " + _("%(n)d other sessions were ended.", n=ended) if ended else ""), "info")
            return redirect_to(url_for("main.dashboard"))
        return render_template("auth/password.html", form=form, errors=[]), 200

    @bp.get("/account/sessions")
    def my_sessions() -> str:
        return render_template(
            "auth/sessions.html", sessions=sessions.active_sessions(current_user.id),
            current_sid=session.sid, form=EmptyForm(), now=clock.now(),  # type: ignore[attr-defined]
        )

    @bp.post("/account/sessions/end-others")
    def end_other_sessions() -> BaseResponse:
        ended = sessions.end_all_sessions(current_user.id, except_sid=session.sid)  # type: ignore[attr-defined]
        audit.record("session.ended_others", origin=origin(), actor_id=current_user.id,
                     organisation_id=current_user.organisation_id, ended=ended)
        db.session.commit()
        flash(_("%(n)d other sessions were ended.", n=ended), "info")
        return redirect_to(url_for("auth.my_sessions"))

    @bp.post("/account/sessions/<sid>/end")
    def end_one_session(sid: str) -> BaseResponse:
        if sid != session.sid and sessions.end_session_by_id(current_user.id, sid):  # type: ignore[attr-defined]
            audit.record("session.ended", origin=origin(), actor_id=current_user.id,
                         organisation_id=current_user.organisation_id, target=sid[:12])
            db.session.commit()
            flash(_("The session was ended."), "info")
        return redirect_to(url_for("auth.my_sessions"))

    return bp
