"""Alerts: the page, its navigation entry and the detectors that raise them."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp import ui
from webapp.alerts import detectors
from webapp.alerts.routes import make_blueprint
from webapp.auth import hooks


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    ui.add_nav("alerts.index", _l("Alerts"), "sysadmin", "responsible")
    where_from = (detectors.outside_allowed_networks, detectors.outside_allowed_countries)
    for observers, watching in ((hooks.SIGNED_IN, (detectors.account_sharing, *where_from)),
                                (hooks.PASSWORD_ACCEPTED, where_from)):
        observers.extend(d for d in watching if d not in observers)
    if detectors.session_used_elsewhere not in hooks.SESSION_ELSEWHERE:
        hooks.SESSION_ELSEWHERE.append(detectors.session_used_elsewhere)
