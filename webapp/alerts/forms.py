from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from webapp.forms import CleanText, strip_filter


class CloseForm(FlaskForm):
    comment = TextAreaField(_l("What was found or done"), validators=[CleanText(2000, allow_newlines=True)],
                            filters=[strip_filter])
