"""Every feature, in the order it is set up.

Each module named here has `init_app(app)`, which registers the feature's
blueprint, gates, sign-in checks, CLI commands, navigation and scheduled jobs.
"""
from __future__ import annotations

from importlib import import_module

from flask import Flask

FEATURES = [
    "webapp.errors.feature",
    "webapp.main.feature",
    "webapp.auth.feature",
    "webapp.mail.feature",
    "webapp.applications.feature",
    "webapp.orgs.feature",
    "webapp.hours.feature",
    "webapp.consent.feature",
    "webapp.dormancy.feature",
    "webapp.notices.feature",
    "webapp.alerts.feature",
    "webapp.records.feature",
    "webapp.audit.feature",
    "webapp.review.feature",
]


def init_features(app: Flask) -> None:
    for name in FEATURES:
        import_module(name).init_app(app)
