"""/records: the facility records of the signed-in person's scope, with search, pages and CSV export."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.guard import requires_role
from webapp.orgs.regions import CATEGORY_LABELS
from webapp.records import queries, scope, service
from webapp.records.fields import ALWAYS_SHOWN, ENERGY_SOURCES, FIELDS
from webapp.records.queries import RecordFilter
from webapp.records.table import rows_html
from webapp.web import is_htmx, origin, redirect_to


def _scope_or_403() -> scope.Scope:
    """Only operators of an organisation whose category sees records; everyone else 403."""
    found = scope.for_user(current_user._get_current_object())  # type: ignore[attr-defined]
    if found is None:
        abort(403)
    return found


def _page(found: scope.Scope, flt: RecordFilter, error: str | None = None, status: int = 200) -> tuple[str, int]:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    try:
        page = service.view(user, found, flt, origin())
    except service.Stopped as stopped:
        return _stopped(_("Viewing stopped"), str(stopped))
    fields = queries.visible_fields(found)
    context = {"page": page, "flt": flt, "scope": found, "fields": fields, "rows_html": rows_html,
               "energy_sources": ENERGY_SOURCES, "error": error}
    if is_htmx() and error is None:
        return render_template("records/_results.html", fragment=True, **context), status
    return render_template("records/index.html", **context), status


def _stopped(heading: str, message: str) -> tuple[str, int]:
    # htmx puts an error answer into the page's alert region: the fragment, not a page in a page.
    template = "records/_stopped.html" if is_htmx() else "records/stopped.html"
    return render_template(template, heading=heading, message=message), 403


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
            return _stopped(_("Export stopped"), str(stopped))
        return Response(result.body, content_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{result.filename}"'})

    @bp.get("/admin/records/scope")
    @requires_role("sysadmin")
    def scope_rules() -> tuple[str, int]:
        return _rules_page()

    @bp.post("/admin/records/scope/<category>")
    @requires_role("sysadmin")
    def change_scope_rule(category: str) -> BaseResponse | tuple[str, int]:
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        try:
            scope.change_rule(user, category, request.form.get("row_scope", ""), request.form.getlist("field"), origin())
        except LookupError:
            abort(404)
        except scope.Invalid as refused:
            return _rules_page(str(refused), 400)
        flash(_("The rule for %(category)s was saved.", category=CATEGORY_LABELS[category]), "info")
        return redirect_to(url_for("records.scope_rules"))

    return bp


def _rules_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("records/admin_scope.html", rules=scope.rules_by_category(), fields=FIELDS,
                           always_shown=ALWAYS_SHOWN, row_scopes=scope.ROW_SCOPES, category_labels=CATEGORY_LABELS,
                           error=error), status
