"""Facility records: the page, its navigation entry, the `portal records` commands and demo data."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp import demo, ui
from webapp.records import scope
from webapp.records.cli import load_demo_records, records_group
from webapp.records.routes import make_blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    ui.add_nav("records.index", _l("Facility records"), "operator", shown_to=scope.may_view)
    ui.add_nav("records.scope_rules", _l("Record visibility"), "sysadmin")
    app.cli.add_command(records_group)
    if load_demo_records not in demo.DEMO_LOADERS:
        demo.DEMO_LOADERS.append(load_demo_records)
