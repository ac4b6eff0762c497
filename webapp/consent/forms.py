from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from webapp.consent.documents import MAX_BODY_CHARS
from webapp.consent.publishing import MAX_SUMMARY_CHARS
from webapp.consent.texts import KIND_LABELS
from webapp.forms import CleanText, select_choices, strip_filter


class DocumentForm(FlaskForm):
    """A draft version; the service checks the content (version format, dates, items)."""

    kind = SelectField(_l("Document"), choices=select_choices(KIND_LABELS.items()), validators=[DataRequired()])
    version = StringField(_l("Version number"), validators=[DataRequired(), CleanText(20)], filters=[strip_filter])
    effective_on = StringField(_l("Effective date"), validators=[DataRequired(), CleanText(20)],
                               filters=[strip_filter])
    summary = TextAreaField(_l("Revision-history summary"),
                            validators=[DataRequired(), CleanText(MAX_SUMMARY_CHARS, allow_newlines=True)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[CleanText(MAX_BODY_CHARS, allow_newlines=True)])
    must_read_to_end = BooleanField(_l("Users must scroll to the end before they can tick its boxes"))


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
