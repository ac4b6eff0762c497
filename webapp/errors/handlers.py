"""Error pages in the user's language, never a stack trace, security headers included
(the after-request hooks run for these responses too)."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, flash, render_template, request, session, url_for
from flask.globals import request_ctx
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response as BaseResponse

from webapp.database import DatabaseFileLost, is_busy, is_unreachable, is_unwritable
from webapp.extensions import db
from webapp.web import is_htmx, redirect_to

log = logging.getLogger(__name__)
PAGES = {400, 403, 404, 405, 413, 429, 500, 503}
BUSY_RETRY_SECONDS = 5
# Headers of the original error that tell the client what to do next.
KEPT_HEADERS = ("Allow", "Retry-After")

# Shown when even the error page cannot be rendered (the database is gone, a template broke).
LAST_RESORT = (
    '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>500 - Sekisho</title></head>'
    "<body><h1>500 システムエラーが発生しました</h1>"
    "<p>エラーは記録されました。時間をおいて再度お試しください。保存の操作中だった場合は、"
    "保存されたかどうかを確認してからやり直してください。</p>"
    "<p>An unexpected error occurred. Please try again later. If you were saving a change, "
    "check whether it was saved before you try again.</p></body></html>"
)


# The database has no schema, or an older one: no page can be drawn (each reads the session).
NOT_READY = (
    '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>503 - Sekisho</title></head>'
    "<body><h1>503 準備中です</h1><p>データベースの準備ができていません。運用担当者が "
    "<code>portal init</code> を実行すると利用できるようになります。</p>"
    "<p>The portal's database is not ready: its operator runs <code>portal init</code> to set it up.</p>"
    "</body></html>"
)

BAD_HOST = (
    '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>400 - Sekisho</title></head>'
    "<body><h1>400 リクエストを処理できません</h1><p>接続先のホスト名が正しくありません。</p>"
    "<p>The request could not be processed: the host name is not valid.</p></body></html>"
)


def _render(code: int, detail: str | None = None, error: HTTPException | None = None) -> Response:
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    if request_ctx.url_adapter is None:  # the Host header itself was refused: no page can link anywhere
        return Response(BAD_HOST, status=code, mimetype="text/html")
    try:
        body = render_template(template, code=code, detail=detail)
    except Exception:  # never let the error page itself raise: that would show the server's default page
        log.exception("error page %s could not be rendered", code)
        try:
            db.session.rollback()
        except Exception:
            log.exception("rollback failed")
        return Response(LAST_RESORT, status=code, mimetype="text/html")
    response = Response(body, status=code, mimetype="text/html")
    if error is not None:
        for name, value in error.get_headers():
            if name in KEPT_HEADERS:
                response.headers[name] = value
    return response


class Busy(HTTPException):
    """Raised before any view when the session could not be read for a busy database."""

    code = 503


class Unreachable(HTTPException):
    """Raised before any view when the session could not be read: the database server is down."""

    code = 503


# The database is held by another writer: this page reads nothing from it (the signed-in
# person, the navigation), or drawing it would wait for the same lock again.
BUSY = (
    '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>503 - Sekisho</title></head>'
    "<body><h1>503 システムが混み合っています</h1>"
    "<p>他の処理がデータベースを長く使用していたため、処理できませんでした。数秒後にもう一度お試しください。</p>"
    "<h1>503 The system is busy</h1>"
    "<p>Other work held the database for too long. Please try again in a few seconds.</p></body></html>"
)


# The database server cannot be reached: nothing of it can be read, not even the session.
UNREACHABLE = (
    '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>503 - Sekisho</title></head>'
    "<body><h1>503 一時的に利用できません</h1>"
    "<p>データベースに接続できないため、処理できませんでした。しばらくしてからもう一度お試しください。"
    "続く場合は運用担当者に連絡してください。</p>"
    "<h1>503 Temporarily unavailable</h1>"
    "<p>The portal cannot reach its database. Please try again in a while; if this goes on, tell its "
    "operator.</p></body></html>"
)
UNREACHABLE_RETRY_SECONDS = 30


class Lost(HTTPException):
    """Raised before any view: the database file was removed or replaced (webapp.database)."""

    code = 503


# What the database itself refuses, in the visitor's language: the language comes from a cookie,
# and nothing here reads the database (base.html would, for the signed-in person).
DATABASE_FAULT = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>503 - {name}</title></head>'
    "<body><h1>503 {title}</h1><p>{text}</p></body></html>"
)


def _database_fault(title: str, text: str) -> Response:
    body = DATABASE_FAULT.format(lang=escape(str(get_locale() or "ja")), name=escape(_("Sekisho")),
                                 title=escape(title), text=escape(text))
    return Response(body, status=503, mimetype="text/html")


class Unwritable(HTTPException):
    """Raised before any view when the session could not be read: the database cannot be written."""

    code = 503


UNWRITABLE_RETRY_SECONDS = 60


def _first_line(error: BaseException | None) -> str:
    lines = str(getattr(error, "orig", None) or error or "").strip().splitlines()
    return lines[0] if lines else "the session could not be read"


def _give_up_the_request(unavailable: str, *, close: bool = False) -> None:
    """After a database fault nothing of the request's transaction, nor of its session, is written."""
    try:
        if close:  # gives back the connection too: it may be on a file that is gone, or a dead server
            db.session.close()
        else:
            db.session.rollback()
    except Exception:
        log.exception("giving back the database session failed")
    if hasattr(session, "unavailable"):
        session.unavailable = unavailable


def _unwritable_page(error: BaseException | None) -> Response:
    log.error("the database cannot be written: %s", _first_line(error))
    db.reopen_connections()
    page = _database_fault(
        _("The portal cannot save changes"),
        _("The portal's database cannot be written: it is read-only, or its disk is full or failing. Nothing was "
          "changed. Please try again later; if this goes on, tell the portal's operator."))
    page.headers["Retry-After"] = str(UNWRITABLE_RETRY_SECONDS)
    return page


def _unwritable(error: BaseException | None) -> Response:
    _give_up_the_request("unwritable")
    return _unwritable_page(error)


def answer_unwritable(response: Response, error: BaseException) -> None:
    """Turn a finished answer into the 503 page, keeping the headers set for every answer (CSP...):
    for the session's write-back, which runs after the answer is made (webapp.auth.sessions)."""
    page = _unwritable_page(error)
    response.status_code = page.status_code
    for name in ("Location", "Content-Disposition"):  # of a redirect, of a download
        response.headers.remove(name)
    response.headers["Retry-After"] = page.headers["Retry-After"]
    response.content_type = page.content_type
    response.set_data(page.get_data())


def _lost() -> Response:
    """No retry helps until the file is restored and the portal restarted (webapp.database logged it)."""
    _give_up_the_request("lost", close=True)
    return _database_fault(
        _("The portal cannot use its database"),
        _("The database file was removed or replaced while the portal was running. Nothing was changed. "
          "Please tell the portal's operator: the database file must be restored and the portal restarted."))


def _unreachable(error: BaseException | None) -> Response:
    log.error("database unreachable: %s", _first_line(error))
    _give_up_the_request("unreachable", close=True)
    return Response(UNREACHABLE, status=503, mimetype="text/html",
                    headers={"Retry-After": str(UNREACHABLE_RETRY_SECONDS)})


def _busy() -> Response:
    _give_up_the_request("busy")
    return Response(BUSY, status=503, mimetype="text/html", headers={"Retry-After": str(BUSY_RETRY_SECONDS)})


def refuse_when_the_session_is_unreadable() -> None:
    """First of all request hooks (before the CSRF check, which reads the session)."""
    reason = getattr(session, "unavailable", None)
    if reason == "unreachable":
        raise Unreachable()
    if reason == "lost":
        if request.endpoint == "main.healthz":  # says it to monitoring itself, in JSON
            return
        raise Lost()
    if reason == "unwritable":
        raise Unwritable()
    if reason:
        raise Busy()


def _database_answer(error: BaseException | None) -> Response | None:
    """503 for a database that is busy, unreachable, gone or has no schema yet: not a fault of the request."""
    if isinstance(error, DatabaseFileLost):
        return _lost()
    if is_unwritable(error):
        return _unwritable(error)
    if is_busy(error):
        log.warning("database busy: %s", error)
        return _busy()
    if is_unreachable(error):
        return _unreachable(error)
    return _schema_not_ready(error)


def _schema_not_ready(error: BaseException | None) -> Response | None:
    """A 503 saying to run `portal init` when a database error comes from a missing schema."""
    if not isinstance(error, SQLAlchemyError):
        return None
    try:
        db.session.rollback()
        from webapp import migrate

        problem = migrate.schema_problem()
    except Exception:  # the database itself is gone: the usual error page
        return None
    if problem is None:
        return None
    if problem == "newer":
        log.warning("the database was created or upgraded by a newer version of the portal: run that version, "
                    "or restore a backup made for this one")
    else:
        log.warning("the database is %s: run `portal init`", problem)
    return Response(NOT_READY, status=503, mimetype="text/html", headers={"Retry-After": "60"})


def _ended_session_answer() -> BaseResponse | None:
    """A form sent from a browser whose session has ended (expired, "end the others", suspension)
    fails the CSRF check: its token belonged to the session that is gone. That is no forgery but
    the same as any page of an ended session: the sign-in page saying so (as the signed-in gate)."""
    from webapp.auth import gates, sessions

    if not request.cookies.get(sessions.cookie_name(current_app)):
        return None  # no session cookie at all (a cross-site form): the plain refusal
    if getattr(session, "sid", None) and not session.get("_expired"):
        return None  # the cookie names a live session: the token itself is wrong
    gates.tell_session_ended()
    return redirect_to(url_for("auth.login"))


def _audit_refusal(kind: str | None = None, code: int | None = None) -> None:
    """The refusal's audit entry (a CSRF failure by kind, a 403/404 of a view by code); never in
    the way of the answer."""
    from webapp.guard import record_object_refusal, record_refusal

    try:
        if kind is not None:
            record_refusal(kind)
        elif code is not None:
            record_object_refusal(code)
    except SQLAlchemyError:
        log.exception("the refusal could not be audited")
        db.session.rollback()


def make_blueprint() -> Blueprint:
    bp = Blueprint("errors", __name__)

    @bp.app_errorhandler(Busy)
    def busy(_error: Busy) -> Response:
        return _busy()

    @bp.app_errorhandler(Unreachable)
    def unreachable(_error: Unreachable) -> Response:
        return _unreachable(None)

    @bp.app_errorhandler(Lost)
    def lost(_error: Lost) -> Response:
        return _lost()

    @bp.app_errorhandler(Unwritable)
    def unwritable(_error: Unwritable) -> Response:
        return _unwritable(None)

    @bp.app_errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> Response:
        _audit_refusal("request.csrf_refused")  # a forged cross-site request in a signed-in browser
        ended = _ended_session_answer()
        return ended if ended is not None else _render(400, "csrf")

    @bp.app_errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        code = error.code or 500
        # An error before any view (the session is read first) reaches here as a 500 wrapping it.
        database = _database_answer(getattr(error, "original_exception", None))
        if database is not None:
            return database
        if code not in PAGES:
            return error
        if code in (403, 404):
            _audit_refusal(code=code)
        return _render(code, getattr(error, "detail", None), error=error)

    @bp.app_errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        database = _database_answer(error)
        if database is not None:
            return database
        log.exception("unhandled error", exc_info=error)
        try:
            db.session.rollback()
        except Exception:  # the database itself may be what failed
            log.exception("rollback failed")
        return _render(InternalServerError.code)

    return bp
