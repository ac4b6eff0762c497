"""/records: the facility records of the signed-in person's scope, with search, pages and CSV export."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from webapp.records import queries, scope, service
from webapp.records.fields import ENERGY_SOURCES
from webapp.records.queries import RecordFilter
from webapp.web import is_htmx, origin


def _scope_or_403() -> scope.Scope:
    """Only operators of an organisation whose category sees records; everyone else 403."""
    found = scope.for_user(current_user._get_current_object())  # type: ignore[attr-defined]
    if found is None:
        abort(403)
    return found


def _page(found: scope.Scope, flt: RecordFilter, error: str | None = None, status: int = 200) -> tuple[str, int]:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    page = service.view(user, found, flt, origin())
    context = {"page": page, "flt": flt, "scope": found, "fields": queries.visible_fields(found),
               "cells": queries.cells, "energy_sources": ENERGY_SOURCES, "error": error}
    if is_htmx() and error is None:
        return render_template("records/_results.html", **context), status
    return render_template("records/index.html", **context), status


def make_blueprint() -> Blueprint:
    bp = Blueprint("records", __name__)

    @bp.get("/records")
    def index() -> tuple[str, int]:
        found = _scope_or_403()
        return _page(found, RecordFilter.from_args(request.args, found))

    @bp.post("/records/export.csv")
    def export() -> Response | tuple[str, int]:
        found = _scope_or_403()
        flt = RecordFilter.from_args(request.form, found)
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        try:
            result = service.export(user, found, flt, origin())
        except service.TooMany as refused:
            return _page(found, flt, str(refused), 400)
        except service.Stopped as stopped:
            return render_template("records/stopped.html", message=str(stopped)), 403
        return Response(result.body, mimetype="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{result.filename}"'})

    return bp
