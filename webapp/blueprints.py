"""Every feature's blueprint factory, in registration order."""
from __future__ import annotations

from typing import Callable

from flask import Blueprint

from webapp.auth.routes import make_blueprint as auth_blueprint
from webapp.errors.handlers import make_blueprint as errors_blueprint
from webapp.mail.routes import make_blueprint as mail_blueprint
from webapp.main.routes import make_blueprint as main_blueprint

BLUEPRINTS: list[Callable[[], Blueprint]] = [
    errors_blueprint,
    main_blueprint,
    auth_blueprint,
    mail_blueprint,
]
