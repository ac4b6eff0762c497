"""Dormant accounts (SPEC §7): no sign-in for 180 days → suspended, with a warning mail 14 days
before; `portal accounts sweep-dormant --dry-run` lists who would be suspended on a given day."""
from __future__ import annotations

from datetime import datetime, timedelta

from tests.auth.steps import audit_events, is_signed_in, login_error, sign_in_with_code, submit_password
from webapp.auth.models import User
from webapp.clock import JST
from webapp.extensions import db


def _sweep(app, *args):
    return app.test_cli_runner().invoke(args=["accounts", "sweep-dormant", *args])


def _last_sign_in(user, when: datetime) -> None:
    # Requests in between closed the session that loaded `user`: change the row itself. The
    # password was set before that sign-in (setting one through a link counts as activity too).
    row = db.session.get(User, user.id)
    row.last_login_at = when
    if row.password_changed_at is not None and row.password_changed_at > when:
        row.password_changed_at = when
    db.session.commit()


def _fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_a_dry_run_names_who_would_be_suspended_that_day_and_changes_nothing(app, world, smtp):
    _last_sign_in(world.grid_operator, datetime(2025, 1, 1, 9, 0, tzinfo=JST))  # dormant from 2025-06-30
    smtp.clear()
    before = len(audit_events())
    day_before = _sweep(app, "--as-of", "2025-06-29", "--dry-run")
    assert day_before.exit_code == 0, day_before.output
    assert f"would suspend\t{world.grid_operator.login_id}" not in day_before.output
    assert f"would warn\t{world.grid_operator.login_id}" in day_before.output
    that_day = _sweep(app, "--as-of", "2025-06-30", "--dry-run")
    assert f"would suspend\t{world.grid_operator.login_id}" in that_day.output
    assert "suspension day 2025-06-30" in that_day.output
    assert "nothing changed" in that_day.output
    assert sum(line.startswith("would suspend") for line in that_day.output.splitlines()) == 1
    assert _fresh(world.grid_operator).status == "active"
    assert _fresh(world.grid_operator).dormancy_warned_at is None
    assert len(audit_events()) == before and smtp.mails == []


def test_warned_once_then_suspended_with_every_session_ended(app, world, smtp, clock):
    browser = app.test_client()
    sign_in_with_code(browser, smtp, world.grid_operator)
    _last_sign_in(world.grid_operator, clock.now() - timedelta(days=170))
    smtp.clear()

    assert _sweep(app).exit_code == 0
    warning = smtp.last_to(world.grid_operator.email)
    suspension_day = (clock.now() - timedelta(days=170)).astimezone(JST).date() + timedelta(days=180)
    assert suspension_day.isoformat() in warning.text
    assert _sweep(app).exit_code == 0  # the scheduler runs it hourly: one warning per period
    assert len(smtp.to(world.grid_operator.email)) == 1
    assert is_signed_in(browser)

    clock.advance(days=10)
    result = _sweep(app)
    assert f"suspended\t{world.grid_operator.login_id}" in result.output
    assert _fresh(world.grid_operator).status == "suspended"
    assert not is_signed_in(browser)
    assert "停止" in smtp.last_to(world.grid_operator.email).text  # Japanese by default: "suspended"
    for reader in (world.grid_responsible, world.sysadmin):
        report = smtp.last_to(reader.email)
        assert world.grid_operator.login_id in report.text
    assert smtp.to(world.city_responsible.email) == []  # another organisation hears nothing
    assert [e.target for e in audit_events("account.dormancy_warned", "account.suspended_dormant")] == [
        world.grid_operator.login_id, world.grid_operator.login_id]

    refused = submit_password(app.test_client(), world.grid_operator.login_id)
    assert refused.status_code == 401 and login_error(refused)


def test_signing_in_after_the_warning_starts_a_new_period(app, world, smtp, clock):
    _last_sign_in(world.grid_operator, clock.now() - timedelta(days=170))
    assert _sweep(app).exit_code == 0
    assert smtp.to(world.grid_operator.email)
    sign_in_with_code(app.test_client(), smtp, world.grid_operator)
    clock.advance(days=30)
    result = _sweep(app)
    assert world.grid_operator.login_id not in result.output
    assert _fresh(world.grid_operator).status == "active"


def test_the_last_active_system_administrator_is_kept(app, world, clock):
    long_ago = clock.now() - timedelta(days=400)
    for user in (world.sysadmin, world.city_operator):
        _last_sign_in(user, long_ago)
    assert f"warned\t{world.city_operator.login_id}" in _sweep(app).output  # never warned: first a warning
    clock.advance(days=14)
    result = _sweep(app)
    assert f"kept\t{world.sysadmin.login_id}" in result.output
    assert f"suspended\t{world.city_operator.login_id}" in result.output
    assert _fresh(world.sysadmin).status == "active" and _fresh(world.city_operator).status == "suspended"


def test_a_malformed_day_is_refused_with_a_clear_message(app, world):
    for bad in ("2025-13-01", "tomorrow", "2025-06-30T00:00\x00"):
        result = _sweep(app, "--as-of", bad, "--dry-run")
        assert result.exit_code == 2
        assert "YYYY-MM-DD" in result.output


def test_only_a_dry_run_may_look_ahead(app, world, smtp):
    """A real sweep as of a later day would suspend people who were never warned and may still
    sign in before then (found by review: everyone active today was suspended and told so)."""
    smtp.clear()
    ahead = _sweep(app, "--as-of", "2027-06-01")  # the clock stands at 2025-06-10
    assert ahead.exit_code == 2 and "--dry-run" in ahead.output
    assert _fresh(world.grid_operator).status == "active" and smtp.mails == []
    looked = _sweep(app, "--as-of", "２０２７-０６-０１", "--dry-run")  # typed in full width
    assert looked.exit_code == 0 and f"would suspend\t{world.grid_operator.login_id}" in looked.output
    assert _fresh(world.grid_operator).status == "active"


def test_the_in_process_scheduler_sweeps_without_anyone_running_the_command(app, world, clock):
    from webapp import scheduler

    _last_sign_in(world.city_operator, clock.now() - timedelta(days=200))
    assert f"warned\t{world.city_operator.login_id}" in _sweep(app).output  # overdue, never warned
    clock.advance(days=14)
    scheduler.run_once(app)
    assert _fresh(world.city_operator).status == "suspended"
    assert _fresh(world.grid_operator).status == "active"


def test_an_account_suspended_meanwhile_is_neither_suspended_again_nor_reported(app, world, smtp, monkeypatch,
                                                                                clock):
    """A second sweep (the scheduler and an operator's command at once) suspends it between this
    sweep's reading and its change: no second audit entry or mail, and not in this report."""
    from sqlalchemy import update

    from tests.support.races import needs_overlapping_writers
    from webapp.dormancy import service as dormancy

    needs_overlapping_writers(app)
    _last_sign_in(world.grid_operator, datetime(2025, 1, 1, 9, 0, tzinfo=JST))
    operator_id = world.grid_operator.id
    db.session.get(User, operator_id).dormancy_warned_at = clock.now()  # warned: due on the day it falls dormant
    db.session.commit()
    real_assess = dormancy.assess

    def assess_then_the_other_sweep_suspends(as_of):  # type: ignore[no-untyped-def]
        found = real_assess(as_of)
        with db.engine.begin() as other:
            other.execute(update(User).where(User.id == operator_id).values(status="suspended"))
        return found

    monkeypatch.setattr(dormancy, "assess", assess_then_the_other_sweep_suspends)
    smtp.clear()
    clock.advance(days=20)  # 2025-06-30: the day it falls dormant
    result = _sweep(app)
    assert result.exit_code == 0, result.output
    assert world.grid_operator.login_id not in result.output
    assert "0 suspended" in result.output
    assert audit_events("account.suspended_dormant") == []
    assert smtp.to(world.grid_operator.email) == []


def test_setting_a_password_through_a_link_counts_as_activity(app, world, smtp, clock, browser_for):
    """A conformance review: a person added long ago activated their account through a fresh link
    and was suspended by the next hourly sweep, unwarned, "for no sign-in in 180 days"."""
    from tests.applications import steps

    row = db.session.get(User, world.grid_operator.id)
    row.last_login_at, row.password_changed_at = None, None
    row.created_at = clock.now() - timedelta(days=400)
    db.session.commit()
    file_response = steps.file(browser_for(world.grid_admin), kind="reissue", target=world.grid_operator.login_id)
    application_id = steps.filed_id(file_response)
    assert steps.decide(browser_for(world.grid_responsible), application_id, "approve").status_code == 303
    assert steps.activate_from_mail(app.test_client(), smtp, world.grid_operator.email,
                                    "a long enough passphrase for the test").status_code == 303
    result = _sweep(app)
    assert f"suspended\t{world.grid_operator.login_id}" not in result.output
    assert _fresh(world.grid_operator).status == "active"


def test_a_resumed_account_starts_a_new_period(app, world, smtp, clock, browser_for):
    """Found by review: the sweep after an approved resumption suspended the account again, at
    once and unwarned, because its last sign-in was still the old one."""
    from tests.applications.steps import decide, file, filed_id

    _last_sign_in(world.grid_operator, clock.now() - timedelta(days=200))
    assert f"warned\t{world.grid_operator.login_id}" in _sweep(app).output
    clock.advance(days=14)
    assert f"suspended\t{world.grid_operator.login_id}" in _sweep(app).output
    application_id = filed_id(file(browser_for(world.grid_admin), kind="resume", target=world.grid_operator.login_id))
    assert decide(browser_for(world.grid_responsible), application_id, "approve").status_code == 303
    assert _fresh(world.grid_operator).status == "active"

    assert world.grid_operator.login_id not in _sweep(app).output
    clock.advance(days=170)
    warned = _sweep(app)
    assert f"warned\t{world.grid_operator.login_id}" in warned.output
    clock.advance(days=10)
    assert f"suspended\t{world.grid_operator.login_id}" in _sweep(app).output


def test_a_suspended_organisation_is_left_alone_and_its_resumption_starts_a_new_period(app, world, smtp, clock,
                                                                                      sign_in):
    """Found by review: people who could not sign in (their organisation suspended) were warned
    to sign in and then suspended one by one, and stayed suspended when it was lifted."""
    from tests.applications.steps import post

    def sysadmin_browser():
        browser = app.test_client()
        sign_in(browser, world.sysadmin)
        return browser

    _last_sign_in(world.city_operator, clock.now() - timedelta(days=100))
    sysadmin = sysadmin_browser()
    path = f"/admin/organisations/{world.city.id}/status"
    assert post(sysadmin, path, {"action": "suspend", "reason": "調査のため"}).status_code == 303
    clock.advance(days=120)
    smtp.clear()
    looked = _sweep(app, "--dry-run")
    assert world.city_operator.login_id not in looked.output and world.city_responsible.login_id not in looked.output
    assert world.city_operator.login_id not in _sweep(app).output
    assert smtp.to(world.city_operator.email) == []

    sysadmin = sysadmin_browser()  # the clock moved past the session's lifetime
    assert post(sysadmin, path, {"action": "resume", "reason": ""}).status_code == 303
    assert world.city_operator.login_id not in _sweep(app).output
    assert _fresh(world.city_operator).status == "active"
    clock.advance(days=181)
    assert f"warned\t{world.city_operator.login_id}" in _sweep(app).output
    clock.advance(days=14)
    assert f"suspended\t{world.city_operator.login_id}" in _sweep(app).output


def test_an_overdue_account_never_warned_is_warned_first(app, world, smtp, clock):
    """An operator review: with the sweeps stopped for weeks (cron or the scheduler off), the next
    sweep suspended people who had never had the warning mail SPEC §7 promises."""
    _last_sign_in(world.grid_operator, clock.now() - timedelta(days=214))
    smtp.clear()
    first = _sweep(app)
    assert f"warned\t{world.grid_operator.login_id}" in first.output
    assert _fresh(world.grid_operator).status == "active"
    new_day = (clock.now().astimezone(JST).date() + timedelta(days=14)).isoformat()
    assert new_day in smtp.last_to(world.grid_operator.email).text
    clock.advance(days=13)
    assert world.grid_operator.login_id not in _sweep(app).output
    assert _fresh(world.grid_operator).status == "active"
    clock.advance(days=1)
    assert f"suspended\t{world.grid_operator.login_id}" in _sweep(app).output
