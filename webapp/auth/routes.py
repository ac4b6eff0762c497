"""Sign-in: login (password), one-time code, new code, logout. Account pages: routes_account.py."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response as BaseResponse

from webapp.auth import devices, hooks, routes_account, service, sessions
from webapp.auth.forms import CodeForm, EmptyForm, LoginForm, first_error
from webapp.auth.gates import tell_session_ended
from webapp.guard import public
from webapp.mail import outbox
from webapp.web import origin, redirect_to, safe_next

Page = tuple[str, int] | tuple[str, int, dict[str, str]]


def generic_failure() -> str:
    """One message for unknown ID, wrong password, locked and suspended: no enumeration."""
    return _("The user ID or password is incorrect, or the account cannot be used at the moment.")


def mail_not_sent() -> str:
    return _("The one-time code could not be sent by mail right now. It will be sent again automatically; "
             "if it does not arrive within a few minutes, please sign in again later.")


# Set while the mail with this browser's code could not be handed to the mail server yet.
CODE_MAIL_WAITING = "code_mail_waiting"


def _login_page(form: LoginForm | None, error: str | None = None, status: int = 200,
                **extra: object) -> tuple[str, int]:
    """The form is None on a plain GET: the page's CSRF token comes from csrf_token()."""
    return render_template("auth/login.html", form=form, error=error, **extra), status


def _code_page(pending: object, error: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("auth/code.html", pending=pending, error=error,
                           mail_waiting=session.get(CODE_MAIL_WAITING, False)), status


def _deliver_now(mail_id: int) -> bool:
    """Send the code mail before answering (bounded by PORTAL_MAIL_TIMEOUT_SECONDS), exactly once:
    taking this request's committed ids keeps the after-request hook from trying a second time."""
    return outbox.deliver_first(mail_id, outbox.take_committed_ids())


def _session_id() -> str | None:
    return getattr(session, "sid", None)


def no_more_codes_now(minutes: int) -> str:
    return _("No more codes can be sent for now. Enter the code already sent, or sign in again in %(n)d minutes.",
             n=minutes)


def _code_mail_withheld(form: LoginForm, withheld: service.CodeMailWithheld) -> BaseResponse | Page:
    """A double submit or a second tab goes on with the code already sent; another browser hears
    why no code came (this answer follows a right password only, as the code page does)."""
    if service.waits_in_this_browser(withheld.user_id, session.get("pending_login"), _session_id()):
        flash(no_more_codes_now(withheld.minutes_left) if withheld.too_many else _(
            "A one-time code for this sign-in was requested a moment ago: enter it here. "
            "A new code can be requested in %(n)d seconds.", n=withheld.seconds_left), "info")
        return redirect_to(url_for("auth.code"))
    if withheld.too_many:
        message = _("Too many one-time codes have been sent to your e-mail address. "
                    "Please sign in again in %(n)d minutes.", n=withheld.minutes_left)
    else:
        message = _("A one-time code was requested a moment ago for a sign-in in another window or browser. "
                    "Enter it there, or sign in again in %(n)d seconds.", n=withheld.seconds_left)
    page, status = _login_page(form, message, 429, code_may_follow=not withheld.too_many)
    return page, status, {"Retry-After": str(withheld.seconds_left)}


def _device_account() -> int | None:
    return devices.account_of(request.cookies.get(devices.cookie_name(current_app)))


def make_blueprint() -> Blueprint:
    bp = Blueprint("auth", __name__)

    @bp.route("/login", methods=["GET", "POST"])
    @public
    def login() -> BaseResponse | Page:
        if current_user.is_authenticated:
            return redirect_to(url_for("main.dashboard"))
        if request.method != "POST":
            if request.args.get("next"):
                session["next"] = safe_next(request.args.get("next"))
            if session.get("_expired"):
                tell_session_ended()
            return _login_page(None)
        form = LoginForm()
        if not form.validate():
            return _login_page(form, first_error(form), 400)
        try:
            user = service.check_password(form.login_id.data, form.password.data, origin(), _device_account())
        except service.TooManyAttempts as blocked:
            page, status = _login_page(form, _(
                "Too many failed sign-ins from this network. Please wait a while and try again."), 429)
            return page, status, {"Retry-After": str(blocked.retry_after)}
        except service.LoginRefused:
            return _login_page(form, generic_failure(), 401)
        except service.CodeMailWithheld as withheld:
            return _code_mail_withheld(form, withheld)
        refusal = hooks.first_refusal(user, origin())
        if refusal:
            return _login_page(form, refusal, 403)
        previous_sid = _session_id()
        sessions.regenerate(session)  # type: ignore[arg-type]

        def remember(pending_id: int) -> None:
            session["pending_login"] = pending_id
            sessions.write_now(session)  # type: ignore[arg-type]

        step = service.start_pending_login(user, session.sid, origin(),  # type: ignore[attr-defined]
                                           replaces_session_id=previous_sid, remember=remember)
        if step.mail_id is not None and not _deliver_now(step.mail_id):
            session[CODE_MAIL_WAITING] = True  # the code page must not say that it was sent
            return _login_page(form, mail_not_sent(), 503, code_may_follow=True)
        return redirect_to(url_for("auth.code"))

    @bp.route("/login/code", methods=["GET", "POST"])
    @public
    def code() -> BaseResponse | Page:
        pending = service.pending_for(session.get("pending_login"), _session_id())
        if pending is None:
            flash(_("Please sign in with your user ID and password first."), "info")
            return redirect_to(url_for("auth.login"))
        if request.method != "POST":
            return _code_page(pending)
        form = CodeForm()
        if not form.validate():
            return _code_page(pending, first_error(form), 400)
        if service.clean_code(form.code.data) is None:  # cannot be right: not counted as a try
            return _code_page(pending, _("Enter the 6-digit code."), 400)
        refusal = service.refusal_at_code_step(pending, origin())
        if refusal:
            session.pop("pending_login", None)
            return _login_page(None, refusal, 403)
        try:
            user = service.verify_code(pending, form.code.data, origin(), _device_account())
        except service.TooManyAttempts as blocked:
            page, status = _code_page(pending, _(
                "Too many failed sign-ins from this network. Please wait a while and try again."), 429)
            return page, status, {"Retry-After": str(blocked.retry_after)}
        except service.CodeRefused as refused:
            if refused.reason == "wrong":
                return _code_page(pending, _("The code is not correct."), 401)
            session.pop("pending_login", None)
            flash(_("The code is no longer valid. Please sign in again."), "error")
            return redirect_to(url_for("auth.login"))
        next_url = session.get("next")
        sessions.regenerate(session)  # type: ignore[arg-type]
        for key in ("pending_login", "next", "csrf_token", CODE_MAIL_WAITING):  # a fresh CSRF token too
            session.pop(key, None)
        g.pop("csrf_token", None)
        generate_csrf()  # now, so it is stored with the sign-in rather than by a write on the next page
        login_user(user)
        sessions.complete_sign_in(session, user, origin(), pending.method)  # type: ignore[arg-type]
        if user.status != "active":  # a detector suspended the account at this very sign-in
            logout_user()
            sessions.sign_out(session, None, origin())  # type: ignore[arg-type]
            flash(_("Your account has been suspended. The e-mail sent to your address says what to do."), "error")
            return redirect_to(url_for("auth.login"))
        response = redirect_to(safe_next(next_url))
        devices.remember(current_app, response, user.id)  # its next sign-ins pass the address's limit
        return response

    @bp.post("/login/code/resend")
    @public
    def resend_code() -> BaseResponse:
        try:
            mail_id = service.resend_code(session.get("pending_login"), _session_id(), origin())
        except service.ResendTooSoon as soon:
            flash(_("You can request a new code in %(n)d seconds.", n=soon.seconds_left), "error")
            return redirect_to(url_for("auth.code"))
        except service.ResendLimitReached:
            flash(_("No more codes can be sent for this sign-in. Please sign in again."), "error")
            return redirect_to(url_for("auth.code"))
        except service.CodeMailWithheld as withheld:
            flash(no_more_codes_now(withheld.minutes_left), "error")
            return redirect_to(url_for("auth.code"))
        except service.CodeRefused:
            flash(_("Please sign in with your user ID and password first."), "info")
            return redirect_to(url_for("auth.login"))
        if _deliver_now(mail_id):
            session.pop(CODE_MAIL_WAITING, None)
            flash(_("A new code has been sent. The previous code no longer works."), "info")
        else:
            session[CODE_MAIL_WAITING] = True
            flash(_("The code could not be sent right now. It will be sent again automatically."), "error")
        return redirect_to(url_for("auth.code"))

    @bp.route("/logout", methods=["GET", "POST"])
    @public
    def logout() -> BaseResponse | str:
        if request.method != "POST":
            if not current_user.is_authenticated:
                return redirect_to(url_for("auth.login"))
            return render_template("auth/logout.html", form=EmptyForm())
        user = current_user._get_current_object() if current_user.is_authenticated else None
        if user is not None:
            logout_user()
        sessions.sign_out(session, user, origin())  # type: ignore[arg-type]
        flash(_("You have signed out."), "info")
        return redirect_to(url_for("auth.login"))

    routes_account.register(bp)
    return bp
