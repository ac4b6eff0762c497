"""Notices (お知らせ, SPEC §8): system administrators post them, optionally for one category of
organisation; users see them on the dashboard, newest first, unread marked."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.auth.steps import audit_events, post_form, sign_in_with_code
from tests.conftest import csrf_from
from webapp.extensions import db
from webapp.notices.models import Notice, NoticeRead


def _signed_in(app, smtp, user):
    client = app.test_client()
    sign_in_with_code(client, smtp, user)
    return client


def _post(admin, **fields):
    data = {"kind": "maintenance", "audience": "", "title": "計画停止のお知らせ", "body": "12月1日 2時から4時まで停止します。"}
    data.update(fields)
    return post_form(admin, "/admin/notices", data)


def _shown(client) -> list[tuple[str, bool]]:
    """(title, unread) of each notice on the dashboard, in order."""
    html = client.get("/dashboard").get_data(as_text=True)
    items = re.findall(r'<li data-testid="notice"[^>]*>(.*?)</li>', html, re.S)
    return [(re.search(r"<h3>(.*?)</h3>", item).group(1), 'data-testid="unread"' in item) for item in items]


def _count() -> int:
    """Notices in force (a withdrawn one stays in the table, marked)."""
    return db.session.scalar(select(func.count()).select_from(Notice).where(Notice.withdrawn_at.is_(None)))


def test_a_posted_notice_reaches_every_dashboard_unread_and_is_audited(app, world, smtp):
    admin = _signed_in(app, smtp, world.sysadmin)
    response = _post(admin)
    assert response.status_code == 303
    for user in (world.grid_operator, world.city_responsible):
        assert _shown(_signed_in(app, smtp, user)) == [("計画停止のお知らせ", True)]
    [entry] = audit_events("notice.posted")
    assert entry.actor_id == world.sysadmin.id and "計画停止" in entry.details


def test_a_notice_for_one_category_is_seen_by_that_category_only(app, world, smtp):
    admin = _signed_in(app, smtp, world.sysadmin)
    assert _post(admin, audience="municipality", title="自治体向け").status_code == 303
    assert _post(admin, title="全員向け").status_code == 303
    assert _shown(_signed_in(app, smtp, world.city_operator)) == [("全員向け", True), ("自治体向け", True)]
    grid = _signed_in(app, smtp, world.grid_operator)
    assert _shown(grid) == [("全員向け", True)]
    hidden = db.session.scalar(select(Notice.id).where(Notice.title == "自治体向け"))
    assert post_form(grid, f"/notices/{hidden}/read", {}, page_path="/dashboard").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(NoticeRead)) == 0


def test_reading_marks_it_for_that_user_only(app, world, smtp, clock):
    admin = _signed_in(app, smtp, world.sysadmin)
    _post(admin, title="古い")
    clock.advance(minutes=5)
    _post(admin, title="新しい")
    reader = _signed_in(app, smtp, world.grid_operator)
    assert _shown(reader) == [("新しい", True), ("古い", True)]
    older = db.session.scalar(select(Notice.id).where(Notice.title == "古い"))
    page = reader.get("/dashboard")
    fragment = reader.post(f"/notices/{older}/read", headers={"HX-Request": "true"},
                           data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert fragment.status_code == 200 and 'id="notices-panel"' in fragment.get_data(as_text=True)
    assert post_form(reader, f"/notices/{older}/read", {}, page_path="/dashboard").status_code == 303  # twice: fine
    assert _shown(reader) == [("新しい", True), ("古い", False)]
    assert _shown(_signed_in(app, smtp, world.grid_responsible)) == [("新しい", True), ("古い", True)]


def test_marking_read_needs_the_csrf_token(app, world, smtp):
    admin = _signed_in(app, smtp, world.sysadmin)
    _post(admin)
    reader = _signed_in(app, smtp, world.grid_operator)
    notice_id = db.session.scalar(select(Notice.id))
    assert reader.post(f"/notices/{notice_id}/read").status_code == 400
    assert _shown(reader) == [("計画停止のお知らせ", True)]


@pytest.mark.parametrize("role", ["grid_operator", "grid_admin", "grid_responsible"])
def test_only_system_administrators_post(app, world, smtp, role):
    client = _signed_in(app, smtp, getattr(world, role))
    assert client.get("/admin/notices").status_code == 403
    page = client.get("/dashboard")
    response = client.post("/admin/notices", data={"kind": "general", "title": "x", "body": "y",
                                                   "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 403
    assert _count() == 0


@pytest.mark.parametrize("fields, message", [
    ({"title": ""}, "件名を入力"),
    ({"body": "   "}, "本文を入力"),
    ({"title": "x" * 201}, "200"),
    ({"body": "停止\x00します"}, "使用できない"),
    ({"kind": "promotion"}, "種類を選んで"),
    ({"audience": "everyone'; DROP TABLE notices; --"}, "対象を選んで"),
])
def test_bad_input_gets_a_message_and_posts_nothing(app, world, smtp, fields, message):
    admin = _signed_in(app, smtp, world.sysadmin)
    response = _post(admin, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count() == 0


def test_markup_in_a_notice_is_shown_as_text(app, world, smtp):
    admin = _signed_in(app, smtp, world.sysadmin)
    assert _post(admin, title="<script>alert(1)</script>", body='<img src=x onerror="alert(2)">').status_code == 303
    html = _signed_in(app, smtp, world.grid_operator).get("/dashboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_the_form_sent_twice_at_once_posts_one_notice(app, world, smtp):
    """Found by a PostgreSQL trial: a double click showed the notice twice on every dashboard."""
    from tests.support.races import at_once, same_browser

    admin = _signed_in(app, smtp, world.sysadmin)
    second = same_browser(app, admin)
    token = csrf_from(admin.get("/admin/notices").get_data(as_text=True))
    data = {"kind": "maintenance", "audience": "", "title": "計画停止", "body": "2時から4時まで。", "csrf_token": token}
    answers = at_once(lambda: admin.post("/admin/notices", data=data), lambda: second.post("/admin/notices", data=data))
    assert [a.status_code for a in answers] == [303, 303]
    assert _count() == 1 and len(audit_events("notice.posted")) == 1
    assert _post(admin, title="別のお知らせ").status_code == 303 and _count() == 2


def test_every_notice_stays_readable_beyond_the_dashboards_ten(app, world, smtp):
    """A conformance review: the eleventh newest notice, unread, could be seen nowhere."""
    admin = _signed_in(app, smtp, world.sysadmin)
    assert _post(admin, audience="grid", title="送配電向けの古いお知らせ").status_code == 303
    for n in range(10):
        assert _post(admin, title=f"お知らせ{n}").status_code == 303
    grid = _signed_in(app, smtp, world.grid_operator)
    assert "送配電向けの古いお知らせ" not in [title for title, _unread in _shown(grid)]
    page = grid.get("/notices").get_data(as_text=True)
    assert "送配電向けの古いお知らせ" in page and page.count('data-testid="notice"') == 11
    old = db.session.scalar(select(Notice.id).where(Notice.title == "送配電向けの古いお知らせ"))
    marked = post_form(grid, f"/notices/{old}/read", {"back": "list"}, page_path="/notices")
    assert marked.status_code == 303 and marked.headers["Location"] == "/notices"
    city_page = _signed_in(app, smtp, world.city_operator).get("/notices").get_data(as_text=True)
    assert "送配電向けの古いお知らせ" not in city_page


def test_a_system_administrator_withdraws_a_notice_posted_by_mistake(app, world, smtp):
    admin = _signed_in(app, smtp, world.sysadmin)
    assert _post(admin, title="誤った宛先のお知らせ").status_code == 303
    wrong = db.session.scalar(select(Notice.id).where(Notice.title == "誤った宛先のお知らせ"))
    grid = _signed_in(app, smtp, world.grid_operator)
    assert post_form(grid, f"/notices/{wrong}/read", {}, page_path="/dashboard").status_code == 303
    assert post_form(grid, f"/admin/notices/{wrong}/withdraw", {"reason": "x"}, page_path="/dashboard").status_code == 403
    assert post_form(admin, f"/admin/notices/{wrong}/withdraw", {"reason": ""}, page_path="/admin/notices").status_code == 400
    assert _count() == 1
    done = post_form(admin, f"/admin/notices/{wrong}/withdraw", {"reason": "宛先の誤り"}, page_path="/admin/notices")
    assert done.status_code == 303 and _count() == 0
    assert _shown(grid) == []
    [entry] = audit_events("notice.withdrawn")
    assert "誤った宛先のお知らせ" in entry.details and "宛先の誤り" in entry.details
    assert post_form(admin, f"/admin/notices/{wrong}/withdraw", {"reason": "二重"}, page_path="/admin/notices").status_code == 404


def test_a_withdrawn_notices_number_is_never_given_to_the_next_one(app, world, smtp):
    """A browser review: SQLite gave a withdrawn notice's number to the next notice, and a
    reader's stale "mark as read" of the old one marked the new, urgent one read unseen."""
    admin = _signed_in(app, smtp, world.sysadmin)
    assert _post(admin, title="お知らせE").status_code == 303
    first = db.session.scalar(select(Notice.id).where(Notice.title == "お知らせE"))
    grid = _signed_in(app, smtp, world.grid_operator)
    stale_page = grid.get("/notices").get_data(as_text=True)
    done = post_form(admin, f"/admin/notices/{first}/withdraw", {"reason": "誤り"}, page_path="/admin/notices")
    assert done.status_code == 303
    assert _post(admin, title="お知らせF（重要）").status_code == 303
    second = db.session.scalar(select(Notice.id).where(Notice.title == "お知らせF（重要）"))
    assert second != first
    stale = grid.post(f"/notices/{first}/read", data={"csrf_token": csrf_from(stale_page)})
    assert stale.status_code == 404
    assert _shown(grid) == [("お知らせF（重要）", True)]
    assert "お知らせE" not in grid.get("/notices").get_data(as_text=True)
    assert "お知らせE" not in admin.get("/admin/notices").get_data(as_text=True)


def test_the_notices_and_their_management_page_have_titles_of_their_own(world, browser_for):
    """Found by a browser review: both tabs read 「お知らせ」, and a screen reader's list of windows too."""
    from webapp.i18n import LOCALE_COOKIE

    admin = browser_for(world.sysadmin)
    for language, listed, managed in (("ja", "お知らせ", "お知らせの管理"), ("en", "Notices", "Manage notices")):
        admin.set_cookie(LOCALE_COOKIE, language)
        assert re.search(r"<title>(.*?) - ", admin.get("/notices").get_data(as_text=True)).group(1) == listed
        page = admin.get("/admin/notices").get_data(as_text=True)
        assert re.search(r"<title>(.*?) - ", page).group(1) == managed and f"<h1>{managed}</h1>" in page
