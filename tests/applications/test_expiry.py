"""Applications left undecided expire after PORTAL_APPLICATION_EXPIRY_DAYS; the applicant is told."""
from __future__ import annotations

from tests.applications import steps
from tests.applications.steps import add_user_fields, decide, file, filed_id
from webapp import scheduler


def test_an_application_expires_after_fourteen_days(app, world, smtp, clock, browser_for):
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields()))
    clock.advance(days=13, hours=23)
    scheduler.run_once(app)
    assert steps.application(application_id).state == "submitted"

    smtp.clear()
    clock.advance(days=1, hours=1)
    scheduler.run_once(app)
    expired = steps.application(application_id)
    assert expired.state == "expired"
    told = smtp.last_to(world.grid_admin.email)  # sent by the job, outside any request: the default language
    assert f"No. {application_id}" in told.subject and f"/applications/{application_id}" in told.text
    assert steps.timeline(application_id) == ["submitted", "expired"]
    [entry] = steps.audit_entries("application.expired", application_id=application_id)
    assert entry.actor_id is None

    refused = decide(browser_for(world.grid_responsible), application_id, "approve")
    assert refused.status_code == 409
    assert steps.user_by_email("new.person@test.example") is None


def test_expiry_is_configurable_and_runs_from_the_command_line(make_app, world_factory, clock):
    app = make_app(PORTAL_APPLICATION_EXPIRY_DAYS=3)
    with app.app_context():
        world = world_factory()
        from tests.conftest import TEST_PASSWORD  # noqa: F401  (the world's people use it)
        from webapp.applications import drafts, service
        from webapp.audit.service import SYSTEM

        application = service.submit(world.grid_admin, drafts.Draft(kind="reissue", target=world.grid_operator.login_id),
                                     SYSTEM)
        clock.advance(days=3)
        result = app.test_cli_runner().invoke(args=["applications", "expire"])
        assert result.exit_code == 0 and "expired 1" in result.output
        assert steps.application(application.id).state == "expired"
        again = app.test_cli_runner().invoke(args=["applications", "expire"])
        assert "expired 0" in again.output


def test_a_returned_application_gets_a_full_period_to_be_fixed(app, world, clock, browser_for):
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields()))
    clock.advance(days=10)
    assert decide(browser_for(world.grid_responsible), application_id, "return", "所属を記入").status_code == 303
    clock.advance(days=13)
    scheduler.run_once(app)
    assert steps.application(application_id).state == "returned"
    clock.advance(days=2)
    scheduler.run_once(app)
    assert steps.application(application_id).state == "expired"


def test_past_its_period_an_application_cannot_be_decided_even_before_the_job_ran(app, world, smtp, clock,
                                                                                  browser_for):
    """An operator trial: under another WSGI server (no scheduler) and without cron, an application
    fifteen days old was approved and its user created."""
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields()))
    clock.advance(days=15)  # no scheduler.run_once: the job has not run
    refused = decide(browser_for(world.grid_responsible), application_id, "approve")
    assert refused.status_code == 409
    assert "This application has expired" in refused.get_data(as_text=True)
    assert steps.user_by_email("new.person@test.example") is None
    assert steps.application(application_id).state == "expired"
    assert steps.timeline(application_id) == ["submitted", "expired"]
    assert len(steps.audit_entries("application.expired", application_id=application_id)) == 1
    scheduler.run_once(app)  # the job, running later, finds nothing left to do
    assert len(steps.audit_entries("application.expired", application_id=application_id)) == 1


def test_a_returned_application_past_its_period_cannot_be_resubmitted(app, world, clock, browser_for, sign_in):
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields()))
    assert decide(browser_for(world.grid_responsible), application_id, "return", "所属を記入").status_code == 303
    clock.advance(days=15)
    admin = app.test_client()  # signed in afresh: the earlier session is long over
    sign_in(admin, world.grid_admin)
    resubmitted = steps.post(admin, f"/applications/{application_id}/edit", add_user_fields())
    assert resubmitted.status_code == 409
    assert steps.application(application_id).state == "expired"


def test_an_application_past_its_period_cannot_be_withdrawn_either(app, world, clock, browser_for, sign_in):
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields()))
    clock.advance(days=15)
    admin = app.test_client()
    sign_in(admin, world.grid_admin)
    response = steps.post(admin, f"/applications/{application_id}/withdraw", {})
    assert response.status_code == 409
    assert steps.application(application_id).state == "expired"
