"""Extensions created once, unbound; create_app binds them."""
from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_wtf.csrf import CSRFProtect

from webapp.database import Database

db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
babel = Babel()
