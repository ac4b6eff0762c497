"""/admin/audit: the full audit log, for system administrators. Thin over browse.py."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from webapp.audit import kinds, queries
from webapp.audit.browse import browse
from webapp.audit.table import rows_html
from webapp.guard import requires_role
from webapp.web import is_htmx, origin


def make_blueprint() -> Blueprint:
    bp = Blueprint("audit", __name__)

    @bp.get("/admin/audit")
    @requires_role("sysadmin")
    def index() -> str:
        flt = queries.AuditFilter.from_args(request.args)
        fragment = is_htmx()
        view = browse(current_user._get_current_object(), flt, origin(),  # type: ignore[attr-defined]
                      scan_rows=current_app.config["PORTAL_AUDIT_TEXT_SCAN_ROWS"],
                      with_form=not fragment)
        template = "audit/_results.html" if fragment else "audit/index.html"
        return render_template(template, page=view.page, flt=flt, organisations=view.organisations,
                               kinds=view.kinds, kind_label=kinds.label, rows_html=rows_html)

    return bp
