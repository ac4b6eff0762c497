"""The scheduler prunes sign-in bookkeeping that no rule looks at any more."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.auth.steps import submit_password
from webapp import scheduler
from webapp.auth.models import PendingLogin, RateEvent
from webapp.extensions import db


def run_job(app, name: str = "auth-housekeeping") -> None:
    (job,) = [job for job_name, job in scheduler.JOBS if job_name == name]
    with app.app_context():
        job(app)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_old_rate_events_and_pending_logins_are_pruned_recent_ones_kept(app, client, world, clock):
    for _try in range(3):
        submit_password(client, world.grid_operator.login_id, "wrong passphrase for pruning")
    submit_password(client, world.grid_operator.login_id)
    assert count(RateEvent) == 3 and count(PendingLogin) == 1

    run_job(app)
    assert count(RateEvent) == 3, "still inside the window: they still count"
    assert count(PendingLogin) == 1

    clock.advance(days=2)
    submit_password(client, world.grid_operator2.login_id, "a fresh wrong passphrase")
    run_job(app)
    assert count(RateEvent) == 1, "only the fresh failure is left"
    assert count(PendingLogin) == 0


def test_the_job_is_registered_once_however_many_apps_are_made(make_app):
    make_app()
    make_app()
    assert [name for name, _job in scheduler.JOBS].count("auth-housekeeping") == 1


def test_pruned_events_no_longer_block_an_address(make_app, clock):
    app = make_app(PORTAL_IP_FAILURE_LIMIT=2)
    with app.app_context():
        from tests.support.world import build_world

        operator = build_world().grid_operator
        client = app.test_client()
        for _try in range(2):
            submit_password(client, operator.login_id + "zz", "wrong")
        assert submit_password(client, operator.login_id).status_code == 429
        clock.advance(seconds=app.config["PORTAL_IP_FAILURE_WINDOW_SECONDS"] + timedelta(hours=24).total_seconds())
        run_job(app)
        assert count(RateEvent) == 0
        assert submit_password(client, operator.login_id).status_code == 303
