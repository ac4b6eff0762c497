"""Sekisho (関所): application factory."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from webapp.config import PROJECT_ROOT, load_config


def instance_folder(given: str | Path | None = None) -> Path:
    """Where the secret key, config.py and the audit anchor live: `instance/` beside the code unless
    PORTAL_INSTANCE_PATH says otherwise (read from the environment only: config.py lives there)."""
    chosen = given or os.environ.get("PORTAL_INSTANCE_PATH", "").strip() or PROJECT_ROOT / "instance"
    return Path(chosen).expanduser().resolve()  # Flask wants it absolute


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    overrides = dict(config or {})
    instance_path = instance_folder(overrides.pop("INSTANCE_PATH", None))
    clock = overrides.pop("CLOCK", None)
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    settings = load_config(instance_path, overrides)
    app.config.update(settings)
    _flask_settings(app)

    from webapp.clock import SystemClock

    app.extensions["sekisho.clock"] = clock or SystemClock()

    if app.config["PORTAL_TRUSTED_PROXIES"]:
        from webapp.proxies import TrustedProxies

        app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["PORTAL_TRUSTED_PROXIES"])  # type: ignore[method-assign]

    from webapp import converters

    converters.install(app)
    _bind_extensions(app)

    from webapp import cli, headers, ui
    from webapp.features import init_features

    headers.install(app)
    ui.install(app)
    cli.register(app)
    init_features(app)
    cli.guard_commands(app)
    return app


def _flask_settings(app: Flask) -> None:
    c = app.config
    c["SECRET_KEY"] = c["PORTAL_SECRET_KEY"]
    c["MAX_CONTENT_LENGTH"] = c["PORTAL_MAX_CONTENT_LENGTH"]
    c["MAX_FORM_MEMORY_SIZE"] = c["PORTAL_MAX_CONTENT_LENGTH"]
    c["WTF_CSRF_TIME_LIMIT"] = None  # bound to the server-side session, which expires on its own
    c["WTF_CSRF_HEADERS"] = ["X-CSRFToken"]
    c["MAIL_SERVER"] = c["PORTAL_MAIL_SERVER"]
    c["MAIL_PORT"] = c["PORTAL_MAIL_PORT"]
    c["MAIL_USE_TLS"] = c["PORTAL_MAIL_USE_TLS"]
    c["MAIL_USE_SSL"] = c["PORTAL_MAIL_USE_SSL"]
    c["MAIL_USERNAME"] = c["PORTAL_MAIL_USERNAME"]
    c["MAIL_PASSWORD"] = c["PORTAL_MAIL_PASSWORD"]
    c["MAIL_DEFAULT_SENDER"] = c["PORTAL_MAIL_SENDER"]
    c["BABEL_DEFAULT_LOCALE"] = "ja"
    c["BABEL_DEFAULT_TIMEZONE"] = "Asia/Tokyo"
    translations = Path(__file__).parent / "translations"
    c["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        str(p) for p in sorted(translations.iterdir()) if p.is_dir()
    ) if translations.exists() else str(translations)
    c["SESSION_COOKIE_HTTPONLY"] = True
    c["SESSION_COOKIE_SAMESITE"] = "Lax"
    c["SESSION_COOKIE_SECURE"] = c["PORTAL_ENV"] != "development"
    c["PREFERRED_URL_SCHEME"] = "http" if c["PORTAL_ENV"] == "development" else "https"


def _bind_extensions(app: Flask) -> None:
    from webapp import guard, i18n
    from webapp.auth.sessions import ServerSessionInterface
    from webapp.extensions import babel, csrf, db, login_manager, mail

    db.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    i18n.compile_catalogs()
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    app.session_interface = ServerSessionInterface()
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side and rotated explicitly
    guard.install(app)

    @app.after_request
    def deliver_queued_mail(response: Any) -> Any:
        from flask import flash, session
        from flask_babel import gettext as _

        from webapp.mail import outbox

        waiting = outbox.deliver_committed_safely()
        # The session says who is signed in without reading the account again (a rollback may
        # have expired it, and a busy database would make that read wait once more).
        if waiting and 300 <= response.status_code < 400 and session.get("_user_id"):
            flash(_("The mail about this could not be sent yet. It stays queued and is sent automatically "
                    "as soon as the mail server accepts it."), "warning")
        return response
