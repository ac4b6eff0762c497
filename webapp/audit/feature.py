"""Audit log: the system administrator's page, its navigation entry and the anchor's job."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp import scheduler, ui
from webapp.audit.routes import make_blueprint
from webapp.audit.watch import watch_anchor


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    ui.add_nav("audit.index", _l("Audit log"), "sysadmin")
    scheduler.add_job("audit-anchor", watch_anchor, every_seconds=300)
