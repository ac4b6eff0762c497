"""What an approval does to the account: change, remove, suspend, resume, unlock, reissue."""
from __future__ import annotations

from tests.applications import steps
from tests.applications.steps import decide, file, filed_id, text_of
from webapp import clock

NEW_PASSWORD = "another long passphrase for the reissue"


def approve(world, browser_for, **fields):
    application_id = filed_id(file(browser_for(world.grid_admin), **fields))
    response = decide(browser_for(world.grid_responsible), application_id, "approve")
    assert response.status_code == 303, text_of(response)[:1500]
    return application_id


def test_change_shows_before_and_after_and_tells_both_addresses(world, smtp, browser_for):
    operator = world.grid_operator
    application_id = filed_id(file(browser_for(world.grid_admin), kind="change", target=operator.login_id,
                                   name="", department="調達部 課長", email="moved@test.example", natural_person="y"))
    page = text_of(browser_for(world.grid_responsible).get(f"/applications/{application_id}"))
    assert "テスト部" in page and "調達部 課長" in page
    assert operator.email in page and "moved@test.example" in page
    smtp.clear()
    assert decide(browser_for(world.grid_responsible), application_id, "approve").status_code == 303
    changed = steps.user(operator.login_id)
    assert (changed.department, changed.email, changed.name) == ("調達部 課長", "moved@test.example", operator.name)
    assert "アカウント情報が変更されました" in smtp.last_to(operator.email).text
    assert "アカウント情報が変更されました" in smtp.last_to("moved@test.example").text
    [entry] = steps.audit_entries("account.changed", application_id=application_id)
    assert entry.target == operator.login_id


def test_change_that_changes_nothing_or_takes_a_used_address_is_refused(world, browser_for):
    admin = browser_for(world.grid_admin)
    same = file(admin, kind="change", target=world.grid_operator.login_id, name=world.grid_operator.name)
    assert same.status_code == 400 and "changes nothing" in text_of(same)
    taken = file(admin, kind="change", target=world.grid_operator.login_id, email=world.grid_admin.email, natural_person="y")
    assert taken.status_code == 400 and "already used" in text_of(taken)
    assert steps.count_applications() == 0


def test_a_pending_application_blocks_another_for_the_same_user(world, browser_for):
    admin = browser_for(world.grid_admin)
    first = filed_id(file(admin, kind="suspend", target=world.grid_operator.login_id))
    second = file(admin, kind="reissue", target=world.grid_operator.login_id)
    assert second.status_code == 400 and f"No. {first}" in text_of(second)
    assert steps.count_applications() == 1


def test_removed_users_open_session_is_dead_on_its_next_request(world, smtp, browser_for):
    operator_browser = browser_for(world.grid_operator)
    assert operator_browser.get("/dashboard").status_code == 200
    application_id = approve(world, browser_for, kind="remove", target=world.grid_operator.login_id)
    response = operator_browser.get("/dashboard")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    removed = steps.user(world.grid_operator.login_id)
    assert removed.status == "closed" and removed.closed_at == clock.now()
    assert "アカウントが削除されました" in smtp.last_to(world.grid_operator.email).text
    # History kept: the account row and its audit trail remain.
    assert steps.audit_entries("account.closed", application_id=application_id)
    assert any(e.actor_id == removed.id for e in steps.audit_entries("login.succeeded"))
    # A closed account can no longer be the target of an application.
    refused = file(browser_for(world.grid_admin), kind="resume", target=removed.login_id)
    assert refused.status_code == 400


def test_suspend_ends_sessions_and_resume_restores(world, smtp, browser_for):
    operator_browser = browser_for(world.grid_operator)
    approve(world, browser_for, kind="suspend", target=world.grid_operator.login_id)
    assert operator_browser.get("/dashboard").status_code == 303
    assert steps.user(world.grid_operator.login_id).status == "suspended"
    assert "利用停止" in smtp.last_to(world.grid_operator.email).text  # mail is Japanese, whoever approved
    approve(world, browser_for, kind="resume", target=world.grid_operator.login_id)
    assert steps.user(world.grid_operator.login_id).status == "active"
    assert "利用が再開されました" in smtp.last_to(world.grid_operator.email).text


def test_unlock_clears_the_lockout(world, smtp, browser_for):
    admin = browser_for(world.grid_admin)
    not_locked = file(admin, kind="unlock", target=world.grid_operator.login_id)
    assert not_locked.status_code == 400 and "not locked" in text_of(not_locked)
    steps.update_user(world.grid_operator.login_id, locked_at=clock.now(), failed_logins=5)
    approve(world, browser_for, kind="unlock", target=world.grid_operator.login_id)
    unlocked = steps.user(world.grid_operator.login_id)
    assert unlocked.locked_at is None and unlocked.failed_logins == 0
    assert "ロックが解除されました" in smtp.last_to(world.grid_operator.email).text


def test_reissue_ends_sessions_and_mails_a_link_that_sets_a_new_password(app, world, smtp, browser_for, sign_in):
    operator_browser = browser_for(world.grid_operator)
    approve(world, browser_for, kind="reissue", target=world.grid_operator.login_id)
    assert operator_browser.get("/dashboard").status_code == 303
    # Found by an operator trial: the old password still passed until the link was used.
    from tests.auth.steps import submit_password
    from tests.conftest import TEST_PASSWORD

    old = submit_password(app.test_client(), world.grid_operator.login_id, TEST_PASSWORD)
    assert old.status_code == 401 and steps.user(world.grid_operator.login_id).failed_logins == 0
    assert steps.activate_from_mail(app.test_client(), smtp, world.grid_operator.email, NEW_PASSWORD).status_code == 303
    sign_in(app.test_client(), world.grid_operator, NEW_PASSWORD)


def _link_path(smtp, address: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(smtp.link_for(address)).path


def test_a_new_address_after_a_reissue_gets_the_link_and_the_old_one_stops_working(app, world, smtp, browser_for,
                                                                                   sign_in):
    # Found by an attacker review: the reissue link sent to the old address still set a password
    # after the address had been changed, and the new address got no link at all.
    operator = world.grid_operator
    approve(world, browser_for, kind="reissue", target=operator.login_id)
    old_link = _link_path(smtp, operator.email)
    approve(world, browser_for, kind="change", target=operator.login_id, email="moved@test.example", natural_person="y")
    assert app.test_client().get(old_link).status_code == 404
    assert _link_path(smtp, "moved@test.example") != old_link
    assert steps.activate_from_mail(app.test_client(), smtp, "moved@test.example", NEW_PASSWORD).status_code == 303
    sign_in(app.test_client(), steps.user(operator.login_id), NEW_PASSWORD)


def test_a_link_sent_before_a_suspension_does_not_work_after_the_resumption(app, world, smtp, browser_for):
    operator = world.grid_operator
    approve(world, browser_for, kind="reissue", target=operator.login_id)
    old_link = _link_path(smtp, operator.email)
    approve(world, browser_for, kind="suspend", target=operator.login_id)
    assert app.test_client().get(old_link).status_code == 404
    smtp.clear()
    approve(world, browser_for, kind="resume", target=operator.login_id)
    assert app.test_client().get(old_link).status_code == 404
    fresh = _link_path(smtp, operator.email)  # still without a password: a fresh link to the address on file
    assert fresh != old_link
    assert steps.activate_from_mail(app.test_client(), smtp, operator.email, NEW_PASSWORD).status_code == 303
    assert steps.user(operator.login_id).status == "active"


def test_a_link_sent_before_the_organisations_suspension_is_replaced_at_its_resumption(app, world, smtp,
                                                                                        browser_for):
    operator = world.grid_operator
    approve(world, browser_for, kind="reissue", target=operator.login_id)
    old_link = _link_path(smtp, operator.email)
    sysadmin = browser_for(world.sysadmin)
    path = f"/admin/organisations/{world.grid.id}/status"
    assert steps.post(sysadmin, path, {"action": "suspend", "reason": "調査"}).status_code == 303
    assert app.test_client().get(old_link).status_code == 404
    smtp.clear()
    assert steps.post(sysadmin, path, {"action": "resume", "reason": ""}).status_code == 303
    assert app.test_client().get(old_link).status_code == 404, "the old link stays dead"
    assert _link_path(smtp, operator.email) != old_link
    assert steps.activate_from_mail(app.test_client(), smtp, operator.email, NEW_PASSWORD).status_code == 303


def test_no_link_is_mailed_while_it_could_not_be_used(app, world, smtp, browser_for):
    """A review: a new address of a suspended account got a link that answered 404."""
    operator = world.grid_operator
    approve(world, browser_for, kind="reissue", target=operator.login_id)
    approve(world, browser_for, kind="suspend", target=operator.login_id)
    smtp.clear()
    approve(world, browser_for, kind="change", target=operator.login_id, email="moved@test.example", natural_person="y")
    assert all("/activate/" not in mail.text for mail in smtp.to("moved@test.example"))
    approve(world, browser_for, kind="resume", target=operator.login_id)
    assert steps.activate_from_mail(app.test_client(), smtp, "moved@test.example", NEW_PASSWORD).status_code == 303


def test_resuming_an_account_with_a_password_mails_no_link(world, smtp, browser_for):
    operator = world.grid_operator
    approve(world, browser_for, kind="suspend", target=operator.login_id)
    smtp.clear()
    approve(world, browser_for, kind="resume", target=operator.login_id)
    assert steps.user(operator.login_id).status == "active"
    assert "/activate/" not in smtp.last_to(operator.email).text


def test_approval_that_cannot_execute_changes_nothing(world, browser_for):
    admin = browser_for(world.grid_admin)
    application_id = filed_id(file(admin, kind="add", name="後発", email="race@test.example", role=["operator"],
                                   natural_person="y"))
    # Meanwhile the address went to another account of the organisation, which its people can see
    # anyway: they are told so (of another organisation: see test_cross_organisation.py).
    steps.update_user(world.grid_operator.login_id, email="race@test.example")
    response = decide(browser_for(world.grid_responsible), application_id, "approve")
    assert response.status_code == 400 and "used by another account" in text_of(response)
    [refusal] = steps.audit_entries("application.approval_refused", application_id=application_id)
    assert '"reason_withheld": false' in refusal.details and world.grid_operator.login_id in refusal.details
    assert steps.application(application_id).state == "submitted"
    assert steps.audit_entries("application.approved", application_id=application_id) == []


def test_correcting_the_address_of_a_user_not_yet_activated_sends_a_new_link(app, world, smtp, browser_for):
    approve(world, browser_for, kind="add", name="誤記 アドレス", email="typo@test.example",
            role=["operator"], natural_person="y")
    new_user = steps.user_by_email("typo@test.example")
    old_link = smtp.link_for("typo@test.example")
    approve(world, browser_for, kind="change", target=new_user.login_id, email="right@test.example", natural_person="y")
    assert smtp.link_for("right@test.example") != old_link
    assert steps.activate_from_mail(app.test_client(), smtp, "right@test.example", NEW_PASSWORD).status_code == 303
    assert steps.user(new_user.login_id).status == "active"


def test_a_new_address_needs_the_natural_person_confirmation(world, browser_for):
    """A conformance review: a change to a shared-looking mailbox went through without the
    confirmation an added user needs (a new address registers the person anew)."""
    admin = browser_for(world.grid_admin)
    form = admin.get("/applications/new?kind=change").get_data(as_text=True)
    assert 'data-kinds="add change"' in form and 'name="natural_person"' in form
    refused = file(admin, kind="change", target=world.grid_operator.login_id, email="soumu-group@test.example")
    assert refused.status_code == 400 and "personal" in steps.errors_of(refused)
    assert steps.user(world.grid_operator.login_id).email == world.grid_operator.email
    renamed = file(admin, kind="change", target=world.grid_operator.login_id, department="総務部")
    assert renamed.status_code == 303, "other changes need no confirmation"


def test_the_same_change_sent_twice_files_once_and_both_answers_say_it_was_filed(world, browser_for):
    admin = browser_for(world.grid_admin)
    fields = {"kind": "change", "target": world.grid_operator.login_id, "department": "系統運用部"}
    first = file(admin, **fields)
    second = file(admin, **fields)
    assert second.headers.get("Location") == first.headers["Location"], text_of(second)[:1500]
    application_id = filed_id(second)
    assert f"Application No. {application_id} has been submitted." in text_of(admin.get(second.headers["Location"]))
    assert steps.count_applications() == 1
    other = file(admin, **{**fields, "department": "需給運用部"})
    assert other.status_code == 400 and f"No. {application_id}" in text_of(other)


def test_the_same_change_sent_again_after_a_minute_is_refused_as_pending(world, clock, browser_for):
    admin = browser_for(world.grid_admin)
    fields = {"kind": "suspend", "target": world.grid_operator.login_id}
    application_id = filed_id(file(admin, **fields))
    clock.advance(seconds=61)
    later = file(admin, **fields)
    assert later.status_code == 400 and f"No. {application_id}" in text_of(later)
    assert steps.count_applications() == 1


def test_the_roles_before_and_after_are_joined_with_the_readers_punctuation(world, browser_for):
    """Found by a browser review: the English before/after table read "Administrator・Operator"."""
    from webapp.i18n import LOCALE_COOKIE

    application_id = filed_id(file(browser_for(world.grid_admin), kind="change", target=world.grid_operator.login_id,
                                   role=["org_admin", "operator"]))
    responsible = browser_for(world.grid_responsible)
    for language, joined in (("en", "Operator, Administrator"), ("ja", "利用者・管理者")):
        responsible.set_cookie(LOCALE_COOKIE, language)
        table = responsible.get(f"/applications/{application_id}").get_data(as_text=True).split("before-after")[1]
        assert f"<ins>{joined}</ins>" in table.split("</table>")[0]
