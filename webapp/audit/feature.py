"""Audit log: the system administrator's page and its navigation entry."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp import ui
from webapp.audit.routes import make_blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    ui.add_nav("audit.index", _l("Audit log"), "sysadmin")
