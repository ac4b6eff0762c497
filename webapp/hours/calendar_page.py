"""What the public /hours page shows: a rolling two months from today.

Rolling rather than "this month and next" so that on the 30th a visitor
still sees two months ahead; the grid shows whole calendar months and greys
out the days before today and after the end of the window.
"""
from __future__ import annotations

import calendar as _stdlib_calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from webapp.hours import calendar, display, service
from webapp.hours.calendar import JST, DaySchedule, Status
from webapp.hours.models import HoursClosure

WINDOW_MONTHS = 2


@dataclass(frozen=True)
class CalendarView:
    profile_name: str
    profile_label: str
    first: date
    last: date
    status: Status
    status_text: str
    months: list[display.MonthGrid]
    holidays: list[DaySchedule]
    closures: list[HoursClosure]
    year_end: list[date]
    weekday_labels: list[str]


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the end of a shorter month (01-31 + 1 -> 02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _stdlib_calendar.monthrange(year, month)[1]))


def _months_between(first: date, last: date) -> list[tuple[int, int]]:
    months, cursor = [], date(first.year, first.month, 1)
    while cursor <= last:
        months.append((cursor.year, cursor.month))
        cursor = add_months(cursor, 1)
    return months


def build(profile_name: str, instant: datetime) -> CalendarView:
    """The calendar of ``profile_name`` from the day of ``instant`` (Japan time) for two months."""
    profile = service.resolve_profile(profile_name)
    first = instant.astimezone(JST).date()
    last = add_months(first, WINDOW_MONTHS)
    months = _months_between(first, last)
    grid_start = datetime.combine(date(*months[0], 1), time(0), JST)
    grid_end = datetime.combine(add_months(date(*months[-1], 1), 1), time(0), JST)
    records = service.closures_overlapping(grid_start, grid_end)
    closures = [calendar.Closure(c.start_at, c.end_at, c.reason) for c in records]
    year_end = service.year_end_days()
    entries = {entry.date: entry for year, month in months
               for entry in calendar.month_schedule(year, month, profile, closures, year_end)}
    in_range = [entries[first + timedelta(days=i)] for i in range((last - first).days + 1)]
    status = service.status_of_profile(profile, instant)
    return CalendarView(
        profile_name=profile_name,
        profile_label=service.profile_label(profile_name),
        first=first,
        last=last,
        status=status,
        status_text=display.closed_message(status) if not status.is_open else "",
        months=[display.month_grid(y, m, entries, first, last, first) for y, m in months],
        holidays=[e for e in in_range if e.holiday_name],
        closures=[c for c in records if c.end_at > instant and c.start_at.astimezone(JST).date() <= last],
        year_end=[e.date for e in in_range if e.reason == "year_end"],
        weekday_labels=display.grid_weekday_labels(),
    )
