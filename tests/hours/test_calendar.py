"""Tests for the pure business-hours calendar (SPEC §5), on real 2024–2027 dates.

No app, no database, no fixtures from a conftest: only the module under test.
"""

from __future__ import annotations

import os
import time as process_time
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import jpholiday
import pytest

from webapp.hours.calendar import (
    DEFAULT_YEAR_END,
    JST,
    MIDNIGHT,
    PROFILES,
    Closure,
    DaySchedule,
    HoursProfile,
    Status,
    UnknownProfile,
    day_schedule,
    format_month,
    format_status_line,
    get_profile,
    holiday_name,
    is_business_day,
    is_open_at,
    minutes_until_close,
    month_schedule,
    next_closing,
    next_opening,
    status_at,
)

NEW_YORK = ZoneInfo("America/New_York")


def jst(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=JST)


# --- holidays as jpholiday reports them -------------------------------------

@pytest.mark.parametrize(("day", "name"), [
    (date(2025, 1, 1), "元日"),                      # fixed
    (date(2025, 2, 11), "建国記念の日"),              # fixed, a Tuesday
    (date(2025, 1, 13), "成人の日"),                  # Happy Monday
    (date(2025, 10, 13), "スポーツの日"),             # Happy Monday
    (date(2025, 3, 20), "春分の日"),                  # equinox
    (date(2026, 9, 23), "秋分の日"),                  # equinox
    # jpholiday names a substitute holiday after the holiday it replaces,
    # not a bare "振替休日".
    (date(2024, 9, 23), "秋分の日 振替休日"),
    (date(2025, 5, 6), "みどりの日 振替休日"),
    (date(2026, 5, 6), "憲法記念日 振替休日"),
    (date(2027, 3, 22), "春分の日 振替休日"),
    (date(2026, 9, 22), "国民の休日"),               # sandwiched between 敬老の日 and 秋分の日
    (date(2025, 2, 10), None),
    (date(2025, 12, 29), None),                      # year-end is not a national holiday
])
def test_holiday_name(day: date, name: str | None) -> None:
    assert holiday_name(day) == name


@pytest.mark.parametrize(("day", "expected"), [
    (date(2025, 2, 10), True),    # Monday
    (date(2025, 2, 8), False),    # Saturday
    (date(2025, 2, 9), False),    # Sunday
    (date(2025, 2, 11), False),   # holiday
    (date(2024, 9, 23), False),   # 振替休日
    (date(2026, 9, 22), False),   # 国民の休日
    (date(2025, 12, 29), False),  # year-end
    (date(2026, 1, 2), False),    # year-end
    (date(2025, 12, 26), True),
    (date(2027, 1, 4), True),
])
def test_is_business_day(day: date, expected: bool) -> None:
    assert is_business_day(day) is expected


# --- status by day kind -----------------------------------------------------

STATUS_CASES = [
    # (instant, profile, is_open, reason, holiday_name)
    (jst(2025, 2, 10, 12), "renewable", True, "open", None),
    (jst(2025, 2, 10, 12), "capacity", True, "open", None),
    (jst(2025, 2, 8, 12), "renewable", False, "weekend", None),
    (jst(2025, 2, 9, 12), "capacity", False, "weekend", None),
    # Tuesday holidays: closed for renewable, open for capacity.
    (jst(2025, 2, 11, 12), "renewable", False, "holiday", "建国記念の日"),
    (jst(2025, 2, 11, 12), "capacity", True, "open", "建国記念の日"),
    (jst(2025, 4, 29, 12), "renewable", False, "holiday", "昭和の日"),
    (jst(2025, 4, 29, 12), "capacity", True, "open", "昭和の日"),
    (jst(2025, 5, 6, 12), "renewable", False, "holiday", "みどりの日 振替休日"),
    (jst(2025, 5, 6, 12), "capacity", True, "open", "みどりの日 振替休日"),
    (jst(2026, 9, 22, 12), "renewable", False, "holiday", "国民の休日"),
    (jst(2026, 9, 22, 12), "capacity", True, "open", "国民の休日"),
    (jst(2027, 2, 23, 12), "capacity", True, "open", "天皇誕生日"),
    (jst(2027, 11, 23, 12), "capacity", True, "open", "勤労感謝の日"),
    # Holidays on other weekdays: closed under both.
    (jst(2024, 9, 23, 12), "renewable", False, "holiday", "秋分の日 振替休日"),
    (jst(2024, 9, 23, 12), "capacity", False, "holiday", "秋分の日 振替休日"),
    (jst(2025, 1, 13, 12), "renewable", False, "holiday", "成人の日"),
    (jst(2025, 1, 13, 12), "capacity", False, "holiday", "成人の日"),
    (jst(2025, 3, 20, 12), "renewable", False, "holiday", "春分の日"),
    (jst(2025, 3, 20, 12), "capacity", False, "holiday", "春分の日"),
    (jst(2026, 9, 21, 12), "capacity", False, "holiday", "敬老の日"),
    (jst(2026, 9, 23, 12), "capacity", False, "holiday", "秋分の日"),
    # A holiday on a weekend reports the holiday, which is more informative.
    (jst(2025, 2, 23, 12), "renewable", False, "holiday", "天皇誕生日"),
    (jst(2025, 5, 3, 12), "capacity", False, "holiday", "憲法記念日"),
    # Year-end closure beats everything, including a capacity Tuesday.
    (jst(2024, 12, 27, 12), "renewable", True, "open", None),
    (jst(2024, 12, 30, 12), "renewable", False, "year_end", None),
    (jst(2024, 12, 31, 12), "capacity", False, "year_end", None),
    (jst(2025, 1, 1, 12), "capacity", False, "year_end", "元日"),
    (jst(2025, 1, 2, 12), "renewable", False, "year_end", None),
    (jst(2025, 1, 3, 12), "capacity", False, "year_end", None),
    (jst(2025, 12, 29, 12), "renewable", False, "year_end", None),
    (jst(2025, 12, 30, 12), "capacity", False, "year_end", None),
    (jst(2026, 1, 2, 12), "renewable", False, "year_end", None),
    (jst(2030, 1, 1, 12), "capacity", False, "year_end", "元日"),  # a Tuesday 元日
    (jst(2026, 12, 28, 12), "renewable", True, "open", None),
    (jst(2027, 12, 28, 12), "capacity", True, "open", None),
    (jst(2027, 1, 4, 12), "renewable", True, "open", None),
    (jst(2027, 1, 4, 12), "capacity", True, "open", None),
]


@pytest.mark.parametrize(("instant", "profile", "is_open", "reason", "name"), STATUS_CASES)
def test_status_by_day_kind(instant: datetime, profile: str, is_open: bool,
                            reason: str, name: str | None) -> None:
    status = status_at(instant, get_profile(profile))
    assert (status.is_open, status.reason, status.holiday_name) == (is_open, reason, name)
    assert is_open_at(instant, profile) is is_open


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_every_national_holiday_against_both_profiles(year: int) -> None:
    for day, _ in jpholiday.year_holidays(year):
        noon = jst(day.year, day.month, day.day, 12)
        assert not is_open_at(noon, "renewable"), day
        expected = day.weekday() == 1 and (day.month, day.day) not in DEFAULT_YEAR_END
        assert is_open_at(noon, "capacity") is expected, day


# --- exact boundaries -------------------------------------------------------

@pytest.mark.parametrize(("profile", "clock", "is_open", "reason"), [
    ("capacity", time(8, 59, 59), False, "before_hours"),
    ("capacity", time(9, 0, 0), True, "open"),
    ("capacity", time(17, 59, 59), True, "open"),
    ("capacity", time(17, 59, 59, 999999), True, "open"),
    ("capacity", time(18, 0, 0), False, "after_hours"),
    ("renewable", time(0, 0, 0), False, "before_hours"),
    ("renewable", time(8, 59, 59), False, "before_hours"),
    ("renewable", time(9, 0, 0), True, "open"),
    ("renewable", time(20, 59, 59), True, "open"),
    ("renewable", time(21, 0, 0), False, "after_hours"),
    ("renewable", time(23, 59, 59), False, "after_hours"),
])
def test_boundaries(profile: str, clock: time, is_open: bool, reason: str) -> None:
    instant = datetime.combine(date(2025, 2, 10), clock, JST)
    status = status_at(instant, profile)
    assert (status.is_open, status.reason) == (is_open, reason)
    assert is_open_at(instant, profile) is is_open


# --- the instant, not its zone, decides ---------------------------------------

@pytest.mark.parametrize("instant", [
    jst(2025, 2, 10, 20, 59, 59),
    jst(2025, 2, 10, 21),
    jst(2025, 2, 11, 0, 30),    # Monday 15:30 in UTC, but 建国記念の日 in Japan
    jst(2025, 2, 10, 8, 59, 59),  # Sunday evening in New York
    jst(2026, 1, 5, 9),
])
@pytest.mark.parametrize("profile", ["renewable", "capacity", "always"])
def test_same_instant_in_any_zone(instant: datetime, profile: str) -> None:
    expected = status_at(instant, profile)
    for zone in (timezone.utc, NEW_YORK, timezone(timedelta(hours=-3, minutes=-30))):
        assert status_at(instant.astimezone(zone), profile) == expected


def test_answers_are_in_japan_time_for_foreign_input() -> None:
    status = status_at(datetime(2025, 2, 10, 3, tzinfo=timezone.utc), "renewable")
    assert status.is_open
    assert status.next_change == jst(2025, 2, 10, 21)
    assert status.next_change.utcoffset() == timedelta(hours=9)
    assert status.next_change.isoformat() == "2025-02-10T21:00:00+09:00"


def test_process_timezone_does_not_matter() -> None:
    cases = [(jst(2025, 2, 11, 0, 30), "renewable"), (jst(2025, 2, 10, 20, 59, 59), "renewable"),
             (jst(2025, 12, 26, 21), "capacity"), (jst(2026, 9, 22, 9), "capacity")]
    expected = [status_at(i, p) for i, p in cases]
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    process_time.tzset()
    try:
        assert process_time.localtime(0).tm_hour == 16  # the change really took effect
        assert [status_at(i, p) for i, p in cases] == expected
        assert [status_at(i.astimezone(), p) for i, p in cases] == expected
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        process_time.tzset()


# --- next change --------------------------------------------------------------

@pytest.mark.parametrize(("instant", "profile", "expected"), [
    (jst(2025, 2, 7, 12), "renewable", jst(2025, 2, 7, 21)),      # open: closing time
    (jst(2025, 2, 10, 8), "renewable", jst(2025, 2, 10, 9)),      # before hours
    (jst(2025, 2, 7, 21), "renewable", jst(2025, 2, 10, 9)),      # across a weekend
    (jst(2025, 2, 8, 3), "capacity", jst(2025, 2, 10, 9)),
    (jst(2025, 2, 10, 21), "renewable", jst(2025, 2, 12, 9)),     # across 建国記念の日
    (jst(2025, 2, 10, 18), "capacity", jst(2025, 2, 11, 9)),      # capacity opens on it
    (jst(2024, 9, 20, 21), "renewable", jst(2024, 9, 24, 9)),     # weekend + 振替休日
    (jst(2024, 9, 20, 18), "capacity", jst(2024, 9, 24, 9)),
    (jst(2026, 9, 18, 21), "renewable", jst(2026, 9, 24, 9)),     # Silver Week 2026
    (jst(2026, 9, 18, 18), "capacity", jst(2026, 9, 22, 9)),      # 国民の休日 is a Tuesday
    (jst(2025, 5, 2, 21), "renewable", jst(2025, 5, 7, 9)),       # Golden Week 2025
    (jst(2025, 5, 2, 18), "capacity", jst(2025, 5, 6, 9)),
    (jst(2025, 12, 26, 21), "renewable", jst(2026, 1, 5, 9)),     # year-end
    (jst(2025, 12, 26, 18), "capacity", jst(2026, 1, 5, 9)),
    (jst(2024, 12, 27, 21), "renewable", jst(2025, 1, 6, 9)),
    (jst(2026, 12, 28, 21), "renewable", jst(2027, 1, 4, 9)),
    (jst(2027, 12, 28, 17, 59, 59), "capacity", jst(2027, 12, 28, 18)),
])
def test_next_change(instant: datetime, profile: str, expected: datetime) -> None:
    status = status_at(instant, profile)
    assert status.next_change == expected
    assert status.next_change.tzinfo == JST
    if status.is_open:
        assert (status.closes_at, status.opens_at) == (expected, None)
        assert next_closing(instant, profile) == expected
    else:
        assert (status.closes_at, status.opens_at) == (None, expected)
        assert next_opening(instant, profile) == expected


def test_next_opening_and_closing_of_the_current_state_is_now() -> None:
    open_now, closed_now = jst(2025, 2, 10, 12), jst(2025, 2, 10, 22)
    assert next_opening(open_now, "renewable") == open_now
    assert next_closing(closed_now, "renewable") == closed_now


def test_search_is_bounded_when_never_open() -> None:
    never = HoursProfile.from_weekly("never", {})
    status = status_at(jst(2025, 2, 10, 12), never)
    assert (status.is_open, status.reason, status.next_change) == (False, "no_service", None)  # a Monday
    assert next_opening(jst(2025, 2, 10, 12), never) is None


# --- year-end configuration ---------------------------------------------------

SHORT_YEAR_END = frozenset({(12, 31), (1, 1)})


@pytest.mark.parametrize(("instant", "year_end", "is_open", "reason"), [
    (jst(2025, 12, 29, 12), SHORT_YEAR_END, True, "open"),
    (jst(2025, 12, 30, 12), SHORT_YEAR_END, True, "open"),
    (jst(2025, 12, 31, 12), SHORT_YEAR_END, False, "year_end"),
    (jst(2026, 1, 1, 12), SHORT_YEAR_END, False, "year_end"),
    (jst(2026, 1, 2, 12), SHORT_YEAR_END, True, "open"),
    (jst(2025, 12, 30, 12), frozenset(), True, "open"),
    (jst(2026, 1, 1, 12), frozenset(), False, "holiday"),  # 元日 is closed anyway
    (jst(2025, 12, 26, 12), frozenset({(12, 26)}), False, "year_end"),
])
def test_custom_year_end(instant: datetime, year_end: frozenset[tuple[int, int]],
                         is_open: bool, reason: str) -> None:
    status = status_at(instant, "renewable", year_end=year_end)
    assert (status.is_open, status.reason) == (is_open, reason)


def test_custom_year_end_next_opening() -> None:
    assert next_opening(jst(2025, 12, 30, 21), "renewable", year_end=SHORT_YEAR_END) == jst(2026, 1, 2, 9)
    assert not is_business_day(date(2025, 12, 31), SHORT_YEAR_END)
    assert is_business_day(date(2025, 12, 29), SHORT_YEAR_END)


# --- ad-hoc closures ----------------------------------------------------------

OVERNIGHT = Closure(jst(2025, 2, 12, 20), jst(2025, 2, 13, 10), "定期メンテナンス")


@pytest.mark.parametrize(("instant", "is_open", "reason", "closure_reason", "next_change"), [
    (jst(2025, 2, 12, 19, 59, 59), True, "open", None, jst(2025, 2, 12, 20)),
    (jst(2025, 2, 12, 20), False, "closure", "定期メンテナンス", jst(2025, 2, 13, 10)),
    (jst(2025, 2, 12, 23), False, "closure", "定期メンテナンス", jst(2025, 2, 13, 10)),
    (jst(2025, 2, 13, 9, 30), False, "closure", "定期メンテナンス", jst(2025, 2, 13, 10)),
    (jst(2025, 2, 13, 10), True, "open", None, jst(2025, 2, 13, 21)),
    (jst(2025, 2, 11, 21), False, "holiday", None, jst(2025, 2, 12, 9)),
])
def test_closure_spanning_midnight(instant: datetime, is_open: bool, reason: str,
                                   closure_reason: str | None, next_change: datetime) -> None:
    status = status_at(instant, "renewable", [OVERNIGHT])
    assert status == Status(is_open, reason, status.holiday_name, closure_reason, next_change)


def test_closure_as_plain_tuple_in_any_zone() -> None:
    as_tuple = (OVERNIGHT.start.astimezone(timezone.utc), OVERNIGHT.end.astimezone(NEW_YORK),
                OVERNIGHT.reason)
    instant = jst(2025, 2, 13, 9, 30)
    assert status_at(instant, "renewable", [as_tuple]) == status_at(instant, "renewable", [OVERNIGHT])


def test_closure_day_schedules() -> None:
    wednesday = day_schedule(date(2025, 2, 12), "renewable", [OVERNIGHT])
    thursday = day_schedule(date(2025, 2, 13), "renewable", [OVERNIGHT])
    assert wednesday.windows == ((jst(2025, 2, 12, 9), jst(2025, 2, 12, 20)),)
    assert thursday.windows == ((jst(2025, 2, 13, 10), jst(2025, 2, 13, 21)),)
    assert wednesday.closures == thursday.closures == (OVERNIGHT,)
    assert day_schedule(date(2025, 2, 14), "renewable", [OVERNIGHT]).closures == ()


def test_closure_inside_a_window_splits_it() -> None:
    lunch = (jst(2025, 2, 10, 12), jst(2025, 2, 10, 13), "緊急停止")
    schedule = day_schedule(date(2025, 2, 10), "capacity", [lunch])
    assert schedule.windows == ((jst(2025, 2, 10, 9), jst(2025, 2, 10, 12)),
                                (jst(2025, 2, 10, 13), jst(2025, 2, 10, 18)))
    assert minutes_until_close(jst(2025, 2, 10, 11, 50), "capacity", [lunch]) == 10


def test_whole_day_closure_and_after_hours() -> None:
    closure = (jst(2025, 2, 10, 9), jst(2025, 2, 10, 21), "利用の停止")
    schedule = day_schedule(date(2025, 2, 10), "renewable", [closure])
    assert (schedule.windows, schedule.reason, schedule.is_open_day) == ((), "closure", False)
    late = status_at(jst(2025, 2, 10, 22), "renewable", [closure])
    assert (late.reason, late.closure_reason) == ("after_hours", None)


def test_closure_over_a_weekend() -> None:
    closure = (jst(2025, 2, 14, 18), jst(2025, 2, 17, 12), "移行作業")
    assert status_at(jst(2025, 2, 14, 17), "renewable", [closure]).next_change == jst(2025, 2, 14, 18)
    saturday = status_at(jst(2025, 2, 15, 12), "renewable", [closure])
    assert (saturday.reason, saturday.closure_reason, saturday.next_change) == (
        "closure", "移行作業", jst(2025, 2, 17, 12))


@pytest.mark.parametrize("bad", [
    (datetime(2025, 2, 12, 20), jst(2025, 2, 13, 10), "naive start"),
    (jst(2025, 2, 13, 10), jst(2025, 2, 12, 20), "backwards"),
    (jst(2025, 2, 13, 10), jst(2025, 2, 13, 10), "empty"),
])
def test_invalid_closures_raise(bad: tuple[datetime, datetime, str]) -> None:
    with pytest.raises(ValueError):
        status_at(jst(2025, 2, 10, 12), "renewable", [bad])


# --- always -------------------------------------------------------------------

@pytest.mark.parametrize("instant", [
    jst(2025, 2, 8, 3), jst(2025, 2, 11, 12), jst(2026, 1, 1, 0), jst(2025, 12, 31, 23, 59, 59),
    jst(2026, 9, 22, 21), jst(2027, 5, 5, 8, 59, 59),
])
def test_always_is_always_open(instant: datetime) -> None:
    status = status_at(instant, "always")
    assert (status.is_open, status.reason, status.next_change) == (True, "open", None)
    assert next_closing(instant, "always") is None
    assert minutes_until_close(instant, "always") is None


def test_always_respects_closures() -> None:
    closure = (jst(2025, 2, 8, 22), jst(2025, 2, 9, 4), "夜間メンテナンス")
    before = status_at(jst(2025, 2, 8, 21), "always", [closure])
    during = status_at(jst(2025, 2, 9, 1), "always", [closure])
    assert (before.is_open, before.next_change) == (True, jst(2025, 2, 8, 22))
    assert (during.is_open, during.reason, during.next_change) == (False, "closure", jst(2025, 2, 9, 4))
    assert day_schedule(date(2025, 2, 9), "always", [closure]).windows == (
        (jst(2025, 2, 9, 4), jst(2025, 2, 10)),)


# --- profiles -----------------------------------------------------------------

def test_builtin_profiles() -> None:
    assert set(PROFILES) == {"renewable", "capacity", "always"}
    assert get_profile("capacity") is PROFILES["capacity"]


@pytest.mark.parametrize("name", ["", "Renewable", "nightly"])
def test_unknown_profile_raises(name: str) -> None:
    with pytest.raises(UnknownProfile):
        get_profile(name)
    with pytest.raises(ValueError):  # UnknownProfile is a ValueError
        status_at(jst(2025, 2, 10, 12), name)


@pytest.mark.parametrize("call", [status_at, is_open_at, next_opening, next_closing,
                                  minutes_until_close])
def test_naive_datetime_raises(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        call(datetime(2025, 2, 10, 12), "renewable")


def test_day_schedule_refuses_datetime() -> None:
    with pytest.raises(TypeError):
        day_schedule(jst(2025, 2, 10, 12), "renewable")  # type: ignore[arg-type]


SPLIT_SHIFT = HoursProfile.from_weekly(
    "split", {2: [(time(13), time(17)), (time(9), time(12))], 5: [(time(10), time(14))]},
    closes_on_holidays=False)
HOLIDAY_AWARE = HoursProfile.from_weekly("wed", {2: [(time(9), time(17))]})
NIGHT_SHIFT = HoursProfile.from_weekly(
    "night", {4: [(time(18), MIDNIGHT)], 5: [(MIDNIGHT, time(6))]})
ABUTTING = HoursProfile.from_weekly("abut", {0: [(time(9), time(12)), (time(12), time(15))]})


@pytest.mark.parametrize(("profile", "instant", "is_open", "reason", "next_change"), [
    (SPLIT_SHIFT, jst(2025, 2, 12, 11, 59), True, "open", jst(2025, 2, 12, 12)),
    # The midday gap is a break, not "before hours" (found by an operator trial).
    (SPLIT_SHIFT, jst(2025, 2, 12, 12, 30), False, "between_hours", jst(2025, 2, 12, 13)),
    (SPLIT_SHIFT, jst(2025, 2, 12, 8, 59), False, "before_hours", jst(2025, 2, 12, 9)),
    (SPLIT_SHIFT, jst(2025, 2, 12, 17), False, "after_hours", jst(2025, 2, 15, 10)),
    (SPLIT_SHIFT, jst(2025, 2, 15, 10), True, "open", jst(2025, 2, 15, 14)),
    (SPLIT_SHIFT, jst(2025, 2, 10, 10), False, "no_service", jst(2025, 2, 12, 9)),  # a Monday without hours
    (SPLIT_SHIFT, jst(2025, 2, 16, 10), False, "weekend", jst(2025, 2, 19, 9)),
    (SPLIT_SHIFT, jst(2026, 2, 11, 10), True, "open", jst(2026, 2, 11, 12)),  # holiday, still open
    (HOLIDAY_AWARE, jst(2026, 2, 11, 10), False, "holiday", jst(2026, 2, 18, 9)),
    (HOLIDAY_AWARE, jst(2025, 12, 31, 10), False, "year_end", jst(2026, 1, 7, 9)),
    (NIGHT_SHIFT, jst(2025, 2, 14, 23), True, "open", jst(2025, 2, 15, 6)),  # runs past midnight
    (NIGHT_SHIFT, jst(2025, 2, 15, 0), True, "open", jst(2025, 2, 15, 6)),
    (ABUTTING, jst(2025, 2, 10, 10), True, "open", jst(2025, 2, 10, 15)),
])
def test_custom_weekly_windows(profile: HoursProfile, instant: datetime, is_open: bool,
                               reason: str, next_change: datetime) -> None:
    status = status_at(instant, profile)
    assert (status.is_open, status.reason, status.next_change) == (is_open, reason, next_change)


@pytest.mark.parametrize(("windows", "weekly"), [
    ({0: [(time(9), time(12)), (time(11), time(15))]}, None),   # overlap
    ({0: [(time(12), time(9))]}, None),                          # backwards
    ({0: [(time(9), time(9))]}, None),                           # empty
    ({7: [(time(9), time(12))]}, None),                          # no such weekday
    ({0: [(time(9, tzinfo=JST), time(12))]}, None),              # zoned wall clock
    (None, ((),) * 6),                                           # six days a week
])
def test_invalid_profiles_raise(windows, weekly) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        if windows is not None:
            HoursProfile.from_weekly("bad", windows)
        else:
            HoursProfile("bad", weekly)


# --- banner -------------------------------------------------------------------

@pytest.mark.parametrize(("instant", "minutes"), [
    (jst(2025, 2, 10, 12), 540),
    (jst(2025, 2, 10, 20, 44, 59), 16),
    (jst(2025, 2, 10, 20, 45), 15),          # the banner starts here
    (jst(2025, 2, 10, 20, 59), 1),
    (jst(2025, 2, 10, 20, 59, 30), 1),       # rounded up, never "0 minutes"
    (jst(2025, 2, 10, 21), None),            # closed
    (jst(2025, 2, 11, 12), None),            # holiday
])
def test_minutes_until_close(instant: datetime, minutes: int | None) -> None:
    assert minutes_until_close(instant, "renewable") == minutes


# --- schedules ----------------------------------------------------------------

def test_month_schedule_february_2025() -> None:
    days = month_schedule(2025, 2, "renewable")
    assert len(days) == 28
    assert all(isinstance(d, DaySchedule) for d in days)
    assert [d.date for d in days] == [date(2025, 2, n) for n in range(1, 29)]
    assert {d.date.day: d.holiday_name for d in days if d.holiday_name} == {
        11: "建国記念の日", 23: "天皇誕生日", 24: "天皇誕生日 振替休日"}
    assert sum(d.is_open_day for d in days) == 18
    assert sum(d.is_open_day for d in month_schedule(2025, 2, "capacity")) == 19
    assert days[9].windows == ((jst(2025, 2, 10, 9), jst(2025, 2, 10, 21)),)
    assert (days[10].reason, days[0].reason, days[9].reason) == ("holiday", "weekend", None)


@pytest.mark.parametrize(("year", "month", "days"), [(2024, 2, 29), (2025, 12, 31), (2026, 9, 30)])
def test_month_schedule_lengths(year: int, month: int, days: int) -> None:
    assert len(month_schedule(year, month, "capacity")) == days


def test_month_schedule_year_end() -> None:
    reasons = {d.date.day: d.reason for d in month_schedule(2025, 12, "capacity")}
    assert [reasons[n] for n in range(26, 32)] == [
        None, "weekend", "weekend", "year_end", "year_end", "year_end"]


# --- formatting ---------------------------------------------------------------

@pytest.mark.parametrize(("instant", "profile", "closures", "line"), [
    (jst(2025, 2, 11, 12), "renewable", [],
     "closed holiday next-open 2025-02-12T09:00:00+09:00 （建国記念の日）"),
    (jst(2025, 2, 10, 12), "renewable", [],
     "open business-hours next-close 2025-02-10T21:00:00+09:00"),
    (jst(2025, 2, 11, 12), "capacity", [],
     "open business-hours next-close 2025-02-11T18:00:00+09:00 （建国記念の日）"),
    (jst(2025, 12, 26, 21), "renewable", [],
     "closed after_hours next-open 2026-01-05T09:00:00+09:00 （提供時間終了）"),
    (jst(2025, 12, 30, 12), "renewable", [],
     "closed year_end next-open 2026-01-05T09:00:00+09:00 （年末年始休業）"),
    (jst(2025, 2, 13, 9, 30), "renewable", [OVERNIGHT],
     "closed closure next-open 2025-02-13T10:00:00+09:00 （定期メンテナンス）"),
    (jst(2025, 2, 13, 9, 30), "always", [], "open business-hours"),
])
def test_format_status_line(instant: datetime, profile: str, closures: list[Closure],
                            line: str) -> None:
    text = format_status_line(status_at(instant, profile, closures))
    assert text == line
    assert text.split()[0] in {"open", "closed"}
    assert "\n" not in text


def test_format_month() -> None:
    lines = format_month(2025, 2, "renewable", [OVERNIGHT]).splitlines()
    assert lines[0] == "2025-02 renewable"
    assert len(lines) == 29
    assert lines[1] == "2025-02-01 (土) closed weekend"
    assert lines[10] == "2025-02-10 (月) 09:00-21:00"
    assert lines[11] == "2025-02-11 (火) closed holiday 建国記念の日"
    assert lines[12] == "2025-02-12 (水) 09:00-20:00 closure: 定期メンテナンス"
    assert lines[24] == "2025-02-24 (月) closed holiday 天皇誕生日 振替休日"
    capacity = format_month(2025, 2, "capacity").splitlines()
    assert capacity[11] == "2025-02-11 (火) 09:00-18:00 建国記念の日"
    assert format_month(2025, 2, "always").splitlines()[1] == "2025-02-01 (土) 00:00-24:00"
