"""In Chromium: the consent page after sign-in, the confirm button, reading to the end, the dashboard."""
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in

LONG_TERMS = "# 利用規約\n\n" + "\n\n".join(
    f"## 第{n}条\n\n利用者は、本システムを目的の範囲内で利用し、第{n}条の定めを遵守する。" for n in range(1, 41))
ITEMS = """次の事項に同意してください。

* purpose: 本システムを目的の範囲内でのみ利用します。
* credentials: IDとパスワードを他人と共用しません。
* grid-no-retail [grid]: 閲覧した設備情報を小売事業に利用しません。
"""


def _start(live_server):
    server = live_server()
    with server.app.app_context():
        from tests.consent.helpers import PRIVACY_1, publish
        from tests.support.world import build_world

        world = build_world()
        publish("terms", "1.0", LONG_TERMS, must_read=True)
        publish("privacy", "1.0", PRIVACY_1)
        publish("items", "1.0", ITEMS)
    return server, world


def test_confirm_button_waits_for_every_box_and_acceptance_leads_to_the_dashboard(live_server, page, smtp):
    server, world = _start(live_server)
    csp_errors: list[str] = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    browser_sign_in(page, server, smtp, world.grid_operator, TEST_PASSWORD)
    page.wait_for_url("**/consent")
    button = page.get_by_test_id("consent-submit")
    terms_box = page.locator("input[name=item][value=terms]")
    boxes = page.locator("input[type=checkbox][name=item]")
    assert boxes.count() == 5  # terms, privacy and three items (the grid item included)
    assert button.is_disabled()

    # The terms must be read to the end: its box stays disabled until the text is scrolled through.
    assert terms_box.is_disabled()
    assert page.locator(".consent-scroll-hint").first.is_visible()
    page.locator("[data-must-read-to-end] .consent-scroll").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    # A locator assertion, not wait_for_function: once the box is not enabled at the first look,
    # Playwright polls a string predicate with eval, which the page's strict CSP rightly refuses.
    expect(terms_box).to_be_enabled()

    values = [boxes.nth(i).get_attribute("value") for i in range(boxes.count())]
    for index, value in enumerate(values):
        assert button.is_disabled(), f"enabled before {value} was ticked"
        page.check(f"input[name=item][value='{value}']")
    assert button.is_enabled()
    page.uncheck("input[name=item][value=credentials]")
    assert button.is_disabled()
    page.check("input[name=item][value=credentials]")
    button.click()
    page.wait_for_url("**/dashboard")
    assert page.get_by_test_id("signed-in-as").inner_text() == world.grid_operator.name
    assert not csp_errors


def test_without_javascript_every_box_works_and_the_form_is_accepted(live_server, browser, smtp):
    server, world = _start(live_server)
    context = browser.new_context(locale="ja-JP", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_sign_in(page, server, smtp, world.city_operator, TEST_PASSWORD)
        page.wait_for_url("**/consent")
        assert page.locator("input[name=item][value=grid-no-retail]").count() == 0  # not for a municipality
        assert page.locator("input[name=item][value=terms]").is_enabled()  # no script, no reading lock
        for value in ("terms", "privacy", "purpose", "credentials"):
            page.check(f"input[name=item][value={value}]")
        page.get_by_test_id("consent-submit").click()
        page.wait_for_url("**/dashboard")
    finally:
        context.close()
