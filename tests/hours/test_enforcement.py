"""Closing time as users live it: sessions end at 18:00 under `capacity`, the login page says when it opens."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.hours.conftest import jst
from tests.hours.helpers import audit_kinds, element, submit_password, text_of
from webapp.auth.models import ServerSession
from webapp.extensions import db

SESSION_COOKIE = "sekisho_session"
# Long idle and absolute limits, so only closing time can be what ends a session overnight.
LONG_SESSIONS = {"PORTAL_SESSION_IDLE_MINUTES": 24 * 60, "PORTAL_SESSION_ABSOLUTE_HOURS": 48}


def test_open_at_1759_and_ended_at_1800_for_a_full_page(client, world, clock, sign_in):
    clock.set(jst(2025, 6, 10, 17, 45))  # a Tuesday
    sign_in(client, world.grid_operator)
    clock.set(jst(2025, 6, 10, 17, 59, 59))
    assert client.get("/dashboard").status_code == 200

    clock.set(jst(2025, 6, 10, 18, 0))
    refused = client.get("/dashboard")

    assert refused.status_code == 303
    assert refused.headers["Location"].startswith("/login")
    login = client.get(refused.headers["Location"])
    notice = element(login, r'class="notice notice-closed"')
    assert "session has ended" in notice
    assert "after business hours" in notice
    assert "2025-06-11 (Wed) 09:00" in notice
    assert client.get("/dashboard").headers["Location"].startswith("/login")
    [ended] = audit_kinds("session.ended_closed")
    assert ended.actor_id == world.grid_operator.id
    assert '"profile": "capacity"' in ended.details


def test_htmx_request_at_closing_gets_a_redirect_header_not_a_fragment(client, world, clock, sign_in):
    clock.set(jst(2025, 6, 10, 17, 50))
    sign_in(client, world.grid_operator)
    clock.set(jst(2025, 6, 10, 18, 0))

    response = client.get("/dashboard", headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.get_data() == b""
    assert client.get("/dashboard").status_code == 303


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "capacity", **LONG_SESSIONS}])
def test_every_session_of_the_user_is_dead_even_back_in_hours(new_client, world, clock, sign_in):
    office, laptop = new_client(), new_client()
    clock.set(jst(2025, 6, 10, 17, 40))
    sign_in(office, world.grid_operator)
    sign_in(laptop, world.grid_operator)
    old_cookie = office.get_cookie(SESSION_COOKIE).value
    clock.set(jst(2025, 6, 10, 18, 0, 1))

    assert office.get("/dashboard").status_code == 303

    assert db.session.scalars(select(ServerSession).where(
        ServerSession.user_id == world.grid_operator.id)).all() == []
    clock.set(jst(2025, 6, 11, 9, 30))  # open again, well within the long session limits
    replay = new_client()
    replay.set_cookie(SESSION_COOKIE, old_cookie)
    assert replay.get("/dashboard").headers["Location"].startswith("/login")
    assert laptop.get("/dashboard").headers["Location"].startswith("/login")


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "capacity", **LONG_SESSIONS}])
def test_a_session_within_hours_survives_overnight_limits_control(new_client, world, clock, sign_in):
    """Control for the test above: without closing time in between, the same replay works."""
    browser = new_client()
    clock.set(jst(2025, 6, 10, 9, 5))
    sign_in(browser, world.grid_operator)
    cookie = browser.get_cookie(SESSION_COOKIE).value
    clock.set(jst(2025, 6, 10, 17, 0))
    replay = new_client()
    replay.set_cookie(SESSION_COOKIE, cookie)
    assert replay.get("/dashboard").status_code == 200


def test_login_page_after_closing_says_closed_and_when_it_opens(client, world, clock):
    clock.set(jst(2025, 6, 13, 18, 0))  # Friday evening: next opening is Monday

    page = client.get("/login")

    notice = element(page, r'class="notice notice-closed"')
    assert "closed now" in notice
    assert "2025-06-16 (Mon) 09:00" in notice
    clock.set(jst(2025, 6, 13, 17, 0))
    assert 'notice-closed' not in client.get("/login").get_data(as_text=True)


def test_sign_in_outside_hours_is_refused_naming_the_next_opening(client, world, clock, smtp):
    clock.set(jst(2025, 6, 14, 10, 0))  # Saturday

    response = submit_password(client, world.grid_operator.login_id)

    assert response.status_code == 403
    error = element(response, r'id="login-error"')
    assert "closed now (weekend)" in error
    assert "2025-06-16 (Mon) 09:00" in error
    page = response.get_data(as_text=True)
    assert page.count("2025-06-16 (Mon) 09:00") == 1, "said once, not as the page's notice and again as the error"
    # No code is mailed; the owner is told that someone had the password, as a code mail would
    # have told them in hours.
    [notice] = smtp.to(world.grid_operator.email)
    assert "refused" in notice.subject or "拒否" in notice.subject
    assert "127.0.0.1" in notice.text and not re.search(r"^\s+\d{6}\s*$", notice.text, re.MULTILINE)
    [refused] = audit_kinds("hours.refused")
    assert refused.actor_id == world.grid_operator.id


def test_a_code_entered_after_closing_does_not_complete_the_sign_in(client, world, clock, smtp):
    """A conformance review: the password at 17:59:30, the code at 18:00:10, and the sign-in
    completed (the session ended only at the next request)."""
    from tests.auth.steps import is_signed_in
    from tests.conftest import csrf_from

    clock.set(jst(2025, 6, 13, 17, 59, 30))  # Friday, capacity closes at 18:00
    smtp.clear()
    assert submit_password(client, world.grid_operator.login_id).status_code == 303
    code = smtp.code_for(world.grid_operator.email)
    clock.set(jst(2025, 6, 13, 18, 0, 10))
    page = client.get("/login/code")
    response = client.post("/login/code", data={"code": code, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 403
    assert "closed now" in element(response, r'id="login-error"')
    assert not is_signed_in(client)
    assert audit_kinds("login.succeeded") == []
    assert client.get("/login/code").status_code == 303, "the sign-in in progress is void"


def test_wrong_password_outside_hours_reveals_nothing_about_hours(client, world, clock):
    clock.set(jst(2025, 6, 14, 10, 0))
    wrong = submit_password(client, world.grid_operator.login_id, "not the password at all")
    unknown = submit_password(client, "nobody-here")
    assert wrong.status_code == unknown.status_code == 401
    assert element(wrong, r'id="login-error"') == element(unknown, r'id="login-error"')
    assert audit_kinds("hours.refused") == []


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "capacity", **LONG_SESSIONS}])
def test_system_administrator_is_exempt_and_each_closed_period_is_audited_once(client, world, clock, sign_in):
    clock.set(jst(2025, 6, 10, 18, 30))
    sign_in(client, world.sysadmin)  # the sign-in itself is allowed and audited
    assert client.get("/dashboard").status_code == 200
    assert client.get("/dashboard", headers={"HX-Request": "true"}).status_code == 200
    clock.advance(minutes=10)
    assert client.get("/dashboard").status_code == 200

    uses = audit_kinds("hours.exemption_used")
    assert [('"sign_in"' in u.details, '"request"' in u.details) for u in uses] == [(True, False), (False, True)]
    assert all(u.actor_id == world.sysadmin.id for u in uses)

    clock.set(jst(2025, 6, 11, 10, 0))
    assert client.get("/dashboard").status_code == 200
    clock.set(jst(2025, 6, 11, 18, 0))  # the next evening is a new closed period
    assert client.get("/dashboard").status_code == 200
    assert len(audit_kinds("hours.exemption_used")) == 3
    assert audit_kinds("session.ended_closed") == []


def test_exempt_user_within_hours_leaves_no_exemption_entry(client, world, clock, sign_in):
    sign_in(client, world.sysadmin)
    assert client.get("/dashboard").status_code == 200
    assert audit_kinds("hours.exemption_used") == []


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "renewable"}])
def test_organisation_profile_overrides_the_system_profile(new_client, world, clock, sign_in):
    world.grid.hours_profile = "capacity"
    db.session.commit()
    grid, city = new_client(), new_client()
    clock.set(jst(2025, 6, 10, 17, 45))
    sign_in(grid, world.grid_operator)
    sign_in(city, world.city_operator)
    clock.set(jst(2025, 6, 10, 18, 0))

    assert grid.get("/dashboard").status_code == 303
    assert city.get("/dashboard").status_code == 200  # renewable: open until 21:00
    clock.set(jst(2025, 6, 10, 21, 0))
    assert city.get("/dashboard").status_code == 303
    page = grid.get("/login?closed=capacity")
    assert "2025-06-11 (Wed) 09:00" in element(page, r'class="notice notice-closed"')


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "renewable"}])
def test_the_login_page_says_that_an_organisation_on_its_own_calendar_may_be_open(new_client, world, clock):
    """A conformance review: on 建国記念の日 the page said flatly that the system was closed, while
    the grid operator's people (capacity: open on that Tuesday) could sign in."""
    clock.set(jst(2025, 2, 11, 10, 0))
    before = element(new_client().get("/login"), r'class="notice notice-closed"')
    assert "closed now" in before and "own calendar" not in before
    world.grid.hours_profile = "capacity"
    db.session.merge(world.grid)  # the requests above ended the session that loaded it
    db.session.commit()
    after = element(new_client().get("/login"), r'class="notice notice-closed"')
    assert "closed now" in after and "Organisations with their own calendar of hours may be open now" in after


def test_forged_closed_parameter_falls_back_to_the_system_profile(client, clock):
    clock.set(jst(2025, 6, 10, 12, 0))
    for forged in ("nonexistent", "x" * 500, "<script>", "always"):
        page = client.get("/login", query_string={"closed": forged})
        assert page.status_code == 200
        assert "notice-closed" not in page.get_data(as_text=True)


def test_closing_banner_counts_the_minutes_from_a_quarter_hour_before(client, world, clock, sign_in):
    clock.set(jst(2025, 6, 10, 17, 40))
    sign_in(client, world.grid_operator)
    assert "banner-warning" not in client.get("/dashboard").get_data(as_text=True)  # 20 minutes left

    clock.set(jst(2025, 6, 10, 17, 45))
    banner = client.get("/dashboard")
    assert element(banner, r"data-hours-seconds-left") == "The system closes at 18:00 (15 minutes left)."

    clock.set(jst(2025, 6, 10, 17, 50))
    page = client.get("/dashboard")
    assert element(page, r'data-hours-seconds-left="600"') == "The system closes at 18:00 (10 minutes left)."
    assert 'data-hours-text-other="The system closes at 18:00 ({n} minutes left)."' in page.get_data(as_text=True)

    clock.set(jst(2025, 6, 10, 17, 59, 30))
    assert element(client.get("/dashboard"), r"data-hours-seconds-left") == \
        "The system closes at 18:00 (1 minute left)."


def test_ad_hoc_closure_ends_sessions_and_refuses_sign_in_with_its_reason(client, new_client, world, clock, sign_in):
    from webapp.audit.service import Origin
    from webapp.hours import service

    clock.set(jst(2025, 6, 10, 11, 50))
    sign_in(client, world.grid_operator)
    service.create_closure(jst(2025, 6, 10, 12, 0), jst(2025, 6, 10, 13, 30), "Database maintenance",
                           world.sysadmin, Origin())
    assert "Database maintenance" in text_of(client.get("/dashboard"))  # announced on the dashboard

    clock.set(jst(2025, 6, 10, 12, 0))
    assert client.get("/dashboard").status_code == 303
    refused = submit_password(new_client(), world.grid_operator2.login_id)
    error = element(refused, r'id="login-error"')
    assert "temporary closure: Database maintenance" in error
    assert "2025-06-10 (Tue) 13:30" in error

    clock.set(jst(2025, 6, 10, 13, 30))
    assert submit_password(new_client(), world.grid_operator2.login_id).status_code == 303


def test_login_page_announces_closures_of_the_next_fourteen_days(client, world, clock):
    from webapp.audit.service import Origin
    from webapp.hours import service

    service.create_closure(jst(2025, 6, 20, 18, 0), jst(2025, 6, 23, 9, 0), "Server replacement",
                           world.sysadmin, Origin())
    service.create_closure(jst(2025, 7, 20, 9, 0), jst(2025, 7, 20, 12, 0), "Far ahead", world.sysadmin, Origin())

    notice = element(client.get("/login"), r'class="notice notice-info"')

    assert "Server replacement" in notice
    assert "2025-06-20 (Fri) 18:00" in notice and "2025-06-23 (Mon) 09:00" in notice
    assert "Far ahead" not in notice


def test_scheduler_job_ends_sessions_at_closing_without_a_request(client, world, clock, sign_in, app):
    clock.set(jst(2025, 6, 10, 17, 55))
    sign_in(client, world.grid_operator)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["hours", "end-sessions"]).output.strip() == "ended 0 sessions"

    clock.set(jst(2025, 6, 10, 18, 0))
    result = runner.invoke(args=["hours", "end-sessions"])

    assert result.exit_code == 0
    assert result.output.strip() == "ended 1 sessions"
    assert db.session.scalars(select(ServerSession).where(
        ServerSession.user_id == world.grid_operator.id)).all() == []


def test_exempt_user_sees_closing_time_without_a_countdown_that_would_reload(client, world, clock, sign_in):
    clock.set(jst(2025, 6, 10, 17, 50))
    sign_in(client, world.sysadmin)
    page = client.get("/dashboard")
    assert element(page, r'class="banner banner-info"') == "The system closes at 18:00 (10 minutes left)."
    assert "data-hours-seconds-left" not in page.get_data(as_text=True)


def test_each_exempt_person_signing_in_in_one_browser_is_audited(client, world, clock):
    """A review: the marker that keeps one sign-in from being audited twice was the browser's,
    so a second exempt person in the same browser left no entry."""
    from tests.applications import steps

    for person in (world.grid_operator, world.grid_operator2):
        steps.update_user(person.login_id, hours_exempt=True)
    clock.set(jst(2025, 6, 14, 10, 0))  # Saturday
    assert submit_password(client, world.grid_operator.login_id).status_code == 303
    assert submit_password(client, world.grid_operator2.login_id).status_code == 303
    assert sorted(e.actor_id for e in audit_kinds("hours.exemption_used")) == sorted(
        [world.grid_operator.id, world.grid_operator2.id])


def test_sign_in_during_a_custom_profiles_break_is_refused_as_a_break(new_client, world, clock, smtp):
    """Found by an operator trial: at 12:30 between 08:00-12:00 and 13:00-17:00 the refusal and the
    calendar said "before business hours"."""
    from webapp.audit.service import Origin
    from webapp.hours import profiles, service
    from webapp.i18n import LOCALE_COOKIE

    service.define_custom_profile("shift", {0: profiles.parse_day_windows("08:00-12:00,13:00-17:00", "Mon")},
                                  closes_on_holidays=True, observes_year_end=True, actor=world.sysadmin,
                                  origin=Origin())
    world.grid.hours_profile = "shift"
    db.session.commit()
    clock.set(jst(2026, 12, 7, 12, 30))  # a Monday
    english = new_client()

    refused = element(submit_password(english, world.grid_operator.login_id), r'id="login-error"')
    assert "closed now (break between business hours)" in refused and "2026-12-07 (Mon) 13:00" in refused
    assert "closed now (break between business hours)" in element(english.get("/hours?profile=shift"),
                                                                 r'data-testid="hours-status"')
    japanese = new_client()
    japanese.set_cookie(LOCALE_COOKIE, "ja")
    assert "（休憩時間）" in element(japanese.get("/hours?profile=shift"), r'data-testid="hours-status"')


def _short_tuesdays(world) -> None:
    """The grid operator's own calendar: Tuesdays 09:00-13:45, while the system-wide one is open."""
    from webapp.audit.service import Origin
    from webapp.hours import profiles, service

    service.define_custom_profile("short-tue", {1: profiles.parse_day_windows("09:00-13:45", "Tue")},
                                  closes_on_holidays=True, observes_year_end=True, actor=world.sysadmin,
                                  origin=Origin())
    world.grid.hours_profile = "short-tue"
    db.session.commit()


def _run_hours_job(app) -> None:
    from webapp import scheduler

    (job,) = [job for name, job in scheduler.JOBS if name == "hours"]
    with app.app_context():
        job(app)


def _signed_in_until_the_scheduler_closes(browser, world, clock, sign_in, app):
    """Signed in on a short Tuesday at 13:30; the scheduler's hours job ran just after 13:45."""
    _short_tuesdays(world)
    clock.set(jst(2025, 6, 10, 13, 30))
    sign_in(browser, world.grid_operator)
    clock.set(jst(2025, 6, 10, 13, 45, 20))
    _run_hours_job(app)
    return browser


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "renewable"}])
def test_a_session_the_scheduler_ended_at_closing_says_so_on_the_next_page(new_client, world, clock, sign_in, app):
    """A browser review: the scheduler ended the session at 13:45, and the reload just after (no
    JavaScript) landed on the login page without a word, the system-wide profile being open."""
    from webapp.i18n import LOCALE_COOKIE

    browser = new_client()
    browser.set_cookie(LOCALE_COOKIE, "ja")  # the default language
    _signed_in_until_the_scheduler_closes(browser, world, clock, sign_in, app)
    clock.set(jst(2025, 6, 10, 13, 46))

    reload = browser.get("/dashboard")

    assert reload.status_code == 303 and reload.headers["Location"].startswith("/login")
    notice = element(browser.get(reload.headers["Location"]), r'class="notice notice-closed"')
    assert "提供時間外となったため、セッションを終了しました。" in notice
    assert "2025-06-17 (火) 09:00" in notice, "the organisation's next opening, not the system-wide profile's"
    assert browser.get("/dashboard").status_code == 303, "the ended session stays ended"
    assert db.session.scalars(select(ServerSession).where(
        ServerSession.user_id == world.grid_operator.id)).all() == []


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "renewable"}])
def test_the_login_page_tells_a_browser_whose_session_the_scheduler_ended(new_client, world, clock, sign_in, app):
    browser = _signed_in_until_the_scheduler_closes(new_client(), world, clock, sign_in, app)

    page = browser.get("/login")

    notice = element(page, r'class="notice notice-closed"')
    assert notice.startswith("Your session has ended because the system is closed.")
    assert "after business hours" in notice and "2025-06-17 (Tue) 09:00" in notice
    assert "Please sign in again" not in text_of(page), "told once, with the reason"
    assert "notice-closed" not in new_client().get("/login").get_data(as_text=True), \
        "another browser follows the system-wide profile, open"


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "renewable"}])
def test_a_request_at_closing_tells_the_users_other_browsers_too(new_client, world, clock, sign_in):
    _short_tuesdays(world)
    office, laptop = new_client(), new_client()
    clock.set(jst(2025, 6, 10, 13, 30))
    sign_in(office, world.grid_operator)
    sign_in(laptop, world.grid_operator)
    clock.set(jst(2025, 6, 10, 13, 45))
    assert office.get("/dashboard").status_code == 303  # the hours gate ends both sessions

    reload = laptop.get("/applications")

    assert reload.headers["Location"].startswith("/login")
    notice = element(laptop.get(reload.headers["Location"]), r'class="notice notice-closed"')
    assert "session has ended" in notice and "2025-06-17 (Tue) 09:00" in notice


@pytest.mark.parametrize("app_settings", [{"PORTAL_HOURS_PROFILE": "renewable"}])
def test_signing_in_again_right_after_closing_ended_ones_session_mails_no_alarm(new_client, world, clock,
                                                                               sign_in, app, smtp):
    """A browser review: the person refused just after their own session ended at closing was mailed
    「提供時間外のためログインを拒否しました」, the alarm meant for someone else holding their password."""
    browser = _signed_in_until_the_scheduler_closes(new_client(), world, clock, sign_in, app)
    smtp.clear()
    clock.set(jst(2025, 6, 10, 13, 47))

    refused = submit_password(browser, world.grid_operator.login_id)

    assert refused.status_code == 403
    assert "2025-06-17 (Tue) 09:00" in element(refused, r'id="login-error"')
    assert smtp.to(world.grid_operator.email) == []
    [entry] = audit_kinds("hours.refused")
    assert entry.actor_id == world.grid_operator.id and '"mailed": false' in entry.details
    # The same password from a browser that held no session of theirs is still reported.
    assert submit_password(new_client(), world.grid_operator.login_id).status_code == 403
    [alarm] = smtp.to(world.grid_operator.email)
    assert "拒否" in alarm.subject  # mailed in the user's language, Japanese
    # And from this browser too, once the hour after that closing is over.
    clock.set(jst(2025, 6, 10, 14, 46))
    smtp.clear()
    assert submit_password(browser, world.grid_operator.login_id).status_code == 403
    assert len(smtp.to(world.grid_operator.email)) == 1
