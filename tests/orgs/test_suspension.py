"""Immediate suspension of a user by the responsible person; a whole organisation by the system administrator."""
from __future__ import annotations

from tests.applications import steps
from tests.applications.steps import post, text_of
from tests.conftest import TEST_PASSWORD, csrf_from


def test_responsible_person_suspends_a_user_at_once(world, smtp, browser_for):
    victim_browser = browser_for(world.grid_operator)
    responsible = browser_for(world.grid_responsible)
    path = f"/users/{world.grid_operator.login_id}/suspend"
    without_reason = post(responsible, path, {"reason": ""})
    assert without_reason.status_code == 400 and "reason" in steps.errors_of(without_reason)
    assert steps.user(world.grid_operator.login_id).status == "active"

    smtp.clear()
    assert post(responsible, path, {"reason": "異動のため"}).status_code == 303
    assert steps.user(world.grid_operator.login_id).status == "suspended"
    assert victim_browser.get("/dashboard").status_code == 303
    assert "利用停止" in smtp.last_to(world.grid_operator.email).text
    report = smtp.last_to(world.sysadmin.email)
    assert "異動のため" in report.text and world.grid_responsible.login_id in report.text
    [entry] = steps.audit_entries("account.suspended_immediately")
    assert entry.actor_id == world.grid_responsible.id and entry.target == world.grid_operator.login_id
    again = post(responsible, path, {"reason": "二重"})
    assert again.status_code == 400


def test_nobody_suspends_themselves_and_administrators_cannot_suspend_at_once(world, browser_for):
    responsible = browser_for(world.grid_responsible)
    own = post(responsible, f"/users/{world.grid_responsible.login_id}/suspend", {"reason": "test"})
    assert own.status_code == 400 and "your own account" in steps.errors_of(own)
    admin = browser_for(world.grid_admin)
    assert post(admin, f"/users/{world.grid_operator.login_id}/suspend", {"reason": "x"}).status_code == 403
    assert steps.user(world.grid_operator.login_id).status == "active"


def test_system_administrator_suspends_and_resumes_a_whole_organisation(app, world, smtp, browser_for):
    operator, responsible = browser_for(world.grid_operator), browser_for(world.grid_responsible)
    city = browser_for(world.city_operator)
    sysadmin = browser_for(world.sysadmin)
    path = f"/admin/organisations/{world.grid.id}/status"
    assert post(sysadmin, path, {"action": "suspend", "reason": ""}).status_code == 400
    smtp.clear()
    assert post(sysadmin, path, {"action": "suspend", "reason": "利用規約違反の疑い"}).status_code == 303
    assert operator.get("/dashboard").status_code == 303
    assert responsible.get("/dashboard").status_code == 303
    assert city.get("/dashboard").status_code == 200
    assert "利用規約違反の疑い" in smtp.last_to(world.grid_responsible.email).text
    # The operators are told too (found by review), without the reason, which is for those who govern
    told = smtp.last_to(world.grid_operator.email).text
    assert world.grid.name in told and "利用規約違反の疑い" not in told
    [entry] = steps.audit_entries("organisation.suspended")
    assert entry.organisation_id == world.grid.id and '"ended_sessions": 2' in entry.details

    # Nobody of the organisation can sign in while it is suspended.
    browser = app.test_client()
    page = browser.get("/login")
    refused = browser.post("/login", data={"login_id": world.grid_operator.login_id, "password": TEST_PASSWORD,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert refused.status_code != 303

    assert post(sysadmin, path, {"action": "resume", "reason": ""}).status_code == 303
    assert "利用が再開されました" in smtp.last_to(world.grid_responsible.email).text


def test_the_operator_organisation_cannot_be_suspended(world, browser_for):
    sysadmin = browser_for(world.sysadmin)
    response = post(sysadmin, f"/admin/organisations/{world.sysadmin.organisation_id}/status",
                    {"action": "suspend", "reason": "誤操作"})
    assert response.status_code == 400
    assert sysadmin.get("/dashboard").status_code == 200


def test_system_administrator_unlocks_directly(world, smtp, browser_for):
    from webapp import clock

    steps.update_user(world.city_operator.login_id, locked_at=clock.now(), failed_logins=5)
    sysadmin = browser_for(world.sysadmin)
    assert "Unlock this account" in text_of(sysadmin.get(f"/users/{world.city_operator.login_id}"))
    assert post(sysadmin, f"/users/{world.city_operator.login_id}/unlock").status_code == 303
    assert steps.user(world.city_operator.login_id).locked_at is None
    assert "ロックが解除されました" in smtp.last_to(world.city_operator.email).text
    assert post(sysadmin, f"/users/{world.city_operator.login_id}/unlock").status_code == 400


def test_two_people_suspending_one_user_at_once_suspend_and_mail_once(app, world, smtp, browser_for, monkeypatch):
    """The responsible person and a system administrator stop the same account at the same
    moment (both pages show it active): one suspension, one audit entry, one round of mail."""
    from sqlalchemy import update

    from tests.support.races import needs_overlapping_writers
    from webapp.auth.models import User
    from webapp.extensions import db
    from webapp.orgs import accounts

    needs_overlapping_writers(app)
    operator_id, login_id = world.grid_operator.id, world.grid_operator.login_id
    responsible = browser_for(world.grid_responsible)
    real_find = accounts.find_visible

    def find_then_the_other_suspends(viewer, wanted):  # type: ignore[no-untyped-def]
        found = real_find(viewer, wanted)
        with db.engine.begin() as other:
            other.execute(update(User).where(User.id == operator_id).values(status="suspended"))
        return found

    monkeypatch.setattr(accounts, "find_visible", find_then_the_other_suspends)
    smtp.clear()
    late = post(responsible, f"/users/{login_id}/suspend", {"reason": "漏えいの疑い"})
    assert late.status_code == 400
    assert steps.user(login_id).status == "suspended"
    assert not steps.audit_entries("account.suspended_immediately")
    assert not smtp.to(world.sysadmin.email), "the late click mails nobody"


def test_two_suspensions_at_once_suspend_and_mail_once(app, world, smtp, browser_for):
    """Found by a PostgreSQL trial: both requests read the organisation active, both suspended
    it, and its people were told twice with two different reasons."""
    from tests.support.races import at_once, same_browser

    sysadmin = browser_for(world.sysadmin)
    second = same_browser(app, sysadmin)
    path = f"/admin/organisations/{world.grid.id}/status"
    page = sysadmin.get("/admin/organisations").get_data(as_text=True)
    token = csrf_from(page)
    smtp.clear()
    answers = at_once(*(lambda browser=browser, reason=reason: browser.post(
        path, data={"action": "suspend", "reason": reason, "csrf_token": token})
        for browser, reason in ((sysadmin, "規約違反の疑い"), (second, "規約違反の疑い2"))))
    assert sorted(a.status_code for a in answers) == [303, 400]
    assert len(steps.audit_entries("organisation.suspended")) == 1
    assert len(smtp.to(world.grid_responsible.email)) == 1


def test_a_system_administrator_resumes_an_organisations_only_administrator(app, world, smtp, browser_for, sign_in):
    """A conformance review: the only administrator, once suspended, could never be resumed (only
    an administrator files applications), and the organisation could change no account again."""
    admin = world.grid_admin
    assert post(browser_for(world.grid_responsible), f"/users/{admin.login_id}/suspend",
                {"reason": "漏えい調査"}).status_code == 303
    sysadmin = browser_for(world.sysadmin)
    page = sysadmin.get(f"/users/{admin.login_id}").get_data(as_text=True)
    assert f"/users/{admin.login_id}/resume" in page
    assert post(sysadmin, f"/users/{admin.login_id}/resume", {"reason": ""}).status_code == 400
    assert steps.user(admin.login_id).status == "suspended"
    smtp.clear()
    assert post(sysadmin, f"/users/{admin.login_id}/resume", {"reason": "調査完了"}).status_code == 303
    assert steps.user(admin.login_id).status == "active"
    assert "調査完了" in smtp.last_to(admin.email).text
    [entry] = steps.audit_entries("account.resumed")
    assert entry.actor_id == world.sysadmin.id and "調査完了" in entry.details
    sign_in(app.test_client(), admin)
    assert post(sysadmin, f"/users/{admin.login_id}/resume", {"reason": "二重"}).status_code == 400


def test_only_a_system_administrator_resumes_or_sends_links_directly(world, browser_for):
    operator = world.grid_operator
    assert post(browser_for(world.grid_responsible), f"/users/{operator.login_id}/suspend",
                {"reason": "異動"}).status_code == 303
    for person in (world.grid_responsible, world.grid_admin, world.city_responsible):
        for action in ("resume", "link"):
            response = post(browser_for(person), f"/users/{operator.login_id}/{action}", {"reason": "x"})
            assert response.status_code in (403, 404), (person.login_id, action)
    assert steps.user(operator.login_id).status == "suspended"


def test_a_first_administrator_whose_link_ran_out_gets_a_new_one(app, world, smtp, browser_for, clock):
    from urllib.parse import urlsplit

    sysadmin = browser_for(world.sysadmin)
    response = post(sysadmin, "/admin/organisations/new", {
        "name": "遅延市", "category": "municipality", "prefecture": "東京都", "hours_profile": "",
        "security_manager_name": "保安 三郎", "security_manager_contact": "03-0000-0002", "allowed_networks": "",
        "admin_name": "管理 次郎", "admin_department": "情報課", "admin_email": "admin@late.test.example",
        "responsible_name": "責任 三子", "responsible_department": "総務課",
        "responsible_email": "resp@late.test.example", "responsible_phone": "03-1111-3333"})
    assert response.status_code == 303, text_of(response)[:500]
    old_link = urlsplit(smtp.link_for("admin@late.test.example")).path
    clock.advance(hours=73)
    assert app.test_client().get(old_link).status_code == 404
    late_admin = steps.user_by_email("admin@late.test.example")
    from tests.auth.steps import sign_in_with_code

    sysadmin = app.test_client()  # the earlier session ended long ago
    sign_in_with_code(sysadmin, smtp, world.sysadmin)
    assert f"/users/{late_admin.login_id}/link" in sysadmin.get(f"/users/{late_admin.login_id}").get_data(as_text=True)
    mails_before = len(smtp.to("admin@late.test.example"))
    assert post(sysadmin, f"/users/{late_admin.login_id}/link", {}).status_code == 303
    # A fault review: each click mailed a link that voided the one before; pressed twice, one mail
    assert post(sysadmin, f"/users/{late_admin.login_id}/link", {}).status_code == 303
    assert len(smtp.to("admin@late.test.example")) == mails_before + 1
    assert urlsplit(smtp.link_for("admin@late.test.example")).path != old_link
    assert steps.activate_from_mail(app.test_client(), smtp, "admin@late.test.example",
                                    "a new long passphrase for the late admin").status_code == 303
    assert steps.user(late_admin.login_id).status == "active"
    assert post(sysadmin, f"/users/{late_admin.login_id}/link", {}).status_code == 400  # has a password now


def test_what_a_system_administrator_suspended_the_organisation_does_not_lift_alone(app, world, smtp, browser_for):
    """A conformance review: an org admin filed a resumption and the responsible person approved it,
    lifting a suspension a system administrator had imposed (漏えい調査中) without telling them."""
    operator = world.grid_operator
    sysadmin = browser_for(world.sysadmin)
    assert post(sysadmin, f"/users/{operator.login_id}/suspend", {"reason": "漏えい調査中"}).status_code == 303
    application_id = steps.filed_id(steps.file(browser_for(world.grid_admin), kind="resume",
                                               target=operator.login_id))
    assert steps.application(application_id).requires_sysadmin is True
    assert steps.decide(browser_for(world.grid_responsible), application_id, "approve").status_code == 403
    assert steps.user(operator.login_id).status == "suspended"
    assert steps.decide(sysadmin, application_id, "approve").status_code == 303
    assert steps.user(operator.login_id).status == "active"


def test_what_the_organisation_suspended_it_may_resume_itself(world, browser_for):
    operator = world.grid_operator
    assert post(browser_for(world.grid_responsible), f"/users/{operator.login_id}/suspend",
                {"reason": "異動"}).status_code == 303
    application_id = steps.filed_id(steps.file(browser_for(world.grid_admin), kind="resume",
                                               target=operator.login_id))
    assert steps.application(application_id).requires_sysadmin is False
    assert steps.decide(browser_for(world.grid_responsible), application_id, "approve").status_code == 303
    assert steps.user(operator.login_id).status == "active"


def test_a_system_administrator_lets_an_account_work_outside_the_hours(app, world, browser_for):
    """A conformance review: SPEC §2 exempts system administrators "by default", and nothing could
    change it for anyone (an on-call operator)."""
    operator = world.grid_operator
    sysadmin = browser_for(world.sysadmin)
    path = f"/users/{operator.login_id}/hours-exemption"
    assert post(sysadmin, path, {"exempt": "y", "reason": ""}).status_code == 400
    assert steps.user(operator.login_id).hours_exempt is False
    assert post(sysadmin, path, {"exempt": "y", "reason": "夜間の需給監視当番"}).status_code == 303
    assert steps.user(operator.login_id).hours_exempt is True
    [entry] = steps.audit_entries("account.hours_exemption_changed")
    assert entry.actor_id == world.sysadmin.id and "夜間の需給監視当番" in entry.details
    assert post(sysadmin, path, {"exempt": "y", "reason": "二重"}).status_code == 400
    assert post(sysadmin, path, {"exempt": "", "reason": "当番終了"}).status_code == 303
    assert steps.user(operator.login_id).hours_exempt is False
    for person in (world.grid_responsible, world.grid_admin):
        assert post(browser_for(person), path, {"exempt": "y", "reason": "x"}).status_code in (403, 404)
    assert steps.user(operator.login_id).hours_exempt is False


def test_an_old_resume_application_cannot_lift_a_later_suspension_by_a_system_administrator(world, browser_for):
    """A review: filed while the organisation's own suspension stood, approved after a system
    administrator had resumed the account and suspended it again."""
    operator = world.grid_operator
    sysadmin = browser_for(world.sysadmin)
    assert post(browser_for(world.grid_responsible), f"/users/{operator.login_id}/suspend",
                {"reason": "異動"}).status_code == 303
    application_id = steps.filed_id(steps.file(browser_for(world.grid_admin), kind="resume",
                                               target=operator.login_id))
    assert post(sysadmin, f"/users/{operator.login_id}/resume", {"reason": "誤り"}).status_code == 303
    assert post(sysadmin, f"/users/{operator.login_id}/suspend", {"reason": "漏えい調査中"}).status_code == 303
    refused = steps.decide(browser_for(world.grid_responsible), application_id, "approve")
    assert refused.status_code == 400 and "only a system administrator" in text_of(refused)
    assert steps.user(operator.login_id).status == "suspended"


def test_no_link_is_offered_for_a_suspended_organisation(world, browser_for):
    sysadmin = browser_for(world.sysadmin)
    steps.update_user(world.grid_operator.login_id, password_hash=None, status="pending")
    assert post(sysadmin, f"/admin/organisations/{world.grid.id}/status",
                {"action": "suspend", "reason": "調査"}).status_code == 303
    page = sysadmin.get(f"/users/{world.grid_operator.login_id}").get_data(as_text=True)
    assert f"/users/{world.grid_operator.login_id}/link" not in page
    refused = post(sysadmin, f"/users/{world.grid_operator.login_id}/link", {})
    assert refused.status_code == 400 and "The organisation is suspended" in text_of(refused)
