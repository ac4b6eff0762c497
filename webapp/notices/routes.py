"""/admin/notices (system administrators post) and /notices/<id>/read (anyone signed in)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.forms import FormErrors, problems_of, select_choices, validation_problems
from webapp.guard import requires_role
from webapp.notices import service
from webapp.notices.forms import NoticeForm, WithdrawNoticeForm
from webapp.notices.labels import KIND_LABELS
from webapp.orgs.regions import CATEGORY_LABELS
from webapp.web import is_htmx, origin, redirect_to


def _admin_page(form: NoticeForm, problems: Any = (), status: int = 200, sent: str = "") -> tuple[str, int]:
    """`sent`: the refused form ("post", or "withdraw-<id>"), whose inputs are marked."""
    form.kind.choices = select_choices((k, str(v)) for k, v in KIND_LABELS.items())
    form.audience.choices = select_choices([("", _("Everyone"))] + [(k, str(v)) for k, v in CATEGORY_LABELS.items()])
    return render_template("notices/admin.html", form=form, errors=FormErrors("notice-error", problems, sent),
                           notices=service.all_posted(),
                           kind_labels=KIND_LABELS, category_labels=CATEGORY_LABELS), status


def make_blueprint() -> Blueprint:
    bp = Blueprint("notices", __name__)

    @bp.route("/admin/notices", methods=["GET", "POST"])
    @requires_role("sysadmin")
    def admin() -> BaseResponse | tuple[str, int]:
        form = NoticeForm()
        if not form.is_submitted():
            return _admin_page(form)
        if not form.validate():
            return _admin_page(form, validation_problems(form), 400, "post")
        try:
            service.post(current_user._get_current_object(), form.kind.data or "", form.title.data or "",  # type: ignore[attr-defined]
                         form.body.data or "", form.audience.data or "", origin())
        except service.Invalid as refused:
            return _admin_page(form, problems_of(refused), 400, "post")
        except service.NotFound:
            abort(404)
        flash(_("The notice was posted."), "info")
        return redirect_to(url_for("notices.admin"))

    @bp.get("/notices")
    def index() -> str:
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        return render_template("notices/index.html", items=service.for_user(user, limit=service.LISTED))

    @bp.post("/notices/<int:notice_id>/read")
    def mark_read(notice_id: int) -> BaseResponse | tuple[str, int]:
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        try:
            service.mark_read(user, notice_id)
        except service.NotFound:
            abort(404)
        if is_htmx():
            return render_template("notices/_dashboard_panel.html", user=user, marked=notice_id), 200
        back = "notices.index" if request.form.get("back") == "list" else "main.dashboard"
        return redirect_to(url_for(back))

    @bp.post("/admin/notices/<int:notice_id>/withdraw")
    @requires_role("sysadmin")
    def withdraw(notice_id: int) -> BaseResponse | tuple[str, int]:
        form = WithdrawNoticeForm()
        if not form.validate():
            return _admin_page(NoticeForm(formdata=None), validation_problems(form), 400, f"withdraw-{notice_id}")
        try:
            service.withdraw(current_user._get_current_object(), notice_id, form.reason.data or "",  # type: ignore[attr-defined]
                             origin())
        except service.NotFound:
            abort(404)
        except service.Invalid as refused:
            return _admin_page(NoticeForm(formdata=None), problems_of(refused), 400, f"withdraw-{notice_id}")
        flash(_("The notice was withdrawn."), "info")
        return redirect_to(url_for("notices.admin"))

    return bp
