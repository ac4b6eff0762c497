"""`portal hours status|calendar`: the stable output operators script against (SPEC §10)."""
from __future__ import annotations

import pytest

from tests.hours.conftest import jst
from webapp.audit.service import Origin


@pytest.fixture
def portal(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=["hours", *args])

    return run


@pytest.mark.parametrize(("args", "first_line"), [
    (["--at", "2025-02-11T10:00", "--profile", "renewable"],
     "closed holiday next-open 2025-02-12T09:00:00+09:00 （建国記念の日）"),
    (["--at", "2025-02-11T10:00", "--profile", "capacity"],
     "open business-hours next-close 2025-02-11T18:00:00+09:00 （建国記念の日）"),
    # The same instant given in UTC: the offset is honoured.
    (["--at", "2025-02-11T01:00:00+00:00", "--profile", "capacity"],
     "open business-hours next-close 2025-02-11T18:00:00+09:00 （建国記念の日）"),
    (["--at", "2025-02-11T09:00:00Z", "--profile", "capacity"],
     "closed after_hours next-open 2025-02-12T09:00:00+09:00 （建国記念の日）"),
    (["--at", "2024-09-23T12:00", "--profile", "capacity"],
     "closed holiday next-open 2024-09-24T09:00:00+09:00 （秋分の日 振替休日）"),
    (["--at", "2025-12-30T12:00", "--profile", "renewable"],
     "closed year_end next-open 2026-01-05T09:00:00+09:00 （年末年始休業）"),
    (["--at", "2025-06-10T17:59:59"], "open business-hours next-close 2025-06-10T18:00:00+09:00"),
    (["--at", "2025-06-10T18:00:00"], "closed after_hours next-open 2025-06-11T09:00:00+09:00 （提供時間終了）"),
    (["--at", "2025-06-10T12:00", "--profile", "always"], "open business-hours"),
    # Typed in full width, as a Japanese input method may: read like every other command's dates.
    (["--at", "２０２５-０２-１１Ｔ１０：００", "--profile", "capacity"],
     "open business-hours next-close 2025-02-11T18:00:00+09:00 （建国記念の日）"),
])
def test_status_first_line(portal, args, first_line):
    result = portal("status", *args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == first_line


def test_status_defaults_to_now_and_the_system_profile(portal, clock):
    assert portal("status").output.startswith("open business-hours next-close 2025-06-10T18:00:00+09:00")
    clock.set(jst(2025, 6, 14, 10, 0))
    assert portal("status").output.startswith("closed weekend next-open 2025-06-16T09:00:00+09:00")


def test_status_and_calendar_include_closures_from_the_database(portal, world):
    from webapp.hours import service

    service.create_closure(jst(2025, 6, 10, 12, 0), jst(2025, 6, 10, 13, 0), "DB maintenance",
                           world.sysadmin, Origin())
    assert portal("status", "--at", "2025-06-10T12:30").output.splitlines()[0] == \
        "closed closure next-open 2025-06-10T13:00:00+09:00 （DB maintenance）"
    assert portal("status", "--at", "2025-06-10T11:00").output.startswith(
        "open business-hours next-close 2025-06-10T12:00:00+09:00")
    month = portal("calendar", "2025-06").output.splitlines()
    assert "2025-06-10 (火) 09:00-12:00 13:00-18:00 closure: DB maintenance" in month


def test_calendar_prints_the_month(portal):
    result = portal("calendar", "2025-02", "--profile", "capacity")
    lines = result.output.splitlines()
    assert result.exit_code == 0
    assert lines[0] == "2025-02 capacity"
    assert len(lines) == 1 + 28
    assert "2025-02-11 (火) 09:00-18:00 建国記念の日" in lines
    assert "2025-02-24 (月) closed holiday 天皇誕生日 振替休日" in lines
    assert portal("calendar", "2025-02").output.splitlines()[0] == "2025-02 capacity"  # system default


@pytest.mark.parametrize("args", [
    ["status", "--at", "yesterday"],
    ["status", "--at", "2025-02-30T10:00"],
    ["status", "--at", ""],
    ["status", "--at", "9999-12-31T23:00"],
    ["status", "--profile", "nope"],
    ["status", "--profile", ""],
    ["calendar", "2025-13"],
    ["calendar", "2025-2"],
    ["calendar", "garbage"],
    ["calendar", "0000-01"],
    ["calendar", "2025-02", "--profile", "x" * 100],
])
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(portal, args):
    result = portal(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")


def test_custom_profile_from_the_database_is_known_to_the_cli(portal, world):
    from datetime import time

    from webapp.hours import service

    service.define_custom_profile("weekend-desk", {5: [(time(10), time(16))]}, closes_on_holidays=False,
                                  observes_year_end=True, actor=world.sysadmin, origin=Origin())
    assert portal("status", "--at", "2025-06-14T11:00", "--profile", "weekend-desk").output.startswith(
        "open business-hours next-close 2025-06-14T16:00:00+09:00")
    assert "unknown profile" in portal("status", "--profile", "weekday-desk").stderr


def test_database_not_ready_is_one_line_not_a_traceback(portal):
    from sqlalchemy import text

    from webapp.extensions import db

    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE hours_closures"))
    result = portal("status", "--profile", "capacity")
    assert result.exit_code == 1
    assert result.stderr.startswith("portal: the database is not ready (") and "hours_closures" in result.stderr
    assert result.stderr.strip().endswith("run `portal init`")
    assert "Traceback" not in result.output


def _define_shift(world) -> None:
    from webapp.hours import profiles, service

    service.define_custom_profile("shift", {0: profiles.parse_day_windows("08:00-12:00,13:00-17:00", "Mon")},
                                  closes_on_holidays=True, observes_year_end=True, actor=world.sysadmin,
                                  origin=Origin())


@pytest.mark.parametrize(("at", "first_line"), [
    # Found by an operator trial: the lunch break read "before hours".
    ("2026-12-07T12:30", "closed between_hours next-open 2026-12-07T13:00:00+09:00 （休憩時間）"),
    ("2026-12-07T07:59", "closed before_hours next-open 2026-12-07T08:00:00+09:00 （提供時間前）"),
    ("2026-12-07T17:00", "closed after_hours next-open 2026-12-14T08:00:00+09:00 （提供時間終了）"),
])
def test_a_break_between_two_periods_of_a_custom_day_is_named_as_such(portal, world, at, first_line):
    _define_shift(world)
    result = portal("status", "--profile", "shift", "--at", at)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == first_line


def test_the_profile_chosen_on_screen_wins_over_the_setting_and_the_cli_says_so(portal, world):
    """Found by an operator trial: with `always` chosen at /admin/hours, PORTAL_HOURS_PROFILE=capacity
    (this app's setting) silently answered nothing; the screen's choice wins, and the answer says so."""
    from webapp.hours import service

    service.set_system_profile("always", world.sysadmin, Origin())
    tuesday_early = ["--at", "2025-06-10T08:55"]

    status = portal("status", *tuesday_early)
    assert status.exit_code == 0
    assert status.output.startswith("open business-hours\n")  # as the operator's terminal shows it: the answer first
    assert status.stdout.splitlines() == ["open business-hours"]  # standard output as scripts read it
    assert status.stderr.strip() == ("note: profile always applies, chosen by a system administrator at "
                                     "/admin/hours, which wins over PORTAL_HOURS_PROFILE=capacity; ask about "
                                     "another with --profile")
    calendar = portal("calendar", "2025-06")
    assert calendar.stdout.splitlines()[0] == "2025-06 always"
    assert "/admin/hours" in calendar.stderr and "PORTAL_HOURS_PROFILE=capacity" in calendar.stderr

    asked = portal("status", "--profile", "capacity", *tuesday_early)  # the command line wins for itself
    assert asked.stdout.startswith("closed before_hours next-open 2025-06-10T09:00:00+09:00")
    assert asked.stderr == ""

    service.set_system_profile("capacity", world.sysadmin, Origin())  # the two agree: nothing to say
    agreed = portal("status", *tuesday_early)
    assert agreed.stdout.startswith("closed before_hours") and agreed.stderr == ""
