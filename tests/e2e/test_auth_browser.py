"""In Chromium: keyboard first (the skip link), then a person moves to an authenticator app
and signs in with its code; no page breaks the Content-Security-Policy on the way."""
import pyotp

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in


def test_operator_sets_up_an_authenticator_app_and_signs_in_with_it(live_server, page, smtp):
    server = live_server()
    clock = server.app.extensions["sekisho.clock"]
    with server.app.app_context():
        from tests.support.world import build_world

        operator = build_world().grid_operator
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(server.url + "/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"

    browser_sign_in(page, server, smtp, operator, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    page.goto(server.url + "/account/sessions")
    page.click("a[href='/account/authenticator']")
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).at(clock.now()))
    page.fill("#enrol-password", TEST_PASSWORD)
    page.click("form[action='/account/authenticator'] button[type=submit]")
    page.wait_for_url("**/account/sessions")
    assert page.get_by_test_id("mfa-method").inner_text() in {"認証アプリ", "Authenticator app"}

    page.click("header form button[type=submit]")  # sign out
    page.wait_for_url("**/login")
    clock.advance(seconds=30)
    page.fill("#login_id", operator.login_id)
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/login/code")
    page.fill("#code", pyotp.TOTP(secret).at(clock.now()))
    page.click("form[action='/login/code'] button[type=submit]")
    page.wait_for_url("**/dashboard")
    assert page.get_by_test_id("signed-in-as").inner_text() == operator.name
    assert not violations, violations
