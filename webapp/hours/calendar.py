"""Japanese business-hours calendar (SPEC §5 機能提供時間).

Pure on purpose: no Flask, no database and no clock.  Callers pass the
instant, the profile and the ad-hoc closures, so every answer can be
reproduced in a test and is the same on any server whatever its TZ.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

JST = ZoneInfo("Asia/Tokyo")
# Bounds every forward search, so a profile that never opens (or never
# closes) answers None instead of looping forever.
SEARCH_DAYS = 400
WARNING_MINUTES = 15  # the closing banner shows from this many minutes before
DEFAULT_YEAR_END: frozenset[tuple[int, int]] = frozenset(
    {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)})
# As a window end, midnight means 24:00: time() cannot say 24.
MIDNIGHT = time(0)
WEEKDAYS_JA = "月火水木金土日"

Window = tuple[time, time]
Interval = tuple[datetime, datetime]
YearEnd = Collection[tuple[int, int]]


class UnknownProfile(ValueError):
    """A profile name that is not configured."""


def to_jst(instant: datetime) -> datetime:
    """Japan time for an aware instant.  Naive values are refused: guessing
    their zone is exactly the server-TZ bug §5 rules out."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant!r}: pass an aware instant")
    return instant.astimezone(JST)


def _offset(moment: time, *, is_end: bool = False) -> timedelta:
    if is_end and moment == MIDNIGHT:
        return timedelta(days=1)
    return timedelta(hours=moment.hour, minutes=moment.minute,
                     seconds=moment.second, microseconds=moment.microsecond)


@dataclass(frozen=True)
class HoursProfile:
    """Opening rules as data, so an operator can define one without code.

    ``weekly[0]`` is Monday.  A national holiday closes the day if
    ``closes_on_holidays``, unless it falls on one of ``open_holiday_weekdays``.
    """

    name: str
    weekly: tuple[tuple[Window, ...], ...]
    closes_on_holidays: bool = True
    open_holiday_weekdays: frozenset[int] = frozenset()
    observes_year_end: bool = True

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly needs exactly 7 entries, Monday first")
        for windows in self.weekly:
            previous_end = timedelta(0)
            for start, end in windows:
                if start.tzinfo or end.tzinfo:
                    raise ValueError("windows are Japan wall-clock times, without tzinfo")
                begin, finish = _offset(start), _offset(end, is_end=True)
                # No overnight windows: split them over two days, which keeps
                # every day's schedule self-contained.
                if begin >= finish or begin < previous_end:
                    raise ValueError(f"{self.name}: windows must be ordered, "
                                     "non-overlapping and within one day")
                previous_end = finish

    @classmethod
    def from_weekly(cls, name: str, windows: Mapping[int, Iterable[Window]], *,
                    closes_on_holidays: bool = True, open_holiday_weekdays: Iterable[int] = (),
                    observes_year_end: bool = True) -> HoursProfile:
        """Build from ``{weekday: [(start, end), ...]}``, 0 = Monday."""
        if not set(windows) <= set(range(7)):
            raise ValueError("weekday keys must be 0 (Monday) to 6 (Sunday)")
        weekly = tuple(tuple(sorted(windows.get(day, ()))) for day in range(7))
        return cls(name, weekly, closes_on_holidays, frozenset(open_holiday_weekdays),
                   observes_year_end)


PROFILES: dict[str, HoursProfile] = {
    "renewable": HoursProfile.from_weekly(
        "renewable", {day: [(time(9), time(21))] for day in range(5)}),
    # Tuesday holidays stay open, so every Tuesday is a capacity day.
    "capacity": HoursProfile.from_weekly(
        "capacity", {day: [(time(9), time(18))] for day in range(5)}, open_holiday_weekdays={1}),
    "always": HoursProfile.from_weekly(
        "always", {day: [(MIDNIGHT, MIDNIGHT)] for day in range(7)},
        closes_on_holidays=False, observes_year_end=False),
}


def get_profile(name: str) -> HoursProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfile(f"unknown business-hours profile {name!r}") from None


@dataclass(frozen=True)
class Closure:
    """An ad-hoc closure (maintenance, 利用の停止); it may span days."""

    start: datetime
    end: datetime
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", to_jst(self.start))
        object.__setattr__(self, "end", to_jst(self.end))
        if self.start >= self.end:
            raise ValueError("a closure must end after it starts")


Profile = HoursProfile | str  # a configured name spares callers a get_profile()
Closures = Iterable[Closure | tuple[datetime, datetime, str]]


def _prepare(profile: Profile, closures: Closures) -> tuple[HoursProfile, tuple[Closure, ...]]:
    resolved = get_profile(profile) if isinstance(profile, str) else profile
    items = (c if isinstance(c, Closure) else Closure(*c) for c in closures)
    return resolved, tuple(sorted(items, key=lambda c: c.start))


def holiday_name(day: date) -> str | None:
    """jpholiday's name; it includes 振替休日 and 国民の休日."""
    return jpholiday.is_holiday_name(day)


def is_year_end(day: date, year_end: YearEnd = DEFAULT_YEAR_END) -> bool:
    return (day.month, day.day) in year_end


def is_business_day(day: date, year_end: YearEnd = DEFAULT_YEAR_END) -> bool:
    """平日: Monday to Friday, not a national holiday, not a year-end day."""
    return day.weekday() < 5 and holiday_name(day) is None and not is_year_end(day, year_end)


@dataclass(frozen=True)
class DaySchedule:
    date: date
    windows: tuple[Interval, ...]  # open intervals (JST) after subtracting closures
    reason: str | None  # why the whole day is closed; None if it opens at all
    holiday_name: str | None
    closures: tuple[Closure, ...]  # closures touching this day, to announce them

    @property
    def is_open_day(self) -> bool:
        return bool(self.windows)


def _base_day(day: date, profile: HoursProfile,
              year_end: YearEnd) -> tuple[tuple[Interval, ...], str | None]:
    """The profile's windows on ``day`` before closures, or why it is shut."""
    if profile.observes_year_end and is_year_end(day, year_end):
        return (), "year_end"
    if (profile.closes_on_holidays and day.weekday() not in profile.open_holiday_weekdays
            and holiday_name(day)):
        return (), "holiday"
    if not (windows := profile.weekly[day.weekday()]):
        # A custom profile may leave a weekday without hours: that is no weekend.
        return (), "weekend" if day.weekday() >= 5 else "no_service"
    midnight = datetime.combine(day, MIDNIGHT, JST)
    # Asia/Tokyo has no DST, so offsets from midnight are exact.
    return tuple((midnight + _offset(s), midnight + _offset(e, is_end=True))
                 for s, e in windows), None


def _subtract(windows: Iterable[Interval], closures: Iterable[Closure]) -> tuple[Interval, ...]:
    result = list(windows)
    for closure in closures:
        remaining: list[Interval] = []
        for start, end in result:
            if closure.end <= start or closure.start >= end:
                remaining.append((start, end))
                continue
            if start < closure.start:
                remaining.append((start, closure.start))
            if closure.end < end:
                remaining.append((closure.end, end))
        result = remaining
    return tuple(result)


def _schedule(day: date, profile: HoursProfile, closures: tuple[Closure, ...],
              year_end: YearEnd) -> DaySchedule:
    base, reason = _base_day(day, profile, year_end)
    day_start = datetime.combine(day, MIDNIGHT, JST)
    day_end = day_start + timedelta(days=1)
    touching = tuple(c for c in closures if c.start < day_end and c.end > day_start)
    windows = _subtract(base, touching)
    return DaySchedule(day, windows, "closure" if base and not windows else reason,
                       holiday_name(day), touching)


def day_schedule(day: date, profile: Profile, closures: Closures = (),
                 year_end: YearEnd = DEFAULT_YEAR_END) -> DaySchedule:
    if isinstance(day, datetime):
        # A datetime's calendar date depends on its zone: make the caller choose.
        raise TypeError("day_schedule takes a date; use to_jst(instant).date()")
    return _schedule(day, *_prepare(profile, closures), year_end)


def month_schedule(year: int, month: int, profile: Profile, closures: Closures = (),
                   year_end: YearEnd = DEFAULT_YEAR_END) -> list[DaySchedule]:
    resolved, normalised = _prepare(profile, closures)
    last = _stdlib_calendar.monthrange(year, month)[1]
    return [_schedule(date(year, month, d), resolved, normalised, year_end)
            for d in range(1, last + 1)]


def _intervals_from(day: date, profile: HoursProfile, closures: tuple[Closure, ...],
                    year_end: YearEnd) -> Iterator[Interval]:
    for offset in range(SEARCH_DAYS + 1):
        yield from _schedule(day + timedelta(days=offset), profile, closures, year_end).windows


def next_opening(instant: datetime, profile: Profile, closures: Closures = (),
                 year_end: YearEnd = DEFAULT_YEAR_END) -> datetime | None:
    """First JST instant at or after ``instant`` that is open (``instant``
    itself if open now); None if closed for the whole search."""
    now = to_jst(instant)
    for start, end in _intervals_from(now.date(), *_prepare(profile, closures), year_end):
        if end > now:
            return max(start, now)
    return None


def _never_closes(profile: HoursProfile) -> bool:
    full_day = ((MIDNIGHT, MIDNIGHT),)
    return (not profile.closes_on_holidays and not profile.observes_year_end
            and all(windows == full_day for windows in profile.weekly))


def next_closing(instant: datetime, profile: Profile, closures: Closures = (),
                 year_end: YearEnd = DEFAULT_YEAR_END) -> datetime | None:
    """First JST instant at or after ``instant`` that is closed (``instant``
    itself if closed now); None if open for the whole search."""
    now, (resolved, normalised) = to_jst(instant), _prepare(profile, closures)
    if _never_closes(resolved):
        # Fast path for `always`, asked on every request: only a closure (they
        # are sorted by start) can close it, so skip the 400-day walk.
        return next((max(c.start, now) for c in normalised if c.end > now), None)
    run_end = now
    for start, end in _intervals_from(now.date(), resolved, normalised, year_end):
        if end <= run_end:
            continue
        if start > run_end:
            return run_end
        run_end = end  # abutting intervals (24-hour days, split windows) stay open
    return None if run_end > now else now


@dataclass(frozen=True)
class Status:
    is_open: bool
    # open, weekend, no_service, holiday, year_end, closure, before_hours, between_hours, after_hours
    reason: str
    holiday_name: str | None
    closure_reason: str | None
    next_change: datetime | None  # JST: the closing if open, the opening if closed

    @property
    def closes_at(self) -> datetime | None:
        return self.next_change if self.is_open else None

    @property
    def opens_at(self) -> datetime | None:
        return None if self.is_open else self.next_change


def status_at(instant: datetime, profile: Profile, closures: Closures = (),
              year_end: YearEnd = DEFAULT_YEAR_END) -> Status:
    now, (resolved, normalised) = to_jst(instant), _prepare(profile, closures)
    today = _schedule(now.date(), resolved, normalised, year_end)
    if any(start <= now < end for start, end in today.windows):
        return Status(True, "open", today.holiday_name, None,
                      next_closing(now, resolved, normalised, year_end))
    active = next((c for c in normalised if c.start <= now < c.end), None)
    base, reason = _base_day(now.date(), resolved, year_end)
    if active is not None:
        reason = "closure"
    elif reason is None:
        # Early, late, or in the gap between two of the day's windows (a custom profile's break).
        started, to_come = any(start <= now for start, _ in base), any(now < end for _, end in base)
        reason = ("between_hours" if started and to_come else "before_hours" if to_come
                  else "after_hours")
    return Status(False, reason, today.holiday_name, active.reason if active else None,
                  next_opening(now, resolved, normalised, year_end))


def is_open_at(instant: datetime, profile: Profile, closures: Closures = (),
               year_end: YearEnd = DEFAULT_YEAR_END) -> bool:
    now = to_jst(instant)
    today = _schedule(now.date(), *_prepare(profile, closures), year_end)
    return any(start <= now < end for start, end in today.windows)


def minutes_until_close(instant: datetime, profile: Profile, closures: Closures = (),
                        year_end: YearEnd = DEFAULT_YEAR_END) -> int | None:
    """Whole minutes left, rounded up so that 30 seconds reads "1", never "0";
    None when closed now or when no closing lies within the search."""
    now = to_jst(instant)
    closing = next_closing(now, profile, closures, year_end)
    if closing is None or closing == now:
        return None
    return -((now - closing) // timedelta(minutes=1))


_REASONS_JA = {"weekend": "土日休業", "no_service": "提供日外", "holiday": "祝日休業", "year_end": "年末年始休業",
               "closure": "臨時停止", "before_hours": "提供時間前", "between_hours": "休憩時間",
               "after_hours": "提供時間終了"}


def format_status_line(status: Status) -> str:
    """One grep-able line, e.g.
    ``closed holiday next-open 2025-02-12T09:00:00+09:00 （建国記念の日）``."""
    words = ["open", "business-hours"] if status.is_open else ["closed", status.reason]
    if status.next_change is not None:
        words += ["next-close" if status.is_open else "next-open",
                  status.next_change.isoformat(timespec="seconds")]
    note = status.closure_reason or status.holiday_name
    if not status.is_open:
        note = note or _REASONS_JA.get(status.reason)
    return " ".join(words) + (f" （{note}）" if note else "")


def _hhmm(moment: datetime, day: date) -> str:
    # A window ending at the next midnight reads 24:00, as timetables write it.
    return "24:00" if moment.date() > day else moment.strftime("%H:%M")


def _format_day(entry: DaySchedule) -> str:
    head = f"{entry.date.isoformat()} ({WEEKDAYS_JA[entry.date.weekday()]})"
    body = (" ".join(f"{_hhmm(s, entry.date)}-{_hhmm(e, entry.date)}" for s, e in entry.windows)
            or f"closed {entry.reason}")
    extras = [entry.holiday_name] if entry.holiday_name else []
    extras += [f"closure: {c.reason}" for c in entry.closures]
    return " ".join([head, body, *extras])


def format_month(year: int, month: int, profile: Profile, closures: Closures = (),
                 year_end: YearEnd = DEFAULT_YEAR_END) -> str:
    """One line per day, for the CLI ``portal hours calendar YYYY-MM``."""
    resolved, normalised = _prepare(profile, closures)
    days = month_schedule(year, month, resolved, normalised, year_end)
    return "\n".join([f"{year:04d}-{month:02d} {resolved.name}", *map(_format_day, days)])
