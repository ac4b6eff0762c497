"""Notices: the admin page, the dashboard panel and the "read" action."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp import ui
from webapp.main.routes import DASHBOARD_PANELS
from webapp.notices import service
from webapp.notices.labels import KIND_LABELS
from webapp.notices.routes import make_blueprint

DASHBOARD_PANEL = "notices/_dashboard_panel.html"


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    if DASHBOARD_PANEL not in DASHBOARD_PANELS:
        DASHBOARD_PANELS.insert(0, DASHBOARD_PANEL)  # news first
    ui.add_nav("notices.admin", _l("Notices"), "sysadmin")
    app.add_template_global(service.for_user, "notices_for")
    app.add_template_global(KIND_LABELS, "notice_kind_labels")
