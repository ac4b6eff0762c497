"""On a phone (375 px wide) no page is wider than the screen: wide tables scroll inside
themselves, long e-mail addresses break, the footer links keep their words whole."""
from __future__ import annotations

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in

WIDTH = 375


def test_lists_and_details_fit_a_phone_screen(live_server, browser, smtp):
    server = live_server()
    with server.app.app_context():
        from tests.support.world import build_world

        world = build_world()
        admin, organisation, operator_id = world.sysadmin, world.grid.id, world.grid_operator.login_id
    context = browser.new_context(locale="ja-JP", viewport={"width": WIDTH, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    browser_sign_in(page, server, smtp, admin, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    too_wide = {}
    footer_link = None
    for language in ("ja", "en"):  # found by a UI review: in English the header pushed "Sign out" off screen
        page.goto(f"{server.url}/lang/{language}?next=/dashboard")
        for path in ("/dashboard", "/users", "/applications", f"/admin/organisations/{organisation}",
                     "/account/sessions", f"/users/{operator_id}", "/admin/organisations", "/hours"):
            page.goto(server.url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                too_wide[(language, path)] = width
        footer_link = footer_link or page.locator("footer a[lang=ja]").bounding_box()
    context.close()
    assert too_wide == {}
    assert footer_link is not None and footer_link["height"] < 2 * footer_link["width"], "「日本語」 on one line"
