"""In Chromium: an administrator files an add-user application, the responsible person approves it,
and the new user activates the account from the mail and signs in."""
from __future__ import annotations

import re
from types import SimpleNamespace
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in

NEW_EMAIL = "browser.new@test.example"
NEW_PASSWORD = "a brand new passphrase typed in chromium"


def new_page(browser):
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def test_add_user_from_application_to_first_sign_in(live_server, page, browser, smtp):
    server = live_server()
    with server.app.app_context():
        from tests.support.world import build_world

        world = build_world()
    csp_errors: list[str] = []

    # The administrator files the application.
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    browser_sign_in(page, server, smtp, world.grid_admin, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    page.goto(server.url + "/applications/new")
    page.select_option("#kind", "add")
    page.fill("#name", "画面 花子")
    page.fill("#department", "託送業務部")
    page.fill("#email", NEW_EMAIL)
    page.check("input[name=role][value=operator]")
    page.check("input[name=natural_person]")
    page.click("form[data-application-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/applications/\d+$"))  # not /applications/new, where the click started
    application_path = urlsplit(page.url).path
    assert page.get_by_test_id("application-state").inner_text() in {"申請中", "Submitted"}
    assert page.locator("button[name=decision]").count() == 0  # four-eyes: not for the applicant

    # The responsible person sees it waiting, narrows the list with htmx, and approves.
    context, approver = new_page(browser)
    approver.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    browser_sign_in(approver, server, smtp, world.grid_responsible, TEST_PASSWORD)
    approver.wait_for_url("**/dashboard")
    assert approver.get_by_test_id("pending-count").inner_text() == "1"
    approver.goto(server.url + "/applications")
    approver.select_option("select[name=kind]", "suspend")
    expect(approver.get_by_test_id("application-count")).to_have_text(re.compile(r"^\s*0"))
    assert "kind=suspend" in approver.url  # hx-push-url: the filtered list has its own address
    approver.goto(server.url + application_path)
    assert "画面 花子" in approver.locator("table.before-after").inner_text()
    approver.click("button[name=decision][value=approve]")
    # The address is the same before and after the decision: wait for what the answer shows.
    expect(approver.get_by_test_id("application-state")).to_have_text(re.compile(r"完了|Completed"))
    assert urlsplit(approver.url).path == application_path
    context.close()

    # The new user opens the link from the mail, sets a password and signs in.
    link = smtp.link_for(NEW_EMAIL)
    login_id = next(line.split(":")[-1].strip().split("：")[-1].strip()
                    for line in smtp.last_to(NEW_EMAIL).text.splitlines() if line.strip().startswith(("User ID", "ユーザID")))
    context, newcomer = new_page(browser)
    newcomer.goto(server.url + urlsplit(link).path)  # the mail names PORTAL_BASE_URL; the test server has its own port
    assert newcomer.get_by_test_id("activation-login-id").inner_text() == login_id
    newcomer.fill("#password", NEW_PASSWORD)
    newcomer.fill("#password_confirm", NEW_PASSWORD)
    newcomer.click("form button[type=submit]")
    newcomer.wait_for_url("**/login")
    browser_sign_in(newcomer, server, smtp, SimpleNamespace(login_id=login_id, email=NEW_EMAIL), NEW_PASSWORD)
    newcomer.wait_for_url("**/dashboard")
    assert newcomer.get_by_test_id("signed-in-as").inner_text() == "画面 花子"
    context.close()
    assert not csp_errors
