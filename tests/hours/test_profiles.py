"""Custom weekly profiles: what an operator types becomes stored JSON and a calendar profile."""
from __future__ import annotations

from datetime import time

import pytest

from tests.hours.conftest import jst
from webapp.hours import calendar, profiles
from webapp.hours.calendar import MIDNIGHT
from webapp.hours.errors import InvalidProfile


@pytest.mark.parametrize(("typed", "windows"), [
    ("", []),
    ("09:00-18:00", [(time(9), time(18))]),
    ("9:00 - 12:00、13:00〜17:30", [(time(9), time(12)), (time(13), time(17, 30))]),
    ("００：００－２４：００", [(MIDNIGHT, MIDNIGHT)]),
    ("20:00~24:00; 06:00-08:00", [(time(20), MIDNIGHT), (time(6), time(8))]),
])
def test_typed_windows_are_understood(typed, windows):
    assert profiles.parse_day_windows(typed, "Monday") == windows


@pytest.mark.parametrize("typed", ["9-18", "09:00", "09:00-", "24:00-25:00", "09:60-10:00", "nine to five",
                                   "09:00-18:00 x"])
def test_untypable_windows_are_refused(typed):
    with pytest.raises(InvalidProfile):
        profiles.parse_day_windows(typed, "Monday")


def test_json_round_trip_keeps_midnight_as_24_00(app):
    windows = {0: [(time(9), time(12)), (time(20), MIDNIGHT)], 6: [(MIDNIGHT, MIDNIGHT)]}
    encoded = profiles.windows_to_json(windows)
    assert encoded == '{"0":[["09:00","12:00"],["20:00","24:00"]],"6":[["00:00","24:00"]]}'
    assert profiles.windows_from_json(encoded) == windows
    built = profiles.build_profile("late", windows, closes_on_holidays=False, observes_year_end=False)
    assert calendar.is_open_at(jst(2025, 6, 9, 23, 59, 59), built)  # Monday night
    assert not calendar.is_open_at(jst(2025, 6, 10, 0, 0), built)  # Tuesday: closed
    assert calendar.is_open_at(jst(2025, 6, 15, 3, 0), built)  # Sunday, all day
    assert profiles.describe_windows(windows)["mon"] == "09:00-12:00, 20:00-24:00"
