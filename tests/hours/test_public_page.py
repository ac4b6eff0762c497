"""/hours: anyone can see the open days and hours of the next two months, holidays and closures named."""
from __future__ import annotations

import re

import pytest

from tests.hours.conftest import jst
from tests.hours.helpers import element, text_of
from webapp.audit.service import Origin


def day_cell(response, iso_date: str) -> str:
    return element(response, rf'data-date="{iso_date}"')


def test_february_2025_names_the_holidays_and_opens_capacity_on_the_tuesday_holiday(client, clock):
    clock.set(jst(2025, 2, 3, 10, 0))

    page = client.get("/hours")

    assert page.status_code == 200
    assert element(page, r'data-testid="hours-profile"') == "capacity"
    assert day_cell(page, "2025-02-11") == "11 09:00-18:00 建国記念の日"  # a Tuesday: open under capacity
    assert day_cell(page, "2025-02-24") == "24 Closed (holiday) 天皇誕生日 振替休日"
    assert day_cell(page, "2025-02-15") == "15 Closed day"  # Saturday
    holidays = element(page, r'data-testid="hours-holidays"').replace(" :", ":")  # the name is its own span (lang="ja")
    assert 'lang="ja">建国記念の日</span>' in page.get_data(as_text=True)
    assert "2025-02-11 建国記念の日: open" in holidays
    assert "2025-03-20 春分の日: closed" in holidays
    # Rolling two months: 2025-02-03 to 2025-04-03.
    assert "From 2025-02-03 to 2025-04-03" in text_of(page)
    assert 'data-date="2025-04-03"' in page.get_data(as_text=True)
    assert 'data-date="2025-04-04"' not in page.get_data(as_text=True)
    assert 'data-date="2025-02-02"' not in page.get_data(as_text=True)
    assert [m for m in re.findall(r"<caption>([^<]+)</caption>", page.get_data(as_text=True))] == \
        ["February 2025", "March 2025", "April 2025"]


def test_another_profile_can_be_viewed_and_the_tuesday_holiday_is_closed_under_renewable(client, clock):
    clock.set(jst(2025, 2, 3, 10, 0))

    page = client.get("/hours?profile=renewable")

    assert element(page, r'data-testid="hours-profile"') == "renewable"
    assert day_cell(page, "2025-02-11") == "11 Closed (holiday) 建国記念の日"
    assert day_cell(page, "2025-02-12") == "12 09:00-21:00"


def test_year_end_closure_is_shown(client, clock):
    clock.set(jst(2025, 12, 1, 10, 0))
    page = client.get("/hours")
    assert day_cell(page, "2025-12-29") == "29 Closed (year-end)"
    assert day_cell(page, "2026-01-05") == "5 09:00-18:00"
    assert "Year-end and New Year closure: 2025-12-29 to 2026-01-03." in text_of(page)


def test_ad_hoc_closure_appears_with_its_reason_and_cancelled_ones_do_not(client, world, clock):
    from webapp.hours import service

    kept = service.create_closure(jst(2025, 6, 12, 9, 0), jst(2025, 6, 12, 12, 0), "Network work",
                                  world.sysadmin, Origin())
    gone = service.create_closure(jst(2025, 6, 19, 9, 0), jst(2025, 6, 20, 18, 0), "Called off",
                                  world.sysadmin, Origin())
    service.cancel_closure(gone.id, world.sysadmin, Origin())

    page = client.get("/hours")

    assert day_cell(page, "2025-06-12") == "12 12:00-18:00 Closure: Network work"
    assert element(page, r'data-testid="hours-closures"') == \
        "2025-06-12 (Thu) 09:00 – 2025-06-12 (Thu) 12:00: Network work"
    assert "Called off" not in page.get_data(as_text=True)
    assert day_cell(page, "2025-06-19") == "19 09:00-18:00"
    assert kept.id != gone.id


def test_a_whole_day_closure_reads_closed(client, world, clock):
    from webapp.hours import service

    service.create_closure(jst(2025, 6, 16, 0, 0), jst(2025, 6, 17, 0, 0), "Data centre move",
                           world.sysadmin, Origin())
    page = client.get("/hours")
    assert day_cell(page, "2025-06-16") == "16 Closed (temporary closure) Closure: Data centre move"


@pytest.mark.parametrize("asked", ["nope", "CAPACITY", "x" * 41, "\x00", "<b>bad</b>", "' OR 1=1 --", ""])
def test_unknown_profile_is_a_clear_400_page(client, asked):
    page = client.get("/hours", query_string={"profile": asked})
    assert page.status_code == 400
    assert "There is no business-hours profile named" in element(page, r'id="hours-error"')
    assert "<b>bad</b>" not in page.get_data(as_text=True)
    assert "/hours?profile=capacity" in page.get_data(as_text=True)


def test_invalid_utf8_in_the_query_is_refused_cleanly(client):
    page = client.get("/hours?profile=%ff%fe")
    assert page.status_code == 400


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "renewable"}])
def test_signed_in_user_sees_the_profile_of_their_organisation(client, world, clock, sign_in):
    world.grid.hours_profile = "capacity"
    from webapp.extensions import db

    db.session.commit()
    assert element(client.get("/hours"), r'data-testid="hours-profile"') == "renewable"
    sign_in(client, world.grid_operator)
    assert element(client.get("/hours"), r'data-testid="hours-profile"') == "capacity"


def test_htmx_request_gets_the_calendar_fragment(client):
    page = client.get("/hours?profile=always", headers={"HX-Request": "true"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert body.lstrip().startswith('<section id="hours-calendar"')
    assert "<html" not in body
    assert "24 hours" in body


def test_status_line_on_the_page_says_open_or_closed(client, clock):
    assert "Open now. It closes at 2025-06-10 (Tue) 18:00." in text_of(client.get("/hours"))
    clock.set(jst(2025, 6, 10, 8, 0))
    assert "The system is closed now (before business hours). It opens at 2025-06-10 (Tue) 09:00." in \
        text_of(client.get("/hours"))
