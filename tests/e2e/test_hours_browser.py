"""Ten minutes before closing under `capacity`, a signed-in user sees the countdown banner, in Chromium."""
from datetime import datetime

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in
from webapp.clock import JST


def test_countdown_banner_shows_ten_minutes_left_before_closing(live_server, page, smtp, clock):
    clock.set(datetime(2025, 6, 10, 17, 50, tzinfo=JST))  # a Tuesday, capacity closes at 18:00
    server = live_server(PORTAL_HOURS_PROFILE="capacity")
    with server.app.app_context():
        from tests.support.world import build_world

        operator = build_world().grid_operator
    csp_errors: list[str] = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.clock.install()  # the browser's timers, faked so minutes pass at once
    browser_sign_in(page, server, smtp, operator, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")

    banner = page.locator("[data-hours-seconds-left]")
    banner.wait_for()
    assert banner.get_attribute("data-hours-seconds-left") == "600"
    text = banner.inner_text()
    assert "18:00" in text and "10" in text  # 「システムは18:00に終了します（残り10分）。」 or English

    page.clock.run_for("04:00")  # static/app.js counts down from the server's figure
    assert "6" in banner.inner_text() and "10" not in banner.inner_text()
    assert "{n}" not in banner.inner_text()
    assert not csp_errors

    clock.set(datetime(2025, 6, 10, 18, 0, tzinfo=JST))
    page.clock.run_for("06:05")  # at zero the page reloads and the server ends the session
    page.wait_for_url("**/login?closed=capacity")
    assert "2025-06-11" in page.locator(".notice-closed").inner_text()
