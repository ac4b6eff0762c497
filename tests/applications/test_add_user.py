"""Adding a user: filed by the administrator, approved by the responsible person, activated from the mail."""
from __future__ import annotations

from tests.applications import steps
from tests.applications.steps import add_user_fields, decide, file, filed_id, text_of

NEW_PASSWORD = "a long new passphrase for the portal 2025"


def test_added_user_activates_from_the_mail_and_signs_in(app, world, smtp, browser_for, sign_in):
    admin = browser_for(world.grid_admin)
    application_id = filed_id(file(admin, **add_user_fields(note="新任担当者")))

    asked = smtp.last_to(world.grid_responsible.email)
    assert f"/applications/{application_id}" in asked.text
    assert "awaits your decision" in asked.subject or str(application_id) in asked.subject
    assert steps.user_by_email("new.person@test.example") is None  # nothing exists before the approval

    responsible = browser_for(world.grid_responsible)
    page = responsible.get(f"/applications/{application_id}")
    assert page.status_code == 200
    assert "新規 太郎" in text_of(page) and "Approve and execute" in text_of(page)

    smtp.clear()
    response = decide(responsible, application_id, "approve")
    assert response.status_code == 303
    new_user = steps.user_by_email("new.person@test.example")
    assert new_user.status == "pending" and new_user.organisation_id == world.grid.id
    assert new_user.role_set == {"operator"} and new_user.login_id != new_user.email

    done = steps.application(application_id)
    assert done.state == "approved" and done.decided_by_id == world.grid_responsible.id
    assert done.target_user_id == new_user.id
    assert "完了" in smtp.last_to(world.grid_admin.email).subject

    assert new_user.login_id in smtp.last_to("new.person@test.example").text
    set_password = steps.activate_from_mail(app.test_client(), smtp, "new.person@test.example", NEW_PASSWORD)
    assert set_password.status_code == 303
    sign_in(app.test_client(), steps.user(new_user.login_id), NEW_PASSWORD)

    assert steps.timeline(application_id) == ["submitted", "approved"]
    assert len(steps.audit_entries("application.submitted", application_id=application_id)) == 1
    assert len(steps.audit_entries("application.approved", application_id=application_id)) == 1
    assert len(steps.audit_entries("account.created", application_id=application_id)) == 1


def test_add_needs_the_natural_person_confirmation(world, browser_for):
    admin = browser_for(world.grid_admin)
    fields = add_user_fields()
    del fields["natural_person"]
    response = file(admin, **fields)
    assert response.status_code == 400
    assert "natural person" in text_of(response)
    assert steps.count_applications() == 0


def test_add_refuses_an_address_of_another_open_account_of_the_organisation(world, browser_for):
    admin = browser_for(world.grid_admin)
    response = file(admin, **add_user_fields(email=world.grid_operator.email.upper()))
    assert response.status_code == 400
    assert "already used by another account" in text_of(response)
    assert steps.count_applications() == 0


def test_a_second_add_for_the_same_address_is_refused_while_one_is_pending(world, browser_for):
    admin = browser_for(world.grid_admin)
    filed_id(file(admin, **add_user_fields()))
    again = file(admin, **add_user_fields(name="別人"))
    assert again.status_code == 400
    assert "Another pending application already uses this e-mail address" in text_of(again)
    assert steps.count_applications() == 1


def test_add_needs_a_role_and_accepts_several(world, browser_for):
    admin = browser_for(world.grid_admin)
    assert file(admin, **add_user_fields(role=[])).status_code == 400
    forged = file(admin, **add_user_fields(role=["operator", "sysadmin"]))
    assert forged.status_code == 400 and "roles from the list" in text_of(forged)
    application_id = filed_id(file(admin, **add_user_fields(role=["operator", "org_admin"])))
    assert steps.application(application_id).proposed["roles"] == ["operator", "org_admin"]


def test_with_the_mail_server_down_the_approver_is_told_the_activation_mail_has_not_gone(
        app, world, smtp, browser_for, clock):
    """SPEC §11: the approval stands, the approver learns that the mail waits, and it goes out once
    the mail server is back."""
    from webapp.mail import outbox
    from webapp.mail.models import OutboxMail
    from sqlalchemy import select
    from tests.support.smtp import free_port
    from webapp.extensions import db

    admin, responsible = browser_for(world.grid_admin), browser_for(world.grid_responsible)
    application_id = filed_id(file(admin, **add_user_fields(email="newbie@test.example")))
    working_port = app.extensions["mail"].port
    app.extensions["mail"].port = free_port()  # the mail server goes down now
    response = decide(responsible, application_id, "approve")
    assert response.status_code == 303
    shown = text_of(responsible.get(response.headers["Location"]))
    assert "approved and carried out" in shown and "could not be sent yet" in shown
    db.session.expire_all()
    (activation,) = db.session.scalars(select(OutboxMail).where(OutboxMail.template == "activation"))
    assert activation.state == "queued" and activation.last_error
    assert "could not be sent" not in text_of(responsible.get("/dashboard"))  # told once

    app.extensions["mail"].port = working_port
    clock.advance(minutes=5)
    outbox.deliver()
    assert "/activate/" in smtp.last_to("newbie@test.example").text
    assert len(smtp.to("newbie@test.example")) == 1


def test_the_same_add_sent_twice_files_once_and_both_answers_say_it_was_filed(world, browser_for):
    """A browser review: a double click on "Submit application" filed it once, but the second answer
    said the address was used by another pending application, as if the first had failed."""
    admin = browser_for(world.grid_admin)
    first = file(admin, **add_user_fields())
    second = file(admin, **add_user_fields())
    assert second.headers.get("Location") == first.headers["Location"], text_of(second)[:1500]
    application_id = filed_id(second)
    page = text_of(admin.get(second.headers["Location"]))
    assert f"Application No. {application_id} has been submitted." in page
    assert "Another pending application" not in page
    assert steps.count_applications() == 1
    assert not steps.audit_entries("application.address_refused")
    other = file(admin, **add_user_fields(name="別人"))
    assert other.status_code == 400, "a different application for the address is still refused"
