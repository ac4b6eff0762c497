from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

from webapp.forms import CleanText, strip_filter


class LoginForm(FlaskForm):
    login_id = StringField(_l("User ID"), validators=[DataRequired(), CleanText(100)], filters=[strip_filter])
    password = PasswordField(_l("Password"), validators=[DataRequired(), CleanText(1000)])


class CodeForm(FlaskForm):
    code = StringField(_l("One-time code"), validators=[DataRequired(), CleanText(20)], filters=[strip_filter])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), CleanText(1000)])
    password_confirm = PasswordField(_l("New password (again)"), validators=[DataRequired(), CleanText(1000)])


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), CleanText(1000)])
    end_other_sessions = BooleanField(_l("Sign out my other sessions"), default=True)


class TotpEnrolForm(FlaskForm):
    code = StringField(_l("Code shown by the app"), validators=[DataRequired(), CleanText(20)], filters=[strip_filter])


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
