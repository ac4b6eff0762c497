"""System administrators write drafts, preview them against the current text, and publish."""
from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from webapp import clock
from webapp.consent import diff, documents, publishing
from webapp.consent.documents import DocumentError
from webapp.consent.forms import DocumentForm, EmptyForm
from webapp.consent.models import KINDS, DocumentVersion
from webapp.consent.publishing import DraftInput
from webapp.consent.texts import document_error, kind_label
from webapp.extensions import db
from webapp.guard import exempt_from, requires_role
from webapp.web import origin, redirect_to


def _version_or_404(version_id: int) -> DocumentVersion:
    row = db.session.get(DocumentVersion, version_id)
    if row is None:
        abort(404)
    return row


def _editable_text(row: DocumentVersion) -> str:
    if row.kind != "items":
        return row.body
    specs = [documents.ItemSpec(i.item_key, i.text, tuple(sorted(i.category_set))) for i in row.items]
    return documents.format_items(row.body, specs)


def _prefill(form: DocumentForm, kind: str) -> None:
    """A new draft starts from the latest published text: a revision is an edit of it."""
    form.kind.data = kind
    latest = publishing.latest_published(kind)
    if latest is not None:
        form.body.data = _editable_text(latest)
        form.must_read_to_end.data = latest.must_read_to_end


def _draft_input(form: DocumentForm) -> DraftInput:
    return DraftInput(kind=form.kind.data or "", version=form.version.data or "",
                      effective_on=form.effective_on.data or "", summary=form.summary.data or "",
                      body=form.body.data or "", must_read_to_end=bool(form.must_read_to_end.data))


# The input a refused draft is about (the page marks it; the message stands above the form).
_WRONG_FIELD = {"kind": "kind", "version": "version", "duplicate_version": "version", "not_newer": "version",
                "date": "effective_on", "date_range": "effective_on", "past_date": "effective_on",
                "before_latest": "effective_on", "summary": "summary", "characters": "body", "length": "body",
                "items_line": "body", "items_category": "body", "no_items": "body", "too_many_items": "body",
                "duplicate_items": "body", "empty_body": "body"}


def _form_page(form: DocumentForm, row: DocumentVersion | None, error: str | None, status: int,
               wrong: str = "") -> tuple[str, int]:
    kind = row.kind if row else form.kind.data
    return render_template("consent/admin_form.html", form=form, row=row, error=error,
                           wrong=(wrong,) if wrong else (), document=kind_label(kind) if kind in KINDS else None,
                           items_example=documents.ITEMS_FORMAT_EXAMPLE), status


def _save(form: DocumentForm, row: DocumentVersion | None) -> BaseResponse | tuple[str, int]:
    if not form.validate():
        return _form_page(form, row, _("Please correct the fields marked below."), 400)
    try:
        saved = publishing.save_draft(_draft_input(form), actor_id=current_user.id, origin=origin(),
                                      draft_id=row.id if row else None)
    except DocumentError as error:
        return _form_page(form, row, document_error(error.code, error.details), 400,
                          _WRONG_FIELD.get(error.code, ""))
    flash(_("The draft has been saved. Check the preview before publishing."), "success")
    return redirect_to(url_for("consent.admin_preview", version_id=saved.id))


def register(bp: Blueprint) -> None:
    @bp.get("/admin/terms")
    @requires_role("sysadmin")
    @exempt_from("consent")
    def admin_documents() -> str:
        rows = db.session.scalars(select(DocumentVersion)).all()
        by_kind = {kind: sorted((r for r in rows if r.kind == kind),
                                key=lambda r: documents.version_key(r.version), reverse=True) for kind in KINDS}
        from webapp.consent.acceptance import current_version_ids

        return render_template("consent/admin_list.html", by_kind=by_kind, current=current_version_ids(),
                               now=clock.now())

    @bp.route("/admin/terms/new", methods=["GET", "POST"])
    @requires_role("sysadmin")
    @exempt_from("consent")
    def admin_new() -> BaseResponse | tuple[str, int]:
        form = DocumentForm()
        if request.method == "POST":
            return _save(form, None)
        _prefill(form, request.args.get("kind") if request.args.get("kind") in KINDS else "terms")
        return _form_page(form, None, None, 200)

    @bp.route("/admin/terms/<int:version_id>/edit", methods=["GET", "POST"])
    @requires_role("sysadmin")
    @exempt_from("consent")
    def admin_edit(version_id: int) -> BaseResponse | tuple[str, int]:
        row = _version_or_404(version_id)
        if row.is_published:
            flash(document_error("not_draft", {}), "error")
            return redirect_to(url_for("consent.admin_preview", version_id=row.id))
        form = DocumentForm()
        if request.method == "POST":
            return _save(form, row)
        form = DocumentForm(data={"kind": row.kind, "version": row.version,
                                  "effective_on": row.effective_on.isoformat(), "summary": row.summary,
                                  "body": _editable_text(row), "must_read_to_end": row.must_read_to_end})
        return _form_page(form, row, None, 200)

    @bp.get("/admin/terms/<int:version_id>")
    @requires_role("sysadmin")
    @exempt_from("consent")
    def admin_preview(version_id: int) -> str:
        row = _version_or_404(version_id)
        latest = publishing.latest_published(row.kind)
        base = latest if latest is not None and latest.id != row.id else None
        blocks = diff.compare(publishing.full_text(base), publishing.full_text(row)) if base else []
        days = (row.effective_on - clock.now_jst().date()).days
        return render_template("consent/admin_preview.html", row=row, base=base, blocks=blocks, days=days,
                               render=documents.render_markdown, form=EmptyForm(), expand=False)

    @bp.post("/admin/terms/<int:version_id>/publish")
    @requires_role("sysadmin")
    @exempt_from("consent")
    def admin_publish(version_id: int) -> BaseResponse:
        row = _version_or_404(version_id)
        try:
            result = publishing.publish_draft(row.id, actor_id=current_user.id, origin=origin())
        except DocumentError as error:
            flash(document_error(error.code, error.details), "error")
            return redirect_to(url_for("consent.admin_preview", version_id=version_id))
        flash(_("Version %(version)s has been published. A notice mail has been queued for %(n)d active users.",
                version=result.version.version, n=result.mails_queued), "success")
        return redirect_to(url_for("consent.admin_documents"))

    @bp.post("/admin/terms/<int:version_id>/delete")
    @requires_role("sysadmin")
    @exempt_from("consent")
    def admin_delete(version_id: int) -> BaseResponse:
        row = _version_or_404(version_id)
        try:
            publishing.delete_draft(row.id, actor_id=current_user.id, origin=origin())
        except DocumentError as error:
            flash(document_error(error.code, error.details), "error")
            return redirect_to(url_for("consent.admin_preview", version_id=version_id))
        flash(_("The draft has been deleted."), "success")
        return redirect_to(url_for("consent.admin_documents"))
