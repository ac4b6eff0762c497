"""Two approvers clicking at the same moment, on a real database file: exactly one outcome, executed once."""
from __future__ import annotations

import threading
from typing import Any, Callable

from tests.applications import steps
from tests.applications.steps import add_user_fields, decide, file, filed_id, token
from webapp.extensions import db


def race(app: Any, *calls: tuple[Any, str, str, int]) -> list[int]:
    """Run each (client, decision, reason, id) in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)
    tokens = [token(client) for client, *_rest in calls]
    db.session.rollback()
    db.session.close()  # the test thread must not hold SQLite's write lock while the threads run

    def run(index: int, client: Any, decision: str, reason: str, application_id: int) -> None:
        barrier.wait()
        response = client.post(f"/applications/{application_id}", data={
            "decision": decision, "reason": reason, "csrf_token": tokens[index]})
        results[index] = response.status_code

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def two_approvers(world: Any, browser_for: Any) -> tuple[Any, Any]:
    steps.update_user(world.grid_operator2.login_id, roles="operator responsible")
    return browser_for(world.grid_responsible), browser_for(world.grid_operator2)


def test_two_approvals_at_the_same_time_execute_once(app, world, smtp, browser_for):
    first, second = two_approvers(world, browser_for)
    for round_number in range(3):
        email = f"race{round_number}@test.example"
        application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields(email=email)))
        smtp.clear()
        results = race(app, (first, "approve", "", application_id), (second, "approve", "", application_id))
        assert sorted(results) == [303, 409], results
        assert steps.application(application_id).state == "approved"
        assert len(steps.audit_entries("application.approved", application_id=application_id)) == 1
        assert len(steps.audit_entries("account.created", application_id=application_id)) == 1
        assert steps.timeline(application_id) == ["submitted", "approved"]
        with steps.reading() as session:
            from sqlalchemy import func, select

            from webapp.auth.models import User

            assert session.scalar(select(func.count()).select_from(User).where(User.email == email)) == 1
        smtp.last_to(email)
        assert len(smtp.to(email)) == 1  # one activation mail


def test_approve_racing_reject_has_exactly_one_outcome(app, world, browser_for):
    first, second = two_approvers(world, browser_for)
    outcomes = set()
    for round_number in range(3):
        email = f"duel{round_number}@test.example"
        application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields(email=email)))
        results = race(app, (first, "approve", "", application_id), (second, "reject", "重複申請", application_id))
        assert sorted(results) == [303, 409], results
        state = steps.application(application_id).state
        outcomes.add(state)
        decisions = (steps.audit_entries("application.approved", application_id=application_id)
                     + steps.audit_entries("application.rejected", application_id=application_id))
        assert len(decisions) == 1 and decisions[0].kind == f"application.{state}"
        created = steps.user_by_email(email)
        assert (created is not None) == (state == "approved")
    assert outcomes <= {"approved", "rejected"}



def _approve_as_read_before(app, approver_id: int, application_id: int, first: Callable[[], None]) -> str:
    """An approval by approver_id of the application as it read it before first() ran, as on
    PostgreSQL where both requests can read 'submitted' before either writes: the state it ended
    with, or the name of its error."""
    read_done, first_done = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def late_approval() -> None:
        from webapp.applications import service
        from webapp.applications.models import Application
        from webapp.audit.service import SYSTEM
        from webapp.auth.models import User

        with app.app_context():
            approver = db.session.get(User, approver_id)
            stale = db.session.get(Application, application_id)
            assert stale.state == "submitted"
            db.session.commit()  # the object stays in this session, still saying 'submitted'
            read_done.set()
            first_done.wait(30)
            try:
                outcome["result"] = service.decide(approver, application_id, "approve", "", SYSTEM).state
            except Exception as error:  # noqa: BLE001 - the test reports what the late approval got
                outcome["result"] = type(error).__name__

    thread = threading.Thread(target=late_approval)
    thread.start()
    read_done.wait(30)
    db.session.close()
    first()
    first_done.set()
    thread.join(30)
    return outcome["result"]

def test_a_decision_made_on_a_stale_read_executes_nothing(app, world, browser_for):
    """The conditional UPDATE, not the earlier read, decides: as on PostgreSQL, where both requests
    can read 'submitted' before either writes."""
    first, _second = two_approvers(world, browser_for)
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields(email="stale@test.example")))

    def first_rejects() -> None:
        assert decide(first, application_id, "reject", "不要").status_code == 303

    assert _approve_as_read_before(app, world.grid_operator2.id, application_id, first_rejects) == "AlreadyDecided"
    assert steps.application(application_id).state == "rejected"
    assert steps.user_by_email("stale@test.example") is None


def test_the_same_application_filed_twice_at_once_is_filed_once(app, world, smtp, browser_for):
    """Found by a PostgreSQL trial: two tabs filing the same new person at once both passed the
    check of what was pending, and approving both made two accounts with one address."""
    from tests.support.races import at_once, same_browser

    admin = browser_for(world.grid_admin)
    second_tab = same_browser(app, admin)
    fields = add_user_fields(email="dup.add@test.example")
    for kind_fields in (fields, {"kind": "suspend", "target": world.grid_operator.login_id}):
        page_token = token(admin)
        answers = at_once(*(lambda browser=browser: browser.post("/applications/new", data={
            **kind_fields, "csrf_token": page_token}) for browser in (admin, second_tab)))
        assert [a.status_code for a in answers] == [303, 303], [a.status_code for a in answers]
        assert answers[0].headers["Location"] == answers[1].headers["Location"], "both answer with the one filed"
    assert steps.count_applications() == 2


def test_a_double_click_on_approve_approves_once_and_both_answers_say_so(app, world, smtp, browser_for):
    """Both clicks can read the application still open; the second then finds it decided by the
    same person the same way, which is what it asked for, not a conflict."""
    from tests.support.races import at_once, same_browser

    responsible = browser_for(world.grid_responsible)
    second_tab = same_browser(app, responsible)
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields(email="twice@test.example")))
    page_token = token(responsible)
    answers = at_once(*(lambda browser=browser: browser.post(f"/applications/{application_id}", data={
        "decision": "approve", "reason": "", "csrf_token": page_token}) for browser in (responsible, second_tab)))
    assert [a.status_code for a in answers] == [303, 303], [a.status_code for a in answers]
    assert steps.timeline(application_id) == ["submitted", "approved"]
    assert len(steps.audit_entries("account.created", application_id=application_id)) == 1
    assert len(smtp.to("twice@test.example")) == 1


def test_a_double_click_read_before_the_first_decision_finds_it_decided_by_the_same_person(app, world, browser_for):
    """As on PostgreSQL, where the second click's request can read 'submitted' before the first
    click's request writes: the conditional UPDATE fails, and the second still answers "decided"."""
    responsible = browser_for(world.grid_responsible)
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields(email="stale2@test.example")))

    def first_click() -> None:
        assert decide(responsible, application_id, "approve").status_code == 303

    assert _approve_as_read_before(app, world.grid_responsible.id, application_id, first_click) == "approved"
    assert steps.timeline(application_id) == ["submitted", "approved"]
