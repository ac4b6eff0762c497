from __future__ import annotations

import logging

from flask import Blueprint, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.extensions import db
from webapp.web import is_htmx

log = logging.getLogger(__name__)
PAGES = {400, 403, 404, 405, 413, 429, 500}


def _render(code: int, detail: str | None = None) -> tuple[str, int]:
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, detail=detail), code


def make_blueprint() -> Blueprint:
    bp = Blueprint("errors", __name__)

    @bp.app_errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> tuple[str, int]:
        return _render(400, "csrf")

    @bp.app_errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        code = error.code or 500
        if code not in PAGES:
            return error
        return _render(code)

    @bp.app_errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        log.exception("unhandled error", exc_info=error)
        try:
            db.session.rollback()
        except Exception:  # the database itself may be what failed
            log.exception("rollback failed")
        return _render(InternalServerError.code)

    return bp
