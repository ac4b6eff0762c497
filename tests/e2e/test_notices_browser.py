"""An operator reads a notice on the dashboard: htmx posts with the CSRF header, the panel is
swapped in place, and nothing breaks the Content-Security-Policy."""
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in


def test_operator_marks_a_notice_read_in_place(live_server, page, smtp):
    server = live_server()
    with server.app.app_context():
        from tests.support.world import build_world
        from webapp.audit.service import SYSTEM
        from webapp.notices import service

        world = build_world()
        service.post(world.sysadmin, "maintenance", "計画停止のお知らせ", "12月1日 2時から4時まで\n停止します。", "", SYSTEM)
        operator = world.grid_operator
    csp_errors: list[str] = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    browser_sign_in(page, server, smtp, operator, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    notice = page.get_by_test_id("notice")
    assert "計画停止のお知らせ" in notice.inner_text()
    assert page.get_by_test_id("unread").count() == 1
    page.get_by_role("button", name="既読にする").click()
    page.get_by_test_id("unread").wait_for(state="detached")
    assert page.url.endswith("/dashboard")  # swapped in place, no navigation
    page.reload()
    assert page.get_by_test_id("unread").count() == 0
    assert not csp_errors


def test_marking_a_withdrawn_notice_read_shows_the_error(live_server, page, smtp):
    """A sysadmin withdraws the notice while it is on the operator's dashboard: the click answers
    404, and the operator sees that on the page (htmx 2 swaps no error answer by itself)."""
    server = live_server()
    with server.app.app_context():
        from tests.support.world import build_world
        from webapp.audit.service import SYSTEM
        from webapp.notices import service

        world = build_world()
        notice = service.post(world.sysadmin, "maintenance", "計画停止のお知らせ", "停止します。", "", SYSTEM)
        notice_id, sysadmin, operator = notice.id, world.sysadmin, world.grid_operator
    csp_errors: list[str] = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    browser_sign_in(page, server, smtp, operator, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    alert = page.get_by_test_id("htmx-error")
    assert alert.is_hidden()
    with server.app.app_context():
        from webapp.audit.service import SYSTEM
        from webapp.notices import service

        service.withdraw(sysadmin, notice_id, "誤掲載", SYSTEM)
    with page.expect_response(lambda r: f"/notices/{notice_id}/read" in r.url) as answer:
        page.get_by_role("button", name="既読にする").click()
    assert answer.value.status == 404
    alert.get_by_role("heading").wait_for()
    assert alert.is_visible()
    assert "404" in alert.inner_text()
    assert alert.get_attribute("role") == "alert"
    assert page.url.endswith("/dashboard")
    assert page.get_by_test_id("notice").count() == 1  # the panel itself is left as it was
    assert not csp_errors


def test_mark_as_read_by_keyboard_moves_on_to_the_next_notice(live_server, page, smtp, clock):
    """The button pressed goes with the swapped panel: the focus fell to <body> and the next Tab
    went to the footer (found by a browser review). It goes on to the next notice, and after the
    last one to the panel's heading."""
    server = live_server()
    with server.app.app_context():
        from tests.support.world import build_world
        from webapp.audit.service import SYSTEM
        from webapp.notices import service

        world = build_world()
        service.post(world.sysadmin, "maintenance", "古いお知らせ", "先に掲載しました。", "", SYSTEM)
        clock.advance(minutes=5)
        service.post(world.sysadmin, "maintenance", "新しいお知らせ", "後で掲載しました。", "", SYSTEM)
        operator = world.grid_operator
    browser_sign_in(page, server, smtp, operator, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    notices = page.get_by_test_id("notice")
    expect(notices.first).to_contain_text("新しいお知らせ")
    notices.first.get_by_role("button", name="既読にする").focus()
    page.keyboard.press("Enter")
    expect(notices.nth(1)).to_be_focused()
    expect(notices.nth(1)).to_contain_text("古いお知らせ")
    expect(page.get_by_test_id("htmx-status")).to_have_text("お知らせを既読にしました。")
    page.keyboard.press("Tab")
    expect(notices.nth(1).get_by_role("button", name="既読にする")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="お知らせ", exact=True)).to_be_focused()
    expect(page.get_by_test_id("unread")).to_have_count(0)
