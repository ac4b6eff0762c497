"""/applications: list, file, show and decide, withdraw, fix and resubmit. Thin over service.py."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from webapp.applications import policy, queries, service
from webapp.applications.drafts import Draft
from webapp.applications.errors import AlreadyDecided, ApplicationError, Forbidden, Invalid, NotFound, UnknownTarget
from webapp.applications.forms import ApplicationForm, DecisionForm, WithdrawForm
from webapp.applications.labels import KIND_LABELS, STATE_LABELS, TRANSITION_LABELS, decision_message
from webapp.applications.models import Application
from webapp.applications.views import address_holder, before_after
from webapp.extensions import db
from webapp.forms import FormErrors, validation_problems
from webapp.guard import record_refusal, requires_role
from webapp.orgs.models import Organisation
from webapp.web import is_htmx, origin, redirect_to

READERS = ("org_admin", "responsible", "sysadmin")


def _draft(form: ApplicationForm) -> Draft:
    return Draft(
        kind=form.kind.data or "", target=form.target.data or "", name=form.name.data or "",
        department=form.department.data or "", email=form.email.data or "",
        emergency_phone=form.emergency_phone.data or "",
        roles=[r for r in (form.role.data or []) if isinstance(r, str)],
        natural_person=bool(form.natural_person.data), note=form.note.data or "",
    )


def _labels() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "state_labels": STATE_LABELS, "transition_labels": TRANSITION_LABELS}


def _audit_unknown_target(invalid: Invalid) -> None:
    """A user ID of nobody in the organisation: perhaps a typo, perhaps another organisation's
    person tried, which reads the same to the applicant but not in the audit log."""
    if isinstance(invalid, UnknownTarget):
        record_refusal("access.object_refused", tried=invalid.login_id)


def _form_page(form: ApplicationForm, errors: list[Any], status: int, application: Application | None = None
               ) -> tuple[str, int]:
    return render_template("applications/form.html", form=form, errors=FormErrors("form-errors", errors),
                           application=application, **_labels()), status


def _show_page(application: Application, errors: list[Any] | None = None, status: int = 200,
               form: DecisionForm | None = None, sent: str = "") -> tuple[str, int]:
    """`sent`: which of the page's forms was refused ("decision", "withdraw"), whose inputs are marked."""
    return render_template(
        "applications/show.html", application=application, rows=before_after(application),
        events=queries.timeline(application), form=form or DecisionForm(),
        errors=FormErrors("decision-errors", errors or [], sent),
        may_decide=policy.can_decide(current_user, application),
        may_withdraw=policy.can_withdraw(current_user, application),
        may_resubmit=policy.can_resubmit(current_user, application),
        address_holder=address_holder(application, current_user), **_labels(),
    ), status


def _visible_or_404(application_id: int) -> Application:
    try:
        return service.visible(current_user, application_id)
    except NotFound:
        abort(404)


def make_blueprint() -> Blueprint:
    bp = Blueprint("applications", __name__)

    @bp.get("/applications")
    @requires_role(*READERS)
    def index() -> str:
        flt = queries.ApplicationFilter.from_args(request.args)
        page = queries.list_applications(current_user, flt)
        context = {"page": page, "flt": flt, **_labels()}
        if is_htmx():
            return render_template("applications/_rows.html", fragment=True, **context)
        organisations = (db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
                         if current_user.is_sysadmin else [])
        return render_template("applications/index.html", organisations=organisations, **context)

    @bp.route("/applications/new", methods=["GET", "POST"])
    @requires_role("org_admin")
    def new() -> BaseResponse | tuple[str, int]:
        form = ApplicationForm()
        if request.method != "POST":
            form.kind.data = request.args.get("kind", "add")[:20]
            form.target.data = request.args.get("target", "")[:40]
            return _form_page(form, [], 200)
        if not form.validate():
            return _form_page(form, validation_problems(form), 400)
        try:
            application = service.submit(current_user, _draft(form), origin())
        except Invalid as invalid:
            _audit_unknown_target(invalid)
            return _form_page(form, invalid.messages, 400)
        except Forbidden as refused:
            record_refusal("access.denied")
            return _form_page(form, [refused.message], 403)
        flash(_("Application No. %(id)d has been submitted.", id=application.id), "success")
        return redirect_to(url_for("applications.show", application_id=application.id))

    @bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
    @requires_role(*READERS)
    def show(application_id: int) -> BaseResponse | tuple[str, int]:
        application = _visible_or_404(application_id)
        if request.method != "POST":
            return _show_page(application)
        form = DecisionForm()
        if not form.validate():
            return _show_page(application, validation_problems(form), 400, form, "decision")
        try:
            service.decide(current_user, application_id, form.decision.data or "", form.reason.data or "", origin())
        except NotFound:
            abort(404)
        except ApplicationError as error:
            status = {Invalid: 400, Forbidden: 403, AlreadyDecided: 409}.get(type(error), 400)
            messages = error.messages if isinstance(error, Invalid) else [error.message]
            db.session.rollback()
            if isinstance(error, Forbidden):
                record_refusal("access.denied")
            return _show_page(_visible_or_404(application_id), messages, status, form, "decision")
        flash(decision_message(application.state, application_id), "success")
        return redirect_to(url_for("applications.show", application_id=application_id))

    @bp.post("/applications/<int:application_id>/withdraw")
    @requires_role("org_admin")
    def withdraw(application_id: int) -> BaseResponse | tuple[str, int]:
        application = _visible_or_404(application_id)
        form = WithdrawForm()
        if not form.validate():
            return _show_page(application, validation_problems(form), 400, sent="withdraw")
        try:
            service.withdraw(current_user, application_id, origin(), form.reason.data or "")
        except NotFound:
            abort(404)
        except (Forbidden, AlreadyDecided) as error:
            return _show_page(application, [error.message], 403 if isinstance(error, Forbidden) else 409)
        flash(_("Application No. %(id)d has been withdrawn.", id=application_id), "success")
        return redirect_to(url_for("applications.show", application_id=application_id))

    @bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
    @requires_role("org_admin")
    def edit(application_id: int) -> BaseResponse | tuple[str, int]:
        application = _visible_or_404(application_id)
        if not policy.can_resubmit(current_user, application):
            return _show_page(application, [_("Only the applicant can fix and resubmit a returned application.")], 403)
        form = ApplicationForm()
        if request.method != "POST":
            _prefill(form, application)
            return _form_page(form, [], 200, application)
        form.kind.data = application.kind
        if not form.validate():
            return _form_page(form, validation_problems(form), 400, application)
        try:
            service.resubmit(current_user, application_id, _draft(form), origin())
        except NotFound:
            abort(404)
        except Invalid as invalid:
            _audit_unknown_target(invalid)
            return _form_page(form, invalid.messages, 400, application)
        except (Forbidden, AlreadyDecided) as error:
            return _form_page(form, [error.message], 409, application)
        flash(_("Application No. %(id)d has been resubmitted.", id=application_id), "success")
        return redirect_to(url_for("applications.show", application_id=application_id))

    return bp


def _prefill(form: ApplicationForm, application: Application) -> None:
    data, before = application.proposed, application.snapshot
    form.kind.data = application.kind
    form.target.data = before.get("login_id", "")
    for name in ("name", "department", "email", "emergency_phone"):
        getattr(form, name).data = data.get(name, "")
    form.role.data = data.get("roles", [])
    form.natural_person.data = application.natural_person
    form.note.data = application.note
