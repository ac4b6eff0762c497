"""Monthly access review (アクセスログ確認, SPEC §7): per organisation and Japan-time month, a report of
each user's sign-ins, views and exports that the responsible person signs off once; unsigned
reviews are reminded once a day, and the system administrators too once overdue."""
from __future__ import annotations

import json
import re
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from tests.auth.steps import audit_events, post_form, submit_password
from tests.conftest import csrf_from
from tests.records.helpers import add_records
from webapp import scheduler
from webapp.audit import service as audit
from webapp.auth.models import User
from webapp.clock import JST
from webapp.extensions import db
from webapp.orgs import service as orgs
from webapp.review import service as reviews
from webapp.review.models import AccessReview

JUNE_END = datetime(2025, 6, 30, 23, 59, 59, tzinfo=JST)
JULY_FIRST = datetime(2025, 7, 1, 9, 0, tzinfo=JST)  # June's review is due from today, by 2025-07-10


def _activity(user, kind: str, when: datetime, **details) -> None:
    """An audit entry as the portal writes it, at a chosen moment."""
    from webapp import clock as clock_module

    frozen = clock_module.current_app.extensions["sekisho.clock"]
    saved = frozen.now()
    frozen.set(when)
    audit.record(kind, actor_id=user.id, organisation_id=user.organisation_id, **details)
    db.session.commit()
    frozen.set(saved)


def _review_of(organisation, month: str = "2025-06") -> AccessReview:
    review = db.session.scalar(select(AccessReview).where(AccessReview.organisation_id == organisation.id,
                                                          AccessReview.month == month)
                               .execution_options(populate_existing=True))
    assert review is not None, f"no review of {month} for {organisation.name}"
    return review


def _counts(html: str) -> dict[str, dict[str, int]]:
    """The report table: login ID (or "total") -> counter -> number."""
    found = {}
    for login_id, row in re.findall(r'data-testid="review-row" data-login-id="([^"]+)">(.*?)</tr>', html, re.S):
        found[login_id] = {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', row)}
    totals = re.search(r'data-testid="review-totals">(.*?)</tr>', html, re.S)
    assert totals, "no totals row"
    found["total"] = {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', totals.group(1))}
    return found


def _sign(client, review_id: int, comment: str):
    return post_form(client, f"/reviews/{review_id}/sign", {"comment": comment}, page_path=f"/reviews/{review_id}")


def _error(response) -> str:
    match = re.search(r'id="review-error">([^<]+)<', response.get_data(as_text=True))
    assert match, f"no error message (status {response.status_code})"
    return match.group(1).strip()


def _remind(app, *args):
    return app.test_cli_runner().invoke(args=["reviews", "remind", *args])


@pytest.fixture
def june(app, world, clock):
    """A June of activity in the grid company (and some in the city), then the morning of 1 July."""
    add_records(60)
    op, op2, city_op = world.grid_operator, world.grid_operator2, world.city_operator
    for when in (datetime(2025, 6, 1, 0, 0, tzinfo=JST), datetime(2025, 6, 12, 9, 30, tzinfo=JST)):
        _activity(op, "login.succeeded", when, method="email")
    _activity(op, "records.viewed", datetime(2025, 6, 12, 9, 31, tzinfo=JST), shown=50, ids=["x"] * 50)
    _activity(op, "records.viewed", JUNE_END, shown=7, ids=["y"] * 7)
    _activity(op, "records.exported", datetime(2025, 6, 12, 9, 40, tzinfo=JST), shown=120, ids=["z"] * 120)
    _activity(op, "records.export_refused", datetime(2025, 6, 12, 9, 41, tzinfo=JST), reason="bulk export")
    _activity(op2, "login.failed", datetime(2025, 6, 20, 8, 0, tzinfo=JST), reason="wrong_password")
    _activity(op2, "login.code_failed", datetime(2025, 6, 20, 8, 1, tzinfo=JST), attempts=1)
    # Outside June in Japan time, though the first is in June in UTC and the second in July in UTC
    _activity(op, "login.succeeded", datetime(2025, 7, 1, 0, 0, tzinfo=JST), method="email")
    _activity(op, "records.viewed", datetime(2025, 5, 31, 23, 59, 59, tzinfo=JST), shown=3, ids=["w"] * 3)
    _activity(city_op, "login.succeeded", datetime(2025, 6, 15, 10, 0, tzinfo=JST), method="email")
    clock.set(JULY_FIRST)
    return world


def test_the_report_counts_what_each_user_did_in_the_japan_time_month(app, june, browser_for):
    world = june
    page = browser_for(world.grid_responsible).get("/reviews")
    assert page.status_code == 200
    review = _review_of(world.grid)
    assert review.due_on.isoformat() == "2025-07-10" and not review.is_signed
    html = page.get_data(as_text=True)
    assert f'data-review-id="{review.id}"' in html and "Awaiting sign-off" in html
    assert world.city.name not in html  # only their organisation's

    report = browser_for(world.grid_responsible).get(f"/reviews/{review.id}").get_data(as_text=True)
    counts = _counts(report)
    assert counts[world.grid_operator.login_id] == {
        "sign_ins": 2, "failed_sign_ins": 0, "pages_viewed": 2, "records_shown": 57,
        "exports": 1, "records_exported": 120, "exports_refused": 1}
    assert counts[world.grid_operator2.login_id]["failed_sign_ins"] == 2
    assert counts[world.grid_operator2.login_id]["sign_ins"] == 0
    # Every active user of the organisation is listed, with or without activity; nobody else
    assert set(counts) == {world.grid_admin.login_id, world.grid_responsible.login_id, world.grid_operator.login_id,
                           world.grid_operator2.login_id, "total"}
    assert counts["total"]["sign_ins"] == 2 and counts["total"]["records_shown"] == 57
    assert "2025-06-12 09:30" in report  # last sign-in, in Japan time


def test_real_sign_ins_views_and_exports_are_counted(app, world, clock, browser_for, smtp):
    add_records(60)
    operator = browser_for(world.grid_operator)  # a real sign-in: password, then the mailed code
    assert operator.get("/records").status_code == 200
    page = operator.get("/records").get_data(as_text=True)
    exported = operator.post("/records/export.csv", data={"csrf_token": csrf_from(page)})
    assert exported.status_code == 200
    rows = exported.get_data().decode("utf-8-sig").count("\r\n") - 1
    wrong = app.test_client()
    assert submit_password(wrong, world.grid_operator2.login_id, "not the password at all!").status_code == 401
    viewed = [json.loads(e.details) for e in audit_events("records.viewed") if e.actor_id == world.grid_operator.id]
    clock.set(JULY_FIRST)
    review = _open_review(world.grid)
    counts = _counts(browser_for(world.grid_responsible).get(f"/reviews/{review.id}").get_data(as_text=True))
    mine = counts[world.grid_operator.login_id]
    assert mine["sign_ins"] == 1 and mine["pages_viewed"] == len(viewed) == 2
    assert mine["exports"] == 1 and mine["records_exported"] == rows > 0
    assert mine["records_shown"] == sum(len(details["ids"]) for details in viewed) > 0
    assert counts[world.grid_operator2.login_id]["failed_sign_ins"] == 1


def _open_review(organisation, month: str = "2025-06") -> AccessReview:
    reviews.open_reviews()
    return _review_of(organisation, month)


def test_suspended_and_removed_users_with_activity_are_in_the_report_and_idle_ones_are_not(app, june, browser_for):
    world = june
    gone = db.session.get(User, world.grid_operator.id)
    gone.status = "closed"
    idle = db.session.get(User, world.grid_operator2.id)
    db.session.commit()
    idle_suspended = orgs.create_user(world.grid, name="休止 太郎", email="idle@test.example", roles="operator")
    idle_suspended.status = "suspended"
    db.session.commit()
    review = _open_review(world.grid)
    html = browser_for(world.grid_responsible).get(f"/reviews/{review.id}").get_data(as_text=True)
    counts = _counts(html)
    assert counts[world.grid_operator.login_id]["sign_ins"] == 2  # closed since, but active in June
    assert idle.login_id in counts  # active (failed sign-ins only)
    assert idle_suspended.login_id not in counts


def test_the_responsible_person_signs_off_once_and_the_report_stays_as_signed(app, june, browser_for, clock):
    world = june
    clock.set(datetime(2025, 7, 3, 14, 0, tzinfo=JST))
    responsible = browser_for(world.grid_responsible)
    review = _open_review(world.grid)
    before = _counts(responsible.get(f"/reviews/{review.id}").get_data(as_text=True))

    clock.advance(minutes=5)
    done = _sign(responsible, review.id, "全員の利用状況を確認した。業務外の利用なし。")
    assert done.status_code == 303 and done.headers["Location"] == f"/reviews/{review.id}"
    signed = _review_of(world.grid)
    assert signed.signed_by_id == world.grid_responsible.id and signed.comment.startswith("全員の利用状況")
    assert signed.signed_at == clock.now()
    [entry] = audit_events("review.signed")
    assert entry.actor_id == world.grid_responsible.id and entry.organisation_id == world.grid.id
    assert entry.target == str(review.id)

    # Later entries dated in June (a late writer, a clock put right) and a later suspension change nothing
    _activity(world.grid_operator, "records.exported", datetime(2025, 6, 29, 10, 0, tzinfo=JST), shown=999)
    db.session.get(User, world.grid_operator.id).status = "suspended"
    db.session.commit()
    page = responsible.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert _counts(page) == before
    assert "Signed off" in page and "全員の利用状況を確認した" in page and world.grid_responsible.name in page
    assert "<textarea" not in page  # no second sign-off form

    again = _sign(responsible, review.id, "もう一度")
    assert again.status_code == 409 and "already signed off" in _error(again)
    assert world.grid_responsible.name in _error(again)
    assert _review_of(world.grid).comment.startswith("全員の利用状況") and len(audit_events("review.signed")) == 1


def test_two_responsible_people_clicking_at_once_sign_it_once(app, june, browser_for):
    world = june
    second = orgs.create_user(world.grid, name="副 責任者", email="second-responsible@test.example",
                              roles="responsible", emergency_phone="090-1111-1111")
    from tests.support.world import make_active
    from tests.conftest import TEST_PASSWORD

    make_active(second, TEST_PASSWORD)
    db.session.commit()
    review = _open_review(world.grid)
    clients = [browser_for(world.grid_responsible), browser_for(second)]
    tokens = [csrf_from(c.get(f"/reviews/{review.id}").get_data(as_text=True)) for c in clients]
    barrier = threading.Barrier(2)
    statuses = []

    def click(client, token, comment):
        barrier.wait()
        statuses.append(client.post(f"/reviews/{review.id}/sign", data={"comment": comment, "csrf_token": token})
                        .status_code)

    threads = [threading.Thread(target=click, args=(c, t, f"確認 {i}")) for i, (c, t) in enumerate(zip(clients, tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303, 409]
    assert len(audit_events("review.signed")) == 1


def test_another_organisation_gets_404_for_everything(app, june, browser_for):
    world = june
    review = _open_review(world.grid)
    city = browser_for(world.city_responsible)
    assert city.get(f"/reviews/{review.id}").status_code == 404
    token = csrf_from(city.get("/reviews").get_data(as_text=True))
    refused = city.post(f"/reviews/{review.id}/sign", data={"comment": "見ました", "csrf_token": token})
    assert refused.status_code == 404
    assert f'data-review-id="{review.id}"' not in city.get("/reviews?show=all").get_data(as_text=True)
    assert not _review_of(world.grid).is_signed and audit_events("review.signed") == []
    own = _review_of(world.city)
    assert city.get(f"/reviews/{own.id}").status_code == 200


def test_system_administrators_see_every_review_but_do_not_sign(app, june, browser_for, clock):
    world = june
    clock.set(datetime(2025, 7, 11, 9, 0, tzinfo=JST))  # past the due day
    admin = browser_for(world.sysadmin)
    html = admin.get("/reviews").get_data(as_text=True)
    grid_review, city_review = _review_of(world.grid), _review_of(world.city)
    assert f'data-review-id="{grid_review.id}"' in html and f'data-review-id="{city_review.id}"' in html
    assert "Overdue" in html
    listed = re.findall(r'data-testid="review".*?</tr>', html, re.S)
    assert len(listed) == 2  # the portal's own organisation is not reviewed
    page = admin.get(f"/reviews/{grid_review.id}").get_data(as_text=True)
    assert "<textarea" not in page and "Waiting for the sign-off" in page
    refused = _sign(admin, grid_review.id, "管理者が代わりに確認")
    assert refused.status_code == 403 and "Only a responsible person" in _error(refused)
    assert not _review_of(world.grid).is_signed


@pytest.mark.parametrize("who", ["grid_operator", "grid_admin"])
def test_operators_and_administrators_are_refused(app, june, browser_for, who):
    world = june
    review = _open_review(world.grid)
    client = browser_for(getattr(world, who))
    assert client.get("/reviews").status_code == 403
    assert client.get(f"/reviews/{review.id}").status_code == 403
    token = csrf_from(client.get("/dashboard").get_data(as_text=True))
    assert client.post(f"/reviews/{review.id}/sign", data={"comment": "x", "csrf_token": token}).status_code == 403
    assert not _review_of(world.grid).is_signed


@pytest.mark.parametrize("comment, message", [
    ("", "Write the result of your review"),
    ("   \n ", "Write the result of your review"),
    ("x" * 2001, "2000"),
    ("確認\x00済み", "cannot be used"),
    ("確認\x1b[31m済み", "cannot be used"),
])
def test_a_bad_comment_is_refused_and_changes_nothing(app, june, browser_for, comment, message):
    world = june
    review = _open_review(world.grid)
    response = _sign(browser_for(world.grid_responsible), review.id, comment)
    assert response.status_code == 400 and message in _error(response)
    assert not _review_of(world.grid).is_signed and audit_events("review.signed") == []
    # Tied to the field for a screen reader (left alone by the last browser review, now as the other forms)
    field = re.search(r'<textarea id="comment"[^>]*>', response.get_data(as_text=True)).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="review-error"' in field


def test_html_in_the_comment_is_shown_as_text(app, june, browser_for):
    world = june
    review = _open_review(world.grid)
    client = browser_for(world.grid_responsible)
    assert _sign(client, review.id, "<script>alert(1)</script> 確認済み").status_code == 303
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 確認済み" in page and "<script>alert(1)" not in page


@pytest.mark.parametrize("path", ["/reviews/999999", "/reviews/99999999999999999999", "/reviews/-1",
                                  "/reviews/abc", "/reviews/1%00"])
def test_forged_ids_are_not_found(app, june, browser_for, path):
    client = browser_for(june.grid_responsible)
    assert client.get(path).status_code == 404
    token = csrf_from(client.get("/reviews").get_data(as_text=True))
    assert client.post(path + "/sign", data={"comment": "確認", "csrf_token": token}).status_code == 404


def test_the_list_filter_ignores_nonsense(app, june, browser_for):
    client = browser_for(june.grid_responsible)
    for query in ("?show=%00", "?show=" + "x" * 5000, "?show=signed", "?show=all"):
        assert client.get("/reviews" + query).status_code == 200


def test_signing_off_needs_the_csrf_token(app, june, browser_for):
    world = june
    review = _open_review(world.grid)
    client = browser_for(world.grid_responsible)
    assert client.post(f"/reviews/{review.id}/sign", data={"comment": "確認"}).status_code == 400
    assert client.post(f"/reviews/{review.id}/sign", data={"comment": "確認", "csrf_token": "forged"}).status_code == 400
    assert not _review_of(world.grid).is_signed


def test_reviews_open_once_per_organisation_and_month_however_often_asked(app, world, clock, make_app):
    clock.set(JULY_FIRST)
    assert reviews.open_reviews() == 2  # grid and city; not the operator's own organisation
    assert reviews.open_reviews() == 0
    results, errors = [], []
    barrier = threading.Barrier(4)

    def open_in_its_own_context():
        try:
            with app.app_context():
                barrier.wait()
                results.append(reviews.open_reviews(datetime(2025, 8, 5, tzinfo=JST).date()))
        except Exception as failure:  # pragma: no cover - reported below
            errors.append(failure)

    threads = [threading.Thread(target=open_in_its_own_context) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sum(results) == 2
    per_month = dict(db.session.execute(select(AccessReview.month, func.count()).group_by(AccessReview.month)).all())
    assert per_month == {"2025-06": 2, "2025-07": 2}


def test_an_organisation_onboarded_after_the_month_has_no_review_of_it(app, world, clock):
    clock.set(datetime(2025, 7, 20, 10, 0, tzinfo=JST))
    newcomer = orgs.create_organisation("新規電力株式会社", "certified", "")
    db.session.commit()
    reviews.open_reviews()
    assert db.session.scalar(select(AccessReview).where(AccessReview.organisation_id == newcomer.id)) is None
    clock.set(datetime(2025, 8, 1, 0, 0, tzinfo=JST))
    reviews.open_reviews()
    assert _review_of(newcomer, "2025-07").due_on.isoformat() == "2025-08-10"


def test_reminders_go_once_a_day_and_reach_the_system_administrators_once_overdue(app, june, smtp, clock):
    world = june
    smtp.clear()
    first = _remind(app)
    assert first.exit_code == 0, first.output
    assert "2025-07-01: 2 opened, 2 reminded" in first.output
    review = _review_of(world.grid)
    mail = smtp.last_to(world.grid_responsible.email)
    assert f"/reviews/{review.id}" in mail.text and "2025-06" in mail.text and "2025-07-10" in mail.text
    assert f"/reviews/{review.id}" in mail.html
    assert world.city.name not in mail.text
    assert len(smtp.to(world.city_responsible.email)) == 1
    assert smtp.to(world.sysadmin.email) == [] and smtp.to(world.grid_operator.email) == []

    clock.advance(hours=8)  # the scheduler and cron run all day long
    assert "0 reminded" in _remind(app).output
    assert len(smtp.to(world.grid_responsible.email)) == 1

    clock.set(datetime(2025, 7, 2, 9, 0, tzinfo=JST))
    assert "2 reminded" in _remind(app).output
    assert len(smtp.to(world.grid_responsible.email)) == 2 and smtp.to(world.sysadmin.email) == []

    # Signed off: no more reminders for the grid company; the city's becomes overdue after the 10th
    _sign_directly(world.grid_responsible, review.id)
    clock.set(datetime(2025, 7, 11, 0, 0, tzinfo=JST))
    overdue = _remind(app)
    assert f"overdue\t{world.city.name}\t2025-06" in overdue.output and world.grid.name not in overdue.output
    assert len(smtp.to(world.grid_responsible.email)) == 2
    escalated = smtp.last_to(world.sysadmin.email)
    assert world.city.name in escalated.text and world.grid.name not in escalated.text
    assert len(smtp.to(world.city_responsible.email)) == 3
    reminded = audit_events("review.reminded")
    assert len(reminded) == 5 and '"overdue": true' in reminded[-1].details
    assert world.sysadmin.login_id in reminded[-1].details
    assert _review_of(world.city).reminders == 3


def _sign_directly(user, review_id: int) -> None:
    reviews.sign_off(db.session.get(User, user.id), review_id, "確認済み", audit.SYSTEM)


def test_an_organisation_without_a_responsible_person_goes_to_the_system_administrators(app, june, smtp):
    world = june
    db.session.get(User, world.city_responsible.id).status = "suspended"
    db.session.commit()
    smtp.clear()
    assert _remind(app).exit_code == 0
    assert world.city.name in smtp.last_to(world.sysadmin.email).text
    assert smtp.to(world.city_responsible.email) == []


def test_a_suspended_organisation_is_not_reminded(app, june, smtp):
    world = june
    db.session.get(type(world.city), world.city.id).status = "suspended"
    db.session.commit()
    smtp.clear()
    result = _remind(app)
    assert "1 reminded" in result.output and world.city.name not in result.output
    assert smtp.to(world.city_responsible.email) == []


def test_remind_as_of_a_past_day_and_refuses_bad_dates(app, june, smtp):
    world = june
    past = _remind(app, "--as-of", "2025-06-20")
    assert past.exit_code == 0, past.output
    assert "2025-06-20: 0 opened, 0 reminded" in past.output  # nothing of June is due in June
    assert _remind(app, "--as-of", "2025-13-01").exit_code == 2
    ancient = _remind(app, "--as-of", "0001-01-01")  # an operator trial: OverflowError's traceback
    assert ancient.exit_code == 2 and "is before 2000-01-01" in ancient.output
    future = _remind(app, "--as-of", "2025-07-02")
    assert future.exit_code == 2 and "after today" in future.output
    assert _remind(app, "--as-of", "2025-07-01").exit_code == 0
    assert len(smtp.to(world.grid_responsible.email)) == 1


def test_the_scheduler_opens_and_reminds(app, june, smtp):
    world = june
    smtp.clear()
    scheduler.run_once(app)
    assert _review_of(world.grid).last_reminded_on.isoformat() == "2025-07-01"
    assert smtp.last_to(world.grid_responsible.email)


def test_the_pages_render_in_the_default_language(app, june, sign_in):
    world = june
    client = app.test_client()  # no language cookie: Japanese, the portal's default
    sign_in(client, world.grid_responsible)
    listing = client.get("/reviews")
    assert listing.status_code == 200 and '<html lang="ja">' in listing.get_data(as_text=True)
    review = _review_of(world.grid)
    page = client.get(f"/reviews/{review.id}")
    assert page.status_code == 200 and world.grid_operator.login_id in page.get_data(as_text=True)
    refused = _sign(client, review.id, "")
    assert refused.status_code == 400 and _error(refused)


def test_each_persons_entries_of_the_month_with_where_and_when(app, june, browser_for):
    """Found by review: the report was counts only; whoever signs it could not see when, from
    where or what. Each person's row opens their entries of the month (of that month only)."""
    from webapp.audit.service import Origin

    world = june
    _activity(world.grid_operator, "login.succeeded", datetime(2025, 6, 20, 7, 5, tzinfo=JST), method="email",
              origin=Origin(ip="203.0.113.50", user_agent="Mozilla/5.0 (Windows NT 10.0) Firefox/133.0"))
    review = _open_review(world.grid)
    responsible = browser_for(world.grid_responsible)
    report = responsible.get(f"/reviews/{review.id}").get_data(as_text=True)
    path = f"/reviews/{review.id}/people/{world.grid_operator.login_id}"
    assert f'href="{path}"' in report
    page = responsible.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    kinds = re.findall(r'<tr data-kind="([^"]+)">', html)
    assert kinds == ["login.succeeded", "login.succeeded", "records.viewed", "records.exported",
                     "records.export_refused", "login.succeeded", "records.viewed"]  # June only, oldest first
    assert "203.0.113.50" in html and "2025-06-20 07:05:00" in html and "Firefox" in html
    [entry] = audit_events("review.person_viewed")
    assert entry.actor_id == world.grid_responsible.id and entry.target == world.grid_operator.login_id

    assert browser_for(world.sysadmin).get(path).status_code == 200
    assert browser_for(world.city_responsible).get(path).status_code == 404  # another organisation's review
    other_person = f"/reviews/{review.id}/people/{world.city_operator.login_id}"
    assert responsible.get(other_person).status_code == 404  # not a person of this review's organisation
    assert responsible.get(f"/reviews/{review.id}/people/{'x' * 5000}").status_code == 404
    assert browser_for(world.grid_operator).get(path).status_code == 403


@pytest.mark.parametrize("app_settings", [{"PORTAL_BASE_URL": None},
                                          {"PORTAL_BASE_URL": "https://sekisho.example.jp"}])
def test_reminders_say_where_their_links_lead_when_the_address_is_not_set(app, june, smtp, app_settings):
    """An operator trial: `reviews remind` under cron mailed links to http://127.0.0.1:8000 without a
    word, where create-sysadmin and terms publish already said so."""
    given = app_settings["PORTAL_BASE_URL"]
    result = _remind(app)
    assert result.exit_code == 0, result.output
    assert "2 reminded" in result.stdout
    assert f"{given or 'http://127.0.0.1:8000'}/reviews/" in smtp.last_to(june.grid_responsible.email).text
    assert result.stderr.splitlines() == ([] if given else [
        "note: links in the mail this command queued lead to http://127.0.0.1:8000; set PORTAL_BASE_URL "
        "to the address users reach the portal at"])
    quiet = _remind(app)  # nothing mailed: nothing to note
    assert "0 reminded" in quiet.stdout and quiet.stderr == ""
