"""The public calendar (/hours) and the system administrator's screen (/admin/hours)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp import clock
from webapp.auth.forms import EmptyForm
from webapp.guard import public, requires_role
from webapp.hours import calendar_page, service
from webapp.hours.errors import ClosureNotFound, HoursError
from webapp.hours.forms import ClosureForm, CustomProfileForm, SystemProfileForm, form_errors
from webapp.hours.profiles import WEEKDAY_KEYS, parse_day_windows
from webapp.web import is_htmx, origin, redirect_to


def _admin_page(status: int = 200, error: str | None = None, **forms: Any) -> tuple[str, int]:
    """The error is shown beside the form that was sent (the page is long), or on top."""
    context = {
        "profile_form": forms.get("profile_form") or SystemProfileForm(formdata=None),
        "closure_form": forms.get("closure_form") or ClosureForm(formdata=None),
        "custom_form": forms.get("custom_form") or CustomProfileForm(formdata=None),
        "cancel_form": EmptyForm(formdata=None),
        "system_profile": service.system_profile_name(),
        "choices": service.profile_choices(),
        "closures": service.list_closures(),
        "custom_profiles": [service.describe(p) for p in service.custom_profiles()],
        "weekday_keys": WEEKDAY_KEYS,
        "error": error,
        "failed": next(iter(forms), None),
    }
    return render_template("hours/admin.html", **context), status


def make_blueprint() -> Blueprint:
    bp = Blueprint("hours", __name__)

    @bp.get("/hours")
    @public
    def public_calendar() -> tuple[str, int]:
        asked = request.args.get("profile")
        if asked is not None and not (len(asked) <= 40 and service.is_known_profile(asked)):
            return render_template("hours/unknown_profile.html", asked=asked[:40],
                                   choices=service.profile_choices()), 400
        subject = current_user if current_user.is_authenticated else None
        name = asked or service.effective_profile_name(subject)
        view = calendar_page.build(name, clock.now())
        template = "hours/_calendar.html" if is_htmx() else "hours/page.html"
        return render_template(template, view=view, choices=service.profile_choices()), 200

    @bp.get("/admin/hours")
    @requires_role("sysadmin")
    def admin() -> tuple[str, int]:
        return _admin_page()

    @bp.post("/admin/hours/profile")
    @requires_role("sysadmin")
    def set_system_profile() -> BaseResponse | tuple[str, int]:
        form = SystemProfileForm()
        if not form.validate():
            return _admin_page(400, form_errors(form), profile_form=form)
        try:
            service.set_system_profile(form.profile.data, current_user, origin())
        except HoursError as refused:
            return _admin_page(400, form.refused(refused), profile_form=form)
        flash(_("The system-wide profile is now %(name)s.", name=service.profile_label(form.profile.data)), "success")
        return redirect_to(url_for("hours.admin"))

    @bp.post("/admin/hours/closures")
    @requires_role("sysadmin")
    def create_closure() -> BaseResponse | tuple[str, int]:
        form = ClosureForm()
        if not form.validate():
            return _admin_page(400, form_errors(form), closure_form=form)
        try:
            service.create_closure(form.start.data, form.end.data, form.reason.data, current_user, origin())
        except HoursError as refused:
            return _admin_page(400, form.refused(refused), closure_form=form)
        flash(_("The closure has been added; it is announced on the login page and the calendar."), "success")
        return redirect_to(url_for("hours.admin"))

    @bp.post("/admin/hours/closures/<int:closure_id>/cancel")
    @requires_role("sysadmin")
    def cancel_closure(closure_id: int) -> BaseResponse | tuple[str, int]:
        if not EmptyForm().validate():
            return _admin_page(400, _("The page had expired; please try the cancellation again."))
        try:
            service.cancel_closure(closure_id, current_user, origin())
        except ClosureNotFound as missing:
            return _admin_page(404, str(missing))
        flash(_("The closure has been cancelled."), "success")
        return redirect_to(url_for("hours.admin"))

    @bp.post("/admin/hours/profiles")
    @requires_role("sysadmin")
    def define_profile() -> BaseResponse | tuple[str, int]:
        form = CustomProfileForm()
        if not form.validate():
            return _admin_page(400, form_errors(form), custom_form=form)
        try:
            windows = {i: parse_day_windows(form[key].data, str(form[key].label.text), key)
                       for i, key in enumerate(WEEKDAY_KEYS)}
            record = service.define_custom_profile(
                form.name.data, windows, closes_on_holidays=form.holidays_closed.data,
                observes_year_end=form.year_end_closed.data, actor=current_user, origin=origin())
        except HoursError as refused:
            return _admin_page(400, form.refused(refused), custom_form=form)
        flash(_("The custom profile %(name)s has been saved.", name=record.name), "success")
        return redirect_to(url_for("hours.admin"))

    return bp

