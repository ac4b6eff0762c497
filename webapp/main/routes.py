from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp import migrate
from webapp.database import DatabaseFileLost
from webapp.extensions import db
from webapp.guard import public
from webapp.i18n import LOCALE_COOKIE, LOCALES
from webapp.web import safe_next

# Features add dashboard panels here: a template name rendered with the current user.
DASHBOARD_PANELS: list[str] = []


def make_blueprint() -> Blueprint:
    bp = Blueprint("main", __name__)

    @bp.get("/")
    def index() -> BaseResponse:
        return redirect(url_for("main.dashboard"))

    @bp.get("/dashboard")
    def dashboard() -> str:
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        return render_template("main/dashboard.html", user=user, panels=DASHBOARD_PANELS)

    @bp.get("/healthz")
    @public
    def healthz() -> tuple[BaseResponse, int]:
        try:
            db.check_file()  # the pooled connection would still read a removed file
            problem = migrate.schema_problem()  # reaches the database and reads its schema revision
        except DatabaseFileLost as lost:  # "removed" or "replaced": logged once where it was found
            return jsonify(status="error", database=lost.how), 503
        except Exception:  # report, never raise: this is what monitoring polls
            current_app.logger.exception("health check: database unreachable")
            return jsonify(status="error", database="unreachable"), 503
        if problem:  # "uninitialised" or "outdated" (`portal init` has not run for this code), or "newer"
            return jsonify(status="error", database=problem), 503
        if db.file_read_only():  # pages that only read still work; every sign-in and change fails
            db.reopen_connections()  # this request's own, opened read-only
            return jsonify(status="error", database="read-only"), 503
        return jsonify(status="ok", database="ok"), 200

    @bp.get("/lang/<code>")
    @public
    def set_language(code: str) -> BaseResponse:
        response = make_response(redirect(safe_next(request.args.get("next"), "auth.login")))
        if code in LOCALES:
            response.set_cookie(
                LOCALE_COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True,
                secure=current_app.config["PORTAL_ENV"] != "development",
            )
        return response

    return bp
