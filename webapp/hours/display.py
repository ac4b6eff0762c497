"""How business hours read to a person: translated reasons, Japan-time moments, month grids."""
from __future__ import annotations

import calendar as _stdlib_calendar
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from webapp.hours.calendar import JST, DaySchedule, Status

WEEKDAY_LABELS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
# Japanese wall calendars start on Sunday.
GRID_FIRST_WEEKDAY = 6


def format_moment(instant: datetime) -> str:
    """'2025-06-11 (Wed) 09:00' in Japan time."""
    local = instant.astimezone(JST)
    return f"{local:%Y-%m-%d} ({WEEKDAY_LABELS[local.weekday()]}) {local:%H:%M}"


def reason_text(status: Status) -> str:
    if status.reason == "holiday":
        return _("national holiday: %(name)s", name=status.holiday_name or "")
    if status.reason == "closure":
        return _("temporary closure: %(reason)s", reason=status.closure_reason or "")
    labels = {
        "weekend": _("weekend"),
        "no_service": _("no service on this weekday"),
        "year_end": _("year-end and New Year closure"),
        "before_hours": _("before business hours"),
        "between_hours": _("break between business hours"),
        "after_hours": _("after business hours"),
    }
    return labels.get(status.reason, status.reason)


def closed_message(status: Status) -> str:
    """'The system is closed now (weekend). It opens at 2025-06-16 (Mon) 09:00.'"""
    if status.opens_at is None:
        return _("The system is closed now (%(reason)s). No opening is scheduled at present.",
                 reason=reason_text(status))
    return _("The system is closed now (%(reason)s). It opens at %(when)s.",
             reason=reason_text(status), when=format_moment(status.opens_at))


def countdown_texts(closes_at: datetime, minutes: int) -> tuple[str, str, str]:
    """The banner text now, plus singular/plural templates with '{n}' for static/app.js."""
    hhmm = closes_at.astimezone(JST).strftime("%H:%M")

    def text(count: int, minutes: int | str) -> str:
        return ngettext("The system closes at %(time)s (%(minutes)s minute left).",
                        "The system closes at %(time)s (%(minutes)s minutes left).",
                        count, time=hhmm, minutes=minutes)

    return text(minutes, minutes), text(1, "{n}"), text(2, "{n}")


def _hhmm(moment: datetime, day: date) -> str:
    return "24:00" if moment.date() > day else moment.strftime("%H:%M")


def day_hours(entry: DaySchedule) -> str:
    """'09:00-18:00', '24 hours', or '' when closed all day."""
    spans = [(_hhmm(s, entry.date), _hhmm(e, entry.date)) for s, e in entry.windows]
    if spans == [("00:00", "24:00")]:
        return _("24 hours")
    return ", ".join(f"{s}-{e}" for s, e in spans)


def day_closed_label(entry: DaySchedule) -> str:
    if entry.is_open_day:
        return ""
    return {
        "holiday": _("Closed (holiday)"),
        "year_end": _("Closed (year-end)"),
        "closure": _("Closed (temporary closure)"),
    }.get(entry.reason or "", _("Closed day"))


@dataclass(frozen=True)
class Cell:
    entry: DaySchedule
    in_range: bool
    is_today: bool

    @property
    def text(self) -> str:
        """The hours of the day, or why it is closed."""
        return day_hours(self.entry) if self.entry.is_open_day else day_closed_label(self.entry)


@dataclass(frozen=True)
class MonthGrid:
    year: int
    month: int
    title: str
    weeks: list[list[Cell | None]]


def month_title(year: int, month: int) -> str:
    return format_skeleton("yMMMM", date(year, month, 1), locale=str(get_locale() or "ja"))


def month_grid(year: int, month: int, entries: dict[date, DaySchedule], first: date, last: date,
               today: date) -> MonthGrid:
    """Weeks (Sunday first) of one month; days outside first..last carry no hours."""
    weeks = []
    for week in _stdlib_calendar.Calendar(GRID_FIRST_WEEKDAY).monthdatescalendar(year, month):
        weeks.append([Cell(entries[d], first <= d <= last, d == today) if d.month == month else None
                      for d in week])
    return MonthGrid(year, month, month_title(year, month), weeks)


def grid_weekday_labels() -> list[str]:
    return [str(WEEKDAY_LABELS[(GRID_FIRST_WEEKDAY + i) % 7]) for i in range(7)]
