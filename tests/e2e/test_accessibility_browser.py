"""Every main page, in Japanese, checked in Chromium by axe-core (pinned from npm): no
violation that axe rates serious or critical (missing labels, contrast, names of buttons and
links, landmarks, duplicate ids, ARIA misuse) for the people who use the portal with a screen
reader, a keyboard or poor eyesight."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RULES_RUN = "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => " \
            "({id: v.id, impact: v.impact, help: v.help, where: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"

PAGES_BY_ROLE = {
    None: ["/hours", "/terms", "/privacy", "/consent-items"],
    "grid_admin": ["/applications", "/applications/new", "/users", "/consent/report"],
    "grid_responsible": ["/alerts", "/reviews"],
    "sysadmin": ["/admin/organisations", "/admin/organisations/new", "/admin/audit", "/admin/terms",
                 "/admin/terms/new", "/admin/notices", "/admin/hours", "/admin/records/scope"],
    # Last: documents are published just before, so this sign-in passes the consent page first.
    "grid_operator": ["/dashboard", "/account/password", "/account/sessions", "/account/authenticator", "/records",
                      "/consent/history"],
}


def serious_problems(page: Any, path: str) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(RULES_RUN)
    return [f"{path}: {v['id']} ({v['impact']}): {v['help']} at {v['where']}"
            for v in found if v["impact"] in {"serious", "critical"}]


def test_main_pages_have_no_serious_accessibility_violations(live_server, browser, smtp):
    server = live_server()
    with server.app.app_context():
        from tests.support.world import build_world

        world = build_world()
        people = {role: getattr(world, role) for role in PAGES_BY_ROLE if role}
        second_operator = world.grid_operator2.login_id
    problems: list[str] = []
    for role, paths in PAGES_BY_ROLE.items():
        # axe is injected as a script of its own: the portal's CSP rightly refuses it, so the test
        # context alone is allowed to bypass it.
        context = browser.new_context(locale="ja-JP", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if role == "grid_operator":
            with server.app.app_context():
                from tests.consent.helpers import ITEMS_1, PRIVACY_1, TERMS_1, publish

                publish("terms", "1.0", TERMS_1)
                publish("privacy", "1.0", PRIVACY_1)
                publish("items", "1.0", ITEMS_1)
            browser_sign_in(page, server, smtp, people[role], TEST_PASSWORD)
            page.wait_for_url("**/consent")
            problems += serious_problems(page, "/consent")
            for box in page.locator("input[name=item]").all():
                box.check()
            page.click("main form button[type=submit]")
            page.wait_for_url("**/dashboard")
        elif role is not None:
            browser_sign_in(page, server, smtp, people[role], TEST_PASSWORD)
            page.wait_for_url("**/dashboard")
        else:  # the two sign-in pages, then the public ones
            page.goto(server.url + "/login")
            problems += serious_problems(page, "/login")
            page.fill("#login_id", second_operator)
            page.fill("#password", TEST_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/login/code")
            problems += serious_problems(page, "/login/code")
        for path in paths:
            response = page.goto(server.url + path)
            assert response is not None and response.status == 200, f"{path} as {role}: {response and response.status}"
            problems += serious_problems(page, path)
        context.close()
    assert not problems, "\n".join(problems)
