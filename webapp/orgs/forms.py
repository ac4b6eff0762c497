from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from webapp.forms import CleanText, name_text, strip_filter


def _text(label: object, length: int = 200) -> StringField:
    """A name, a department, an address or a number: "<" and ">" belong to none of them."""
    return StringField(label, validators=[name_text(length)], filters=[strip_filter])


class OrganisationForm(FlaskForm):
    # Choices are validated by the service (clear messages for forged values).
    name = _text(_l("Organisation name"))
    category = SelectField(_l("Category"), validate_choice=False)
    supply_area = SelectField(_l("Supply area (general transmission and distribution operator)"), validate_choice=False)
    prefecture = SelectField(_l("Prefecture (municipality or ministry)"), validate_choice=False)
    hours_profile = SelectField(_l("Calendar profile"), validate_choice=False)
    security_manager_name = _text(_l("Security manager's name"))
    # A contact may be written "山田 <yamada@example.jp>": free text, shown escaped.
    security_manager_contact = StringField(_l("Security manager's emergency contact"), validators=[CleanText(200)],
                                           filters=[strip_filter])
    allowed_networks = TextAreaField(_l("Allowed networks"), validators=[CleanText(2000, allow_newlines=True)],
                                     filters=[strip_filter])
    require_totp = BooleanField(_l("Require an authenticator app"))


class OnboardingForm(OrganisationForm):
    admin_name = _text(_l("Full name"))
    admin_department = _text(_l("Department and title"))
    admin_email = _text(_l("E-mail"), 254)
    responsible_name = _text(_l("Full name"))
    responsible_department = _text(_l("Department and title"))
    responsible_email = _text(_l("E-mail"), 254)
    responsible_phone = _text(_l("Emergency phone"), 40)


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[CleanText(2000, allow_newlines=True)], filters=[strip_filter])


class StatusForm(ReasonForm):
    action = StringField(_l("Action"), validators=[CleanText(20)], filters=[strip_filter])
