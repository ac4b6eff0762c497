"""The consent page, the user's consent history, and the public documents with their 新旧対照表."""
from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp import clock
from webapp.consent import acceptance, diff, documents, publishing
from webapp.consent.acceptance import ConsentRefused, Shown, Submission
from webapp.consent.models import KINDS
from webapp.consent.texts import PUBLIC_PATHS, kind_label
from webapp.guard import exempt_from, public
from webapp.i18n import join_list
from webapp.web import current_path, is_htmx, origin, redirect_to, safe_next

NEXT_KEY = "consent_next"


def require_consent(user) -> BaseResponse | None:
    """The consent gate: nothing but the consent page until every version in force is accepted."""
    if not user.is_authenticated or not acceptance.pending(user):
        return None
    if request.method == "GET" and not is_htmx():
        session[NEXT_KEY] = current_path()
    return redirect_to(url_for("consent.page"))


def box_label(box_id: str, pages: list[Shown]) -> str:
    """How a missing box is named in the error: the document and version, or the item's words."""
    for page in pages:
        if page.version.kind == box_id:
            return _("%(document)s version %(version)s", document=kind_label(box_id), version=page.version.version)
        for item in page.items:
            if item.item_key == box_id:
                return _("“%(text)s”", text=item.text if len(item.text) <= 40 else item.text[:40] + "…")
    return box_id


def _refusal_message(refused: ConsentRefused, pages: list[Shown]) -> str:
    if refused.reason == "missing":
        return _("Please tick every box. Not ticked: %(items)s",
                 items=join_list(box_label(b, pages) for b in refused.missing))
    if refused.reason == "unknown":
        return _("The form contained items that are not part of the current documents. Nothing was recorded; "
                 "please review the documents and try again.")
    return _("The documents have changed since this page was shown. Nothing was recorded; please read the "
             "current versions below and accept them.")


def _consent_page(refused: ConsentRefused | None = None, submission: Submission | None = None) -> tuple[str, int]:
    pages = acceptance.shown(acceptance.pending(current_user))
    ticked = set(submission.ticked) if submission and refused and refused.reason == "missing" else set()
    error = _refusal_message(refused, pages) if refused else None
    status = 200 if refused is None else (409 if refused.reason == "outdated" else 400)
    return render_template("consent/page.html", pages=pages, ticked=ticked, error=error,
                           missing=set(refused.missing) if refused else set(),
                           render=documents.render_markdown), status


def _public_document(kind: str, version_text: str | None) -> tuple[str, int]:
    versions = publishing.published_versions(kind)
    current_id = acceptance.current_version_ids().get(kind)
    current = next((v for v in versions if v.id == current_id), None)
    if version_text is None:
        shown_version = current
    else:
        shown_version = next((v for v in versions if v.version == version_text), None)
        if shown_version is None:
            abort(404)
    return render_template(
        "consent/public.html", kind=kind, versions=versions, version=shown_version, current=current,
        upcoming=[v for v in versions if v.effective_at > clock.now()], render=documents.render_markdown,
        now=clock.now(),
        previous_of={v.id: (versions[i + 1] if i + 1 < len(versions) else None) for i, v in enumerate(versions)},
    ), 200


def _compared_pair(versions: list, old_arg: str | None, new_arg: str | None) -> tuple:
    """The versions named in the query, or by default the latest and the one before it; unknown: 404."""
    by_number = {v.version: v for v in versions}
    new = by_number.get(new_arg) if new_arg else (versions[0] if versions else None)
    if new_arg and new is None:
        abort(404)
    if old_arg:
        old = by_number.get(old_arg)
        if old is None:
            abort(404)
        return old, new
    older = [v for v in versions if new is not None and documents.version_key(v.version)
             < documents.version_key(new.version)]
    return (older[0] if older else None), new


def make_blueprint() -> Blueprint:
    bp = Blueprint("consent", __name__)

    @bp.route("/consent", methods=["GET", "POST"])
    @exempt_from("consent")
    def page() -> BaseResponse | tuple[str, int]:
        if request.method != "POST":
            return _consent_page()
        submission = Submission(request.form.getlist("version"), request.form.getlist("item"))
        try:
            acceptance.accept(current_user, submission, origin())
        except ConsentRefused as refused:
            return _consent_page(refused, submission)
        flash(_("Thank you. Your consent has been recorded."), "success")
        return redirect_to(safe_next(session.pop(NEXT_KEY, None)))

    @bp.get("/consent/history")
    @exempt_from("consent")
    def history() -> str:
        return render_template("consent/history.html", entries=acceptance.history(current_user.id),
                               pending=acceptance.pending(current_user))

    def document_views(kind: str) -> None:
        path = PUBLIC_PATHS[kind]

        @public
        def current_view() -> tuple[str, int]:
            return _public_document(kind, None)

        @public
        def version_view(version: str) -> tuple[str, int]:
            if not documents.VERSION_PATTERN.fullmatch(version):
                abort(404)
            return _public_document(kind, version)

        bp.add_url_rule(path, f"{kind}_current", current_view, methods=["GET"])
        bp.add_url_rule(f"{path}/<version>", f"{kind}_version", version_view, methods=["GET"])

    for kind in KINDS:
        document_views(kind)

    @bp.get("/terms/compare")
    @public
    def compare() -> tuple[str, int]:
        kind = request.args.get("kind", "terms")
        if kind not in KINDS:
            abort(404)
        versions = publishing.published_versions(kind)
        old, new = _compared_pair(versions, request.args.get("old"), request.args.get("new"))
        blocks = diff.compare(publishing.full_text(old), publishing.full_text(new)) if old and new else []
        return render_template("consent/compare.html", kind=kind, versions=versions, old=old, new=new,
                               blocks=blocks, expand=request.args.get("expand") == "1"), 200

    from webapp.consent import admin_routes, report_routes

    admin_routes.register(bp)
    report_routes.register(bp)
    return bp
