"""Organisations and their users: lists, immediate suspension, onboarding by a system administrator."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp import ui
from webapp.orgs.routes import make_blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    ui.add_nav("orgs.users", _l("Users"), "org_admin", "responsible", "sysadmin")
    ui.add_nav("orgs.organisations", _l("Organisations"), "sysadmin")
