"""/users (organisation-scoped) and /admin/organisations (system administrators). Thin over the services."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from webapp.applications import queries as application_queries
from webapp.applications.labels import KIND_LABELS, STATE_LABELS, USER_STATUS_LABELS
from webapp.extensions import db
from webapp.forms import FormErrors, select_choices, validation_problems
from webapp.guard import requires_role
from webapp.hours import service as hours
from webapp.orgs import accounts, onboarding
from webapp.orgs.errors import Invalid, NotFound
from webapp.orgs.forms import OnboardingForm, OrganisationForm, ReasonForm, StatusForm
from webapp.orgs.models import Organisation
from webapp.ui import ROLE_LABELS
from webapp.orgs.regions import CATEGORY_LABELS, ONBOARDING_CATEGORIES, PREFECTURES, SUPPLY_AREAS, area_label
from webapp.web import is_htmx, origin, redirect_to

READERS = ("org_admin", "responsible", "sysadmin")


def _choices(form: OrganisationForm, organisation: Organisation | None = None) -> None:
    categories = ("operator",) if organisation is not None and organisation.category == "operator" else ONBOARDING_CATEGORIES
    form.category.choices = select_choices((c, str(CATEGORY_LABELS[c])) for c in categories)
    form.supply_area.choices = select_choices([("", "—")] + [(k, str(v)) for k, v in SUPPLY_AREAS.items()])
    form.prefecture.choices = select_choices([("", "—")] + [(k, str(v)) for k, v in PREFECTURES.items()])
    form.hours_profile.choices = select_choices(hours.profile_choices(include_system_default=True))


def _organisation_data(form: OrganisationForm) -> onboarding.OrganisationData:
    return onboarding.OrganisationData(
        name=form.name.data or "", category=form.category.data or "", supply_area=form.supply_area.data or "",
        prefecture=form.prefecture.data or "", hours_profile=form.hours_profile.data or "",
        security_manager_name=form.security_manager_name.data or "",
        security_manager_contact=form.security_manager_contact.data or "",
        allowed_networks=form.allowed_networks.data or "", require_totp=bool(form.require_totp.data))


def _labels() -> dict[str, Any]:
    return {"status_labels": USER_STATUS_LABELS, "category_labels": CATEGORY_LABELS, "area_label": area_label,
            "kind_labels": KIND_LABELS, "state_labels": STATE_LABELS, "role_names": ROLE_LABELS}


def _user_or_404(login_id: str) -> Any:
    try:
        return accounts.find_visible(current_user, login_id)
    except NotFound:
        abort(404)


def _organisation_or_404(organisation_id: int) -> Organisation:
    try:
        return onboarding.get(organisation_id)
    except NotFound:
        abort(404)


def make_blueprint() -> Blueprint:
    bp = Blueprint("orgs", __name__)
    _user_routes(bp)
    _sysadmin_user_routes(bp)
    _organisation_routes(bp)
    return bp


def _user_routes(bp: Blueprint) -> None:
    @bp.get("/users")
    @requires_role(*READERS)
    def users() -> str:
        flt = accounts.UserFilter.from_args(request.args)
        context = {"page": accounts.list_users(current_user, flt), "flt": flt, **_labels()}
        if is_htmx():
            return render_template("orgs/_user_rows.html", fragment=True, **context)
        organisations = (db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
                         if current_user.is_sysadmin else [])
        return render_template("orgs/users.html", organisations=organisations, **context)

    @bp.get("/users/<login_id>")
    @requires_role(*READERS)
    def user(login_id: str) -> tuple[str, int]:
        person = _user_or_404(login_id)
        return _user_page(person)

    @bp.post("/users/<login_id>/suspend")
    @requires_role("responsible", "sysadmin")
    def suspend_user(login_id: str) -> BaseResponse | tuple[str, int]:
        person = _user_or_404(login_id)
        form = ReasonForm()
        if not form.validate():
            return _user_page(person, validation_problems(form), 400, "suspend")
        try:
            accounts.suspend_now(current_user, login_id, form.reason.data or "", origin())
        except NotFound:
            abort(404)
        except Invalid as invalid:
            db.session.rollback()
            return _user_page(person, invalid.messages, 400, "suspend")
        flash(_("The account of %(name)s has been suspended and every session of it ended.", name=person.name),
              "success")
        return redirect_to(url_for("orgs.user", login_id=person.login_id))

    @bp.post("/users/<login_id>/unlock")
    @requires_role("sysadmin")
    def unlock_user(login_id: str) -> BaseResponse | tuple[str, int]:
        person = _user_or_404(login_id)
        if not ReasonForm().validate():
            abort(400)
        try:
            accounts.unlock_now(current_user, login_id, origin())
        except Invalid as invalid:
            return _user_page(person, invalid.messages, 400)
        flash(_("The account has been unlocked."), "success")
        return redirect_to(url_for("orgs.user", login_id=person.login_id))


def _sysadmin_user_routes(bp: Blueprint) -> None:
    @bp.post("/users/<login_id>/resume")
    @requires_role("sysadmin")
    def resume_user(login_id: str) -> BaseResponse | tuple[str, int]:
        person = _user_or_404(login_id)
        form = ReasonForm()
        if not form.validate():
            return _user_page(person, validation_problems(form), 400, "resume")
        try:
            accounts.resume_now(current_user, login_id, form.reason.data or "", origin())
        except Invalid as invalid:
            db.session.rollback()
            return _user_page(_user_or_404(login_id), invalid.messages, 400, "resume")
        flash(_("The account of %(name)s has been resumed.", name=person.name), "success")
        return redirect_to(url_for("orgs.user", login_id=person.login_id))

    @bp.post("/users/<login_id>/hours-exemption")
    @requires_role("sysadmin")
    def hours_exemption(login_id: str) -> BaseResponse | tuple[str, int]:
        person = _user_or_404(login_id)
        form = ReasonForm()
        if not form.validate():
            return _user_page(person, validation_problems(form), 400, "hours")
        exempt = request.form.get("exempt") == "y"
        try:
            accounts.set_hours_exemption(current_user, login_id, exempt, form.reason.data or "", origin())
        except Invalid as invalid:
            db.session.rollback()
            return _user_page(_user_or_404(login_id), invalid.messages, 400, "hours")
        flash(_("%(name)s may now work outside the hours of service.", name=person.name) if exempt else
              _("%(name)s now follows the hours of service.", name=person.name), "success")
        return redirect_to(url_for("orgs.user", login_id=person.login_id))

    @bp.post("/users/<login_id>/link")
    @requires_role("sysadmin")
    def send_link(login_id: str) -> BaseResponse | tuple[str, int]:
        person = _user_or_404(login_id)
        if not ReasonForm().validate():
            abort(400)
        try:
            accounts.send_new_link(current_user, login_id, origin())
        except Invalid as invalid:
            db.session.rollback()
            return _user_page(person, invalid.messages, 400)
        flash(_("A new link to set the password has been mailed to %(name)s.", name=person.name), "success")
        return redirect_to(url_for("orgs.user", login_id=person.login_id))


def _user_page(person: Any, errors: list[Any] | None = None, status: int = 200, sent: str = "") -> tuple[str, int]:
    """`sent`: which of the page's forms was refused ("suspend", "resume", "hours"), whose reason is marked."""
    return render_template(
        "orgs/user.html", person=person, applications=application_queries.for_user(person),
        errors=FormErrors("user-errors", errors or [], sent), form=ReasonForm(),
        may_suspend=accounts.can_suspend_now(current_user, person)
        and (current_user.is_sysadmin or current_user.has_role("responsible")),
        may_file=current_user.has_role("org_admin") and person.organisation_id == current_user.organisation_id,
        may_send_link=current_user.is_sysadmin and accounts.needs_new_link(person),
        **_labels(),
    ), status


def _organisation_routes(bp: Blueprint) -> None:
    @bp.get("/admin/organisations")
    @requires_role("sysadmin")
    def organisations() -> str:
        return render_template("orgs/organisations.html", rows=accounts.organisations_with_counts(), **_labels())

    @bp.route("/admin/organisations/new", methods=["GET", "POST"])
    @requires_role("sysadmin")
    def onboard() -> BaseResponse | tuple[str, int]:
        form = OnboardingForm()
        _choices(form)
        if request.method != "POST":
            return render_template("orgs/onboard.html", form=form, errors=FormErrors("form-errors")), 200
        if not form.validate():
            return render_template("orgs/onboard.html", form=form,
                                   errors=FormErrors("form-errors", validation_problems(form))), 400
        admin = onboarding.Person(form.admin_name.data or "", form.admin_department.data or "",
                                  form.admin_email.data or "")
        responsible = onboarding.Person(form.responsible_name.data or "", form.responsible_department.data or "",
                                        form.responsible_email.data or "", form.responsible_phone.data or "")
        try:
            organisation = onboarding.onboard(current_user, _organisation_data(form), admin, responsible, origin())
        except Invalid as invalid:
            db.session.rollback()
            return render_template("orgs/onboard.html", form=form,
                                   errors=FormErrors("form-errors", invalid.messages)), 400
        flash(_("%(name)s has been registered. Its administrator and responsible person have been mailed "
                "their activation links.", name=organisation.name), "success")
        return redirect_to(url_for("orgs.organisation", organisation_id=organisation.id))

    @bp.get("/admin/organisations/<int:organisation_id>")
    @requires_role("sysadmin")
    def organisation(organisation_id: int) -> str:
        org = _organisation_or_404(organisation_id)
        flt = accounts.UserFilter(organisation=org.id)
        return render_template("orgs/organisation.html", org=org, page=accounts.list_users(current_user, flt),
                               flt=flt, form=StatusForm(), errors=FormErrors("form-errors"), **_labels())

    @bp.route("/admin/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
    @requires_role("sysadmin")
    def edit_organisation(organisation_id: int) -> BaseResponse | tuple[str, int]:
        org = _organisation_or_404(organisation_id)
        form = OrganisationForm(obj=org) if request.method != "POST" else OrganisationForm()
        _choices(form, org)
        if request.method != "POST":
            form.supply_area.data = org.area if org.category == "grid" else ""
            form.prefecture.data = org.area if org.category == "municipality" else ""
            form.hours_profile.data = org.hours_profile or ""
            return render_template("orgs/edit.html", form=form, org=org, errors=FormErrors("form-errors")), 200
        if not form.validate():
            return render_template("orgs/edit.html", form=form, org=org,
                                   errors=FormErrors("form-errors", validation_problems(form))), 400
        try:
            onboarding.update(current_user, org.id, _organisation_data(form), origin())
        except Invalid as invalid:
            db.session.rollback()
            return render_template("orgs/edit.html", form=form, org=_organisation_or_404(organisation_id),
                                   errors=FormErrors("form-errors", invalid.messages)), 400
        flash(_("The organisation has been updated."), "success")
        return redirect_to(url_for("orgs.organisation", organisation_id=org.id))

    @bp.post("/admin/organisations/<int:organisation_id>/status")
    @requires_role("sysadmin")
    def organisation_status(organisation_id: int) -> BaseResponse | tuple[str, int]:
        org = _organisation_or_404(organisation_id)
        form = StatusForm()
        status = {"suspend": "suspended", "resume": "active"}.get(form.action.data or "", "")
        try:
            if not form.validate():
                raise Invalid(validation_problems(form))
            ended = onboarding.set_status(current_user, org.id, status, form.reason.data or "", origin())
        except Invalid as invalid:
            db.session.rollback()
            org = _organisation_or_404(organisation_id)
            flt = accounts.UserFilter(organisation=org.id)
            return render_template("orgs/organisation.html", org=org, page=accounts.list_users(current_user, flt),
                                   flt=flt, form=form, errors=FormErrors("form-errors", invalid.messages),
                                   **_labels()), 400
        if status == "suspended":
            flash(ngettext("The organisation has been suspended; %(n)d session was ended.",
                           "The organisation has been suspended; %(n)d sessions were ended.", ended, n=ended), "success")
        else:
            flash(_("The organisation has been resumed."), "success")
        return redirect_to(url_for("orgs.organisation", organisation_id=org.id))
