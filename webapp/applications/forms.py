from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField

from webapp.applications.labels import KIND_LABELS
from webapp.applications.models import GRANTABLE_ROLES
from webapp.forms import CleanText, name_text, select_choices, strip_filter
from webapp.ui import ROLE_LABELS


class ApplicationForm(FlaskForm):
    """Field names are the contract of SPEC §10: kind, target, name, department, email, role, natural_person."""

    # Choices are checked by the service, so a forged value gets its clear message instead of WTForms' one.
    kind = SelectField(_l("Kind of application"), choices=select_choices(KIND_LABELS.items()), validate_choice=False)
    target = StringField(_l("User ID of the user concerned"), validators=[CleanText(100)], filters=[strip_filter])
    name = StringField(_l("Full name"), validators=[name_text(200)], filters=[strip_filter])
    department = StringField(_l("Department and title"), validators=[name_text(200)], filters=[strip_filter])
    email = StringField(_l("E-mail"), validators=[CleanText(254)], filters=[strip_filter])
    emergency_phone = StringField(_l("Emergency phone (responsible person)"), validators=[CleanText(40)],
                                  filters=[strip_filter])
    role = SelectMultipleField(_l("Roles"), choices=select_choices((r, ROLE_LABELS[r]) for r in GRANTABLE_ROLES),
                               validate_choice=False)
    natural_person = BooleanField(_l("I confirm that this user is a natural person and the address is their "
                                     "personal one (not a shared or group mailbox)."))
    note = TextAreaField(_l("Note to the approver"), validators=[CleanText(2000, allow_newlines=True)],
                         filters=[strip_filter])


class DecisionForm(FlaskForm):
    decision = StringField(_l("Decision"), validators=[CleanText(20)], filters=[strip_filter])
    reason = TextAreaField(_l("Reason"), validators=[CleanText(2000, allow_newlines=True)], filters=[strip_filter])


class WithdrawForm(FlaskForm):
    """Why, optionally: the timeline records it with the withdrawal (SPEC §4: who, when and why)."""
    reason = TextAreaField(_l("Reason"), validators=[CleanText(2000, allow_newlines=True)], filters=[strip_filter])
