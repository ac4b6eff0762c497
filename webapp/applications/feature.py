"""Applications: blueprint, navigation, dashboard panel, expiry job and `portal applications expire`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l

from webapp import scheduler, ui
from webapp.demo import DEMO_LOADERS
from webapp.applications.routes import make_blueprint
from webapp.main.routes import DASHBOARD_PANELS

PANEL = "applications/_dashboard_panel.html"


def _expire_and_tell() -> int:
    """Expire due applications, then send their mails now rather than at the next mail run."""
    from webapp.applications.service import expire_due
    from webapp.mail import outbox

    expired = expire_due()
    outbox.deliver_committed(cap=500)
    return expired


def _expire_job(_app: Flask) -> object:
    return _expire_and_tell()


@click.group("applications")
def applications_group() -> None:
    """User-change applications."""


@applications_group.command("expire")
@with_appcontext
def expire_command() -> None:
    """Expire applications left open past PORTAL_APPLICATION_EXPIRY_DAYS (for cron)."""
    click.echo(f"expired {_expire_and_tell()}")


def _dashboard_counts(user: object) -> dict[str, int]:
    from webapp.applications.queries import dashboard_counts

    return dashboard_counts(user)  # type: ignore[arg-type]


def load_demo_applications(created: list[tuple[object, str]]) -> None:
    """A pending add-user application, so the demo responsible person has something to approve."""
    from webapp.applications import drafts, service
    from webapp.audit.service import SYSTEM

    admins = [user for user, role in created if role == "org_admin"]
    if admins:
        service.submit(admins[0], drafts.Draft(  # type: ignore[arg-type]
            kind="add", name="新任 一郎", department="託送業務部 買取グループ", email="newcomer.grid@sekisho.example",
            roles=["operator"], natural_person=True, note="4月1日付 異動者"), SYSTEM)


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    app.cli.add_command(applications_group)
    app.add_template_global(_dashboard_counts, "application_counts")
    ui.add_nav("applications.index", _l("Applications"), "org_admin", "responsible", "sysadmin")
    if PANEL not in DASHBOARD_PANELS:
        DASHBOARD_PANELS.append(PANEL)
    if load_demo_applications not in DEMO_LOADERS:
        DEMO_LOADERS.append(load_demo_applications)
    scheduler.add_job("applications", _expire_job)
