"""Sign-in, sessions and the user's own account pages."""
from flask import Flask, request_started, session
from flask_babel import lazy_gettext as _l

from webapp import scheduler, ui
from webapp.auth import gates, service, sessions
from webapp.auth.housekeeping import prune_sign_in_records
from webapp.auth.routes import make_blueprint
from webapp.mail import outbox

JOB_NAME = "auth-housekeeping"


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    gates.install(app)
    # Before any request hook (the gates' redirect to the login page would end the request first).
    request_started.connect(_tell_of_a_session_taken_elsewhere, app)
    # Module-level registries outlive one app (tests build many): register once.
    if all(endpoint != "auth.authenticator" for endpoint, _label in ui.ACCOUNT_LINKS):
        ui.ACCOUNT_LINKS.append(("auth.authenticator", _l("Authenticator app")))
    scheduler.add_job(JOB_NAME, prune_sign_in_records)
    outbox.STILL_WANTED["login_code"] = service.live_code_mails


def _tell_of_a_session_taken_elsewhere(_app: Flask, **_extra: object) -> None:
    if isinstance(session, sessions.PortalSession):
        sessions.tell_of_a_session_taken_elsewhere(session)
