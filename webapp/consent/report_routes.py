"""Acceptance status per version for administrators and responsible persons, and the CSV export."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from webapp import clock
from webapp.consent import report
from webapp.consent.report import OutOfScope, Scope
from webapp.guard import requires_role
from webapp.web import origin

REPORT_ROLES = ("sysadmin", "responsible", "org_admin")
STATUSES = ("", "accepted", "pending")


def _scope() -> Scope:
    try:
        return report.scope_for(current_user, request.args.get("org"))
    except OutOfScope:
        abort(404)


def _page_number() -> int:
    text = request.args.get("page", "1")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 1


def register(bp: Blueprint) -> None:
    @bp.get("/consent/report")
    @requires_role(*REPORT_ROLES)
    def report_index() -> str:
        scope = _scope()
        return render_template("consent/report_index.html", scope=scope, rows=report.summary(scope),
                               organisations=report.organisations_for(current_user),
                               org_arg=request.args.get("org", ""))

    @bp.get("/consent/report/<int:version_id>")
    @requires_role(*REPORT_ROLES)
    def report_version(version_id: int) -> str:
        scope = _scope()
        try:
            version = report.published_version(version_id)
        except OutOfScope:
            abort(404)
        status = request.args.get("status", "")
        if status not in STATUSES:
            status = ""
        result = report.version_report(version, scope, status, _page_number())
        return render_template("consent/report.html", version=version, scope=scope, result=result, status=status,
                               organisations=report.organisations_for(current_user),
                               org_arg=request.args.get("org", ""))

    @bp.get("/consent/report/<int:version_id>/export.csv")
    @requires_role(*REPORT_ROLES)
    def report_export(version_id: int) -> Response:
        scope = _scope()
        try:
            version = report.published_version(version_id)
        except OutOfScope:
            abort(404)
        body = report.export_csv(version, scope, viewer=current_user, origin=origin())
        stamp = clock.now_jst().strftime("%Y%m%d-%H%M")
        filename = f"consent-{version.kind}-{version.version}-{stamp}.csv"
        return Response(body.encode("utf-8"), content_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})
