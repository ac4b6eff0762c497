"""The in-process scheduler: a feature's job is registered once, and an hourly one runs once an hour
however often the scheduler ticks (every 30 s by default)."""
from webapp import scheduler


def test_an_hourly_job_runs_once_per_hour_and_per_app_and_is_registered_once(app, make_app):
    runs: list[int] = []
    try:
        scheduler.add_job("test-hourly", lambda a: runs.append(id(a)), every_seconds=3600)
        scheduler.add_job("test-hourly", lambda a: runs.append(-1), every_seconds=3600)  # a second app's init
        assert [name for name, _job in scheduler.JOBS].count("test-hourly") == 1
        scheduler.run_once(app)
        scheduler.run_once(app)
        assert runs == [id(app)]
        other = make_app()
        scheduler.run_once(other)
        assert runs == [id(app), id(other)]
    finally:
        scheduler.JOBS[:] = [(name, job) for name, job in scheduler.JOBS if name != "test-hourly"]


def test_portal_jobs_run_does_the_schedulers_work_for_cron(app, world, smtp, clock, browser_for):
    """Where no scheduler runs (another WSGI server, PORTAL_SCHEDULER=0), cron runs `portal jobs run`."""
    from tests.applications import steps

    application_id = steps.filed_id(steps.file(browser_for(world.grid_admin), **steps.add_user_fields()))
    clock.advance(days=15)
    smtp.clear()
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "mail: done" in lines and "applications: done" in lines and "sessions: done" in lines
    assert steps.application(application_id).state == "expired"
    assert smtp.last_to(world.grid_admin.email)  # the applicant is told


def test_a_failing_job_is_named_and_the_others_still_run(app):
    runs: list[str] = []

    def broken(_app):
        raise RuntimeError("broken on purpose")

    try:
        scheduler.add_job("test-broken", broken)
        scheduler.add_job("test-after", lambda _a: runs.append("after"))
        result = app.test_cli_runner().invoke(args=["jobs", "run"])
        assert result.exit_code == 1
        assert "test-broken: failed: RuntimeError (see the log above)" in result.output.splitlines()
        assert runs == ["after"]
    finally:
        scheduler.JOBS[:] = [(n, j) for n, j in scheduler.JOBS if n not in ("test-broken", "test-after")]


def test_jobs_run_fails_while_the_relay_refuses_mail(make_app, world_factory):
    """A review: `mail: done`, exit 0, while every mail was refused; cron's alerting saw nothing."""
    from tests.support.smtp import free_port
    from webapp.extensions import db
    from webapp.mail import outbox

    app = make_app(PORTAL_MAIL_PORT=free_port())  # nothing listens there
    with app.app_context():
        world = world_factory()
        outbox.enqueue("someone@test.example", "notice", "account_notice", user=world.grid_operator,
                       headline="hello", reason="")
        db.session.commit()
        outbox.take_committed_ids()
    for _run in range(2):  # the second while the mail waits out its back-off (an operator trial: exit 0, "done")
        result = app.test_cli_runner().invoke(args=["jobs", "run"])
        assert result.exit_code == 1, result.output
        assert "mail: incomplete: still queued 1 (relay unreachable: ConnectionRefusedError: [Errno 111] " \
               "Connection refused)" in result.output.splitlines()
