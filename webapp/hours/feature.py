"""Business hours: the /hours calendar, the admin screen, the "hours" gate and its notices."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp import clock, scheduler, ui
from webapp.auth import hooks
from webapp.guard import add_gate
from webapp.hours import display, enforcement, service
from webapp.hours.cli import hours_group
from webapp.hours.routes import make_blueprint
from webapp.main.routes import DASHBOARD_PANELS

DASHBOARD_PANEL = "hours/_dashboard_panel.html"


def _append_once(registry: list[Any], entry: Any) -> None:
    # create_app runs many times in one test process; these lists are module-level.
    if entry not in registry:
        registry.append(entry)


def _end_sessions_job(_app: Flask) -> object:
    return enforcement.end_sessions_outside_hours()


def dashboard_panel(user: Any) -> dict[str, Any]:
    """What the dashboard panel shows the user: their profile, open until when, closures ahead."""
    name = service.effective_profile_name(user)
    return {"profile": name, "label": service.profile_label(name),
            "status": enforcement.current_status(user), "closures": service.upcoming_closures(),
            "now": clock.now()}


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    add_gate(app, "hours", enforcement.hours_gate)
    _append_once(hooks.SIGN_IN_CHECKS, enforcement.refuse_sign_in_outside_hours)
    _append_once(ui.BANNER_PROVIDERS, enforcement.closing_banner)
    _append_once(ui.LOGIN_NOTICE_PROVIDERS, enforcement.login_closed_notice)
    _append_once(ui.LOGIN_NOTICE_PROVIDERS, enforcement.login_closures_notice)
    _append_once(DASHBOARD_PANELS, DASHBOARD_PANEL)
    scheduler.add_job("hours", _end_sessions_job)
    ui.add_nav("hours.admin", _l("Business hours"), "sysadmin")
    app.add_template_global(dashboard_panel, "hours_dashboard_panel")
    app.add_template_global(service.profile_label, "hours_profile_label")
    app.add_template_filter(display.format_moment, "hours_moment")
    app.cli.add_command(hours_group)
