"""Return, resubmit, reject, withdraw; four-eyes; when the system administrator must decide."""
from __future__ import annotations

from tests.applications import steps
from tests.applications.steps import add_user_fields, decide, file, filed_id, post, text_of


def test_returned_application_is_fixed_and_resubmitted_then_approved(world, smtp, browser_for):
    admin, responsible = browser_for(world.grid_admin), browser_for(world.grid_responsible)
    application_id = filed_id(file(admin, **add_user_fields(name="誤記 太郎")))

    without_reason = decide(responsible, application_id, "return")
    assert without_reason.status_code == 400 and "reason" in text_of(without_reason)
    assert steps.application(application_id).state == "submitted"

    answer = decide(responsible, application_id, "return", "氏名の表記を確認してください")
    assert answer.status_code == 303
    assert "returned to the applicant for correction" in text_of(responsible.get(answer.headers["Location"]))
    returned = smtp.last_to(world.grid_admin.email)
    assert "差戻し" in returned.subject and "氏名の表記を確認してください" in returned.text
    assert steps.application(application_id).state == "returned"

    form = admin.get(f"/applications/{application_id}/edit")
    assert form.status_code == 200 and "誤記 太郎" in form.get_data(as_text=True)
    smtp.clear()
    resubmitted = post(admin, f"/applications/{application_id}/edit", add_user_fields(name="正記 太郎"))
    assert resubmitted.status_code == 303
    assert f"/applications/{application_id}" in smtp.last_to(world.grid_responsible.email).text
    assert steps.application(application_id).proposed["name"] == "正記 太郎"

    answer = decide(responsible, application_id, "approve")
    assert answer.status_code == 303
    page = text_of(responsible.get(answer.headers["Location"]))
    assert f"Application No. {application_id} has been approved and carried out." in page
    assert "Filed" in page and "Resubmitted" in page  # the history in words of events, not states
    assert steps.user_by_email("new.person@test.example").name == "正記 太郎"
    assert steps.timeline(application_id) == ["submitted", "returned", "resubmitted", "approved"]


def test_only_a_returned_application_can_be_edited_and_only_by_its_applicant(world, browser_for):
    admin = browser_for(world.grid_admin)
    application_id = filed_id(file(admin, **add_user_fields()))
    assert admin.get(f"/applications/{application_id}/edit").status_code == 403
    assert post(admin, f"/applications/{application_id}/edit", add_user_fields(name="x")).status_code == 403
    assert steps.application(application_id).proposed["name"] == "新規 太郎"


def test_rejection_needs_a_reason_and_tells_the_applicant(world, smtp, browser_for):
    admin, responsible = browser_for(world.grid_admin), browser_for(world.grid_responsible)
    application_id = filed_id(file(admin, kind="suspend", target=world.grid_operator.login_id))
    assert decide(responsible, application_id, "reject").status_code == 400
    assert decide(responsible, application_id, "reject", "停止理由がありません").status_code == 303
    assert steps.application(application_id).state == "rejected"
    assert "停止理由がありません" in smtp.last_to(world.grid_admin.email).text
    assert steps.user(world.grid_operator.login_id).status == "active"
    again = decide(responsible, application_id, "approve")
    assert again.status_code == 409 and "already been decided" in text_of(again)
    assert steps.user(world.grid_operator.login_id).status == "active"


def test_applicant_withdraws_a_pending_application_and_approvers_are_told(world, smtp, browser_for):
    admin = browser_for(world.grid_admin)
    application_id = filed_id(file(admin, kind="reissue", target=world.grid_operator.login_id))
    smtp.clear()
    assert post(admin, f"/applications/{application_id}/withdraw").status_code == 303
    assert steps.application(application_id).state == "withdrawn"
    assert "取下げ" in smtp.last_to(world.grid_responsible.email).subject
    responsible = browser_for(world.grid_responsible)
    assert decide(responsible, application_id, "approve").status_code == 409
    assert post(admin, f"/applications/{application_id}/withdraw").status_code == 409


def test_a_withdrawal_records_why_and_the_approvers_read_it(world, smtp, browser_for):
    """A conformance review: SPEC §4 records who, when and why for every transition; a withdrawal
    kept no reason."""
    admin = browser_for(world.grid_admin)
    application_id = filed_id(file(admin, kind="reissue", target=world.grid_operator.login_id))
    smtp.clear()
    assert post(admin, f"/applications/{application_id}/withdraw", {"reason": "本人から取り消しの依頼"}).status_code == 303
    assert "本人から取り消しの依頼" in smtp.last_to(world.grid_responsible.email).text
    assert "本人から取り消しの依頼" in text_of(admin.get(f"/applications/{application_id}"))
    [entry] = steps.audit_entries("application.withdrawn", application_id=application_id)
    assert "本人から取り消しの依頼" in entry.details


def test_the_other_approvers_learn_that_an_application_was_decided(world, smtp, browser_for):
    """A conformance review: the second responsible person, asked to decide, never heard that the
    first one had."""
    steps.update_user(world.grid_operator2.login_id, roles="operator responsible")
    application_id = filed_id(file(browser_for(world.grid_admin), kind="suspend", target=world.grid_operator.login_id))
    smtp.clear()
    assert decide(browser_for(world.grid_responsible), application_id, "reject", "理由不十分").status_code == 303
    told = smtp.last_to(world.grid_operator2.email)
    assert f"No. {application_id}" in told.subject and "理由不十分" in told.text
    assert all(f"No. {application_id}" not in m.subject for m in smtp.to(world.grid_responsible.email)), \
        "the decider is not told of their own decision"


def test_an_unknown_decision_changes_nothing(world, browser_for):
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields()))
    response = decide(browser_for(world.grid_responsible), application_id, "approve'; DROP TABLE users;--")
    assert response.status_code == 400
    assert steps.application(application_id).state == "submitted"


def _make_admin_also_responsible(user):
    return steps.update_user(user.login_id, roles="org_admin responsible")


def test_nobody_approves_their_own_application(world, browser_for):
    # The administrator is also a responsible person; the organisation's other responsible person decides.
    _make_admin_also_responsible(world.grid_admin)
    admin = browser_for(world.grid_admin)
    application_id = filed_id(file(admin, kind="unlock", target=_lock(world.grid_operator).login_id))
    assert steps.application(application_id).requires_sysadmin is False
    page = admin.get(f"/applications/{application_id}")
    assert "Approve and execute" not in text_of(page)
    own = decide(admin, application_id, "approve")
    assert own.status_code == 403 and "filed" in text_of(own)
    assert steps.application(application_id).state == "submitted"
    [refusal] = steps.audit_entries("access.denied")  # a four-eyes breach tried is on the record
    assert refusal.actor_id == world.grid_admin.id and refusal.target == f"/applications/{application_id}"
    assert decide(browser_for(world.grid_responsible), application_id, "approve").status_code == 303
    assert steps.user(world.grid_operator.login_id).locked_at is None


def _lock(user):
    from webapp import clock

    return steps.update_user(user.login_id, locked_at=clock.now(), failed_logins=5)


def test_when_the_applicant_is_the_only_responsible_person_the_system_administrator_decides(world, smtp, browser_for):
    _make_admin_also_responsible(world.grid_admin)
    steps.update_user(world.grid_responsible.login_id, status="suspended")
    admin = browser_for(world.grid_admin)
    application_id = filed_id(file(admin, kind="reissue", target=world.grid_operator.login_id))
    assert steps.application(application_id).requires_sysadmin is True
    assert f"/applications/{application_id}" in smtp.last_to(world.sysadmin.email).text
    assert decide(admin, application_id, "approve").status_code == 403

    smtp.clear()
    sysadmin = browser_for(world.sysadmin)
    assert "Awaiting your decision" in text_of(sysadmin.get("/dashboard"))
    assert decide(sysadmin, application_id, "approve").status_code == 303
    assert "/activate/" in smtp.last_to(world.grid_operator.email).text


def test_an_organisation_without_responsible_person_routes_to_the_system_administrator(world, browser_for):
    steps.update_user(world.city_responsible.login_id, status="closed")
    application_id = filed_id(file(browser_for(world.city_admin), **add_user_fields(email="c@test.example")))
    assert steps.application(application_id).requires_sysadmin is True


def test_changing_who_is_responsible_needs_the_system_administrator(world, smtp, browser_for):
    admin, responsible = browser_for(world.grid_admin), browser_for(world.grid_responsible)
    no_phone = file(admin, kind="change", target=world.grid_operator.login_id, role=["operator", "responsible"])
    assert no_phone.status_code == 400 and "emergency phone" in text_of(no_phone)  # SPEC §1
    application_id = filed_id(file(admin, kind="change", target=world.grid_operator.login_id,
                                   role=["operator", "responsible"], emergency_phone="03-1234-5678"))
    application = steps.application(application_id)
    assert application.requires_sysadmin is True
    assert "Approve and execute" not in text_of(responsible.get(f"/applications/{application_id}"))
    refused = decide(responsible, application_id, "approve")
    assert refused.status_code == 403 and "system administrator" in text_of(refused)
    assert steps.user(world.grid_operator.login_id).role_set == {"operator"}
    assert decide(browser_for(world.sysadmin), application_id, "approve").status_code == 303
    assert steps.user(world.grid_operator.login_id).role_set == {"operator", "responsible"}


def test_governing_roles_route_every_kind_to_the_system_administrator(world, browser_for):
    admin = browser_for(world.grid_admin)
    cases = [
        dict(add_user_fields(email="admin2@test.example", role=["org_admin"])),
        dict(kind="remove", target=world.grid_responsible.login_id),
    ]
    for fields in cases:
        application_id = filed_id(file(admin, **fields))
        assert steps.application(application_id).requires_sysadmin is True, fields
    plain = filed_id(file(admin, kind="suspend", target=world.grid_operator.login_id))
    assert steps.application(plain).requires_sysadmin is False


def test_a_new_address_for_a_governing_person_needs_the_system_administrator(world, browser_for):
    """Sign-in codes and reissue links go to the address: an administrator and a second
    responsible person together must not be able to move the responsible person's account to a
    mailbox of theirs. Other changes of that person, and addresses of operators, stay inside."""
    steps.update_user(world.grid_operator2.login_id, roles="operator responsible")
    admin = browser_for(world.grid_admin)
    moved = filed_id(file(admin, kind="change", target=world.grid_responsible.login_id,
                          email="elsewhere@test.example", natural_person="y"))
    assert steps.application(moved).requires_sysadmin is True
    assert decide(browser_for(world.grid_operator2), moved, "approve").status_code == 403
    assert steps.user(world.grid_responsible.login_id).email == world.grid_responsible.email
    assert decide(browser_for(world.sysadmin), moved, "approve").status_code == 303
    assert steps.user(world.grid_responsible.login_id).email == "elsewhere@test.example"

    renamed = filed_id(file(admin, kind="change", target=world.grid_responsible.login_id, department="新設部"))
    assert steps.application(renamed).requires_sysadmin is False
    operator_address = filed_id(file(admin, kind="change", target=world.grid_operator.login_id,
                                     email="operator-new@test.example", natural_person="y"))
    assert steps.application(operator_address).requires_sysadmin is False


def test_the_person_concerned_cannot_decide_about_their_own_account(world, browser_for):
    # A second responsible person exists, so the first one's unlock is theirs to decide, not the first one's.
    steps.update_user(world.grid_operator2.login_id, roles="operator responsible")
    _lock(world.grid_responsible)
    application_id = filed_id(file(browser_for(world.grid_admin), kind="unlock",
                                   target=world.grid_responsible.login_id))
    assert steps.application(application_id).requires_sysadmin is False
    assert decide(browser_for(world.grid_operator2), application_id, "approve").status_code == 303


def test_the_same_decision_sent_twice_shows_it_decided_not_a_conflict(world, smtp, browser_for):
    """A browser review: a double click on "Approve" approved once, then answered 409 "This application
    has already been decided." to the person who had just decided it."""
    admin, responsible = browser_for(world.grid_admin), browser_for(world.grid_responsible)
    for decision, reason, state in (("approve", "", "approved"), ("reject", "重複", "rejected")):
        application_id = filed_id(file(admin, **add_user_fields(email=f"{decision}@test.example")))
        first, second = decide(responsible, application_id, decision, reason), decide(
            responsible, application_id, decision, reason)
        assert first.status_code == second.status_code == 303, text_of(second)[:1500]
        page = text_of(responsible.get(second.headers["Location"]))
        assert f"Application No. {application_id} has been {state}" in page and "already been decided" not in page
        assert len(steps.audit_entries(f"application.{state}", application_id=application_id)) == 1
        assert steps.timeline(application_id) == ["submitted", state]
    assert len(smtp.to("approve@test.example")) == 1  # one activation mail

    otherwise = decide(responsible, application_id, "approve")
    assert otherwise.status_code == 409 and "already been decided" in text_of(otherwise)


def test_a_decision_already_made_by_someone_else_is_still_a_conflict(world, browser_for):
    steps.update_user(world.grid_operator2.login_id, roles="operator responsible")
    admin = browser_for(world.grid_admin)
    first, second = browser_for(world.grid_responsible), browser_for(world.grid_operator2)
    application_id = filed_id(file(admin, **add_user_fields()))
    assert decide(first, application_id, "approve").status_code == 303
    late = decide(second, application_id, "approve")
    assert late.status_code == 409 and "already been decided" in text_of(late)
