"""Forms of the business-hours admin screen and the public calendar."""
from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, StopValidation

from webapp.forms import CleanText, strip_filter
from webapp.hours.calendar import JST
from webapp.hours.errors import HoursError
from webapp.hours.profiles import WEEKDAY_KEYS

# What <input type="datetime-local"> sends, plus what a person types without it.
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M")


def parse_japan_datetime(text: str) -> datetime:
    """'2025-06-12T20:00' (Japan wall clock) -> aware instant; ValueError when it is not one."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    if len(cleaned) > 25:
        raise ValueError(text)
    for pattern in _LOCAL_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).replace(tzinfo=JST)
        except ValueError:
            continue
    raise ValueError(text)


class JapanDateTimeField(StringField):
    """A datetime-local input read as Japan time whatever the server's or browser's zone."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if not self.raw:
            return
        try:
            self.data = parse_japan_datetime(str(self.raw))
        except ValueError:
            raise ValueError(_l("Enter a date and time such as 2025-06-12 20:00.")) from None

    def pre_validate(self, form: Any) -> None:
        # Required, without DataRequired: it would wipe the clearer parse error above.
        if self.data is None and not self.process_errors:
            raise StopValidation(_l("Enter a date and time."))

    def _value(self) -> str:
        if isinstance(self.data, datetime):
            return self.data.astimezone(JST).strftime("%Y-%m-%dT%H:%M")
        return str(getattr(self, "raw", "") or "")[:25]


class _MarksRefusals(FlaskForm):
    def refused(self, error: HoursError) -> str:
        """The service's refusal marks the inputs it is about, as a failed validation does, so that
        the page tells a screen reader which fields are wrong; returns the message."""
        for name in error.fields:
            self[name].errors = [*self[name].errors, str(error)]
        return str(error)


class SystemProfileForm(_MarksRefusals):
    profile = StringField(_l("System-wide profile"), validators=[DataRequired(), CleanText(40)],
                          filters=[strip_filter])


class ClosureForm(_MarksRefusals):
    start = JapanDateTimeField(_l("Start (Japan time)"))
    end = JapanDateTimeField(_l("End (Japan time)"))
    reason = StringField(_l("Reason (shown to every user)"), validators=[DataRequired(), CleanText(200)],
                         filters=[strip_filter])


class CustomProfileForm(_MarksRefusals):
    name = StringField(_l("Profile name"), validators=[DataRequired(), CleanText(40)], filters=[strip_filter])
    mon = StringField(_l("Monday"), validators=[CleanText(100)])
    tue = StringField(_l("Tuesday"), validators=[CleanText(100)])
    wed = StringField(_l("Wednesday"), validators=[CleanText(100)])
    thu = StringField(_l("Thursday"), validators=[CleanText(100)])
    fri = StringField(_l("Friday"), validators=[CleanText(100)])
    sat = StringField(_l("Saturday"), validators=[CleanText(100)])
    sun = StringField(_l("Sunday"), validators=[CleanText(100)])
    holidays_closed = BooleanField(_l("Closed on national holidays"), default=True)
    year_end_closed = BooleanField(_l("Closed over the year-end and New Year days"), default=True)

    def day_fields(self) -> list[Any]:
        return [self[key] for key in WEEKDAY_KEYS]


def form_errors(form: FlaskForm) -> str:
    """Every field's problem in one readable message: the field's label and what is wrong."""
    found = []
    for field in form:
        if field.errors:
            message = field.errors[0]
            found.append(str(message) if field.name == "csrf_token" else f"{field.label.text}: {message}")
    return " ".join(found)
