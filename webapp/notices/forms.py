from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from webapp.forms import CleanText, strip_filter


class NoticeForm(FlaskForm):
    # Choices are checked by the service, so a forged value gets its clear message.
    kind = SelectField(_l("Kind of notice"), validate_choice=False)
    audience = SelectField(_l("For"), validate_choice=False)
    title = StringField(_l("Title"), validators=[CleanText(200)], filters=[strip_filter])
    body = TextAreaField(_l("Text"), validators=[CleanText(4000, allow_newlines=True)], filters=[strip_filter])


class WithdrawNoticeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[CleanText(2000, allow_newlines=True)], filters=[strip_filter])
