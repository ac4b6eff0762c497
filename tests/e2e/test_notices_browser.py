"""An operator reads a notice on the dashboard: htmx posts with the CSRF header, the panel is
swapped in place, and nothing breaks the Content-Security-Policy."""
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
