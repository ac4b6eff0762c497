"""Sign-in and account forms. Field names are the external contract (SPEC §10)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

from webapp.forms import CleanText, strip_filter

# Long enough for any passphrase the policy allows (the policy itself gives the exact limit).
PASSWORD_FIELD_MAX = 1000


def _required() -> DataRequired:
    return DataRequired(message=_l("Please fill in this field."))


class LoginForm(FlaskForm):
    login_id = StringField(_l("User ID"), validators=[_required(), CleanText(100)], filters=[strip_filter])
    password = PasswordField(_l("Password"), validators=[_required(), CleanText(PASSWORD_FIELD_MAX, shown=False)])


class CodeForm(FlaskForm):
    code = StringField(_l("One-time code"), validators=[_required(), CleanText(20)], filters=[strip_filter])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[_required(), CleanText(PASSWORD_FIELD_MAX, shown=False)])
    password_confirm = PasswordField(_l("New password (again)"),
                                     validators=[_required(), CleanText(PASSWORD_FIELD_MAX, shown=False)])


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[_required(), CleanText(PASSWORD_FIELD_MAX, shown=False)])
    end_other_sessions = BooleanField(_l("Sign out my other sessions"), default=True)


class AuthenticatorForm(FlaskForm):
    """Switching the app on: the code it shows proves the secret arrived; the password proves who asks."""

    code = StringField(_l("Code shown by the app"), validators=[_required(), CleanText(20)], filters=[strip_filter])
    password = PasswordField(_l("Current password"), validators=[_required(), CleanText(PASSWORD_FIELD_MAX, shown=False)])


class ReauthenticateForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[_required(), CleanText(PASSWORD_FIELD_MAX, shown=False)])


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def field_errors(form: FlaskForm) -> list[str]:
    """Every problem as '<label>: <message>', in the order the fields appear."""
    messages = []
    for field in form:
        for error in field.errors:
            messages.append(f"{field.label.text}: {error}")
    return messages


def first_error(form: FlaskForm) -> str:
    errors = field_errors(form)
    return errors[0] if errors else str(_l("Please check what you entered."))
