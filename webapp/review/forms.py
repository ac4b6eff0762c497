from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from webapp.forms import CleanText, strip_filter
from webapp.review.service import MAX_COMMENT


class SignOffForm(FlaskForm):
    comment = TextAreaField(_l("Result of the review"), validators=[CleanText(MAX_COMMENT, allow_newlines=True)],
                            filters=[strip_filter])
