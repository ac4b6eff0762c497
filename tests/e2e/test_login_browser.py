"""A demo operator signs in with the code from the mail and sees the dashboard, in Chromium."""
from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in


def test_operator_signs_in_and_sees_dashboard(live_server, page, smtp):
    server = live_server()
    with server.app.app_context():
        from tests.support.world import build_world

        world = build_world()
        operator = world.grid_operator
    browser_sign_in(page, server, smtp, operator, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    assert page.get_by_test_id("signed-in-as").inner_text() == operator.name
    assert "ダッシュボード" in page.title() or "Dashboard" in page.title()
    csp_errors: list[str] = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.reload()
    assert not csp_errors
