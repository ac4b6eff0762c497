"""A refused form marks the inputs that are wrong for a screen reader: each carries
aria-invalid="true" and an aria-describedby naming the message about it.

A browser review found pages that showed the message but left the input unmarked and unlinked
(one box of four messages above the new-application form, the reason fields, the terms editor's
per-field messages), so a screen reader moving through the form did not learn which input was
wrong or why."""
from __future__ import annotations

import html
import re
from typing import Any, Callable

import pytest

from tests.conftest import TEST_PASSWORD, csrf_from
from webapp.extensions import db

# (the wrong input, as a regex on its tag: name and, when the page has several, id), what its message says
Expectation = list[tuple[str, str]]


def _post(client: Any, path: str, data: dict[str, Any], page_path: str | None = None) -> Any:
    page = client.get(page_path or path)
    assert page.status_code == 200, f"{page_path or path}: {page.status_code}"
    return client.post(path, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def _new_application(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    response = _post(browser_for(world.grid_admin), "/applications/new",
                     {"kind": "add", "name": "", "email": "not an address", "department": "x"})
    return response, [('id="name"', "Enter the user's full name."),
                      ('id="email"', "Enter a valid personal e-mail address."),
                      ('name="role" value="operator"', "Choose at least one role."),
                      ('name="natural_person"', "Confirm that the user is a natural person")]


def _change_application(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    response = _post(browser_for(world.grid_admin), "/applications/new", {"kind": "suspend", "target": "nobody"})
    return response, [('id="target"', "There is no user with this user ID in your organisation.")]


def _notice(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    response = _post(browser_for(world.sysadmin), "/admin/notices",
                     {"kind": "general", "audience": "", "title": "", "body": "本文"})
    return response, [('id="title"', "Enter a title.")]


def _onboarding(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    response = _post(browser_for(world.sysadmin), "/admin/organisations/new", {
        "name": "", "category": "certified", "security_manager_name": "管理 太郎", "security_manager_contact": "",
        "admin_name": "管理者", "admin_email": "admin@new.example", "responsible_name": "責任者",
        "responsible_email": "broken", "responsible_phone": "03-0000-0000"})
    return response, [('id="name"', "Enter the organisation's name."),
                      ('name="security_manager_contact"', "Enter the security manager's name and emergency contact."),
                      ('name="responsible_email"', "Responsible person: enter a valid personal e-mail address.")]


def _organisation_edit(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    path = f"/admin/organisations/{world.grid.id}/edit"
    response = _post(browser_for(world.sysadmin), path, {
        "name": world.grid.name, "category": "grid", "supply_area": "tokyo", "security_manager_name": "管理 太郎",
        "security_manager_contact": "03-0000-0000", "allowed_networks": "203.0.113.0/24\nnot-a-network"})
    return response, [('id="allowed_networks"', "not-a-network is not an IP address or network")]


def _terms_field(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    response = _post(browser_for(world.sysadmin), "/admin/terms/new",
                     {"kind": "terms", "version": "", "effective_on": "2030-01-01", "summary": "初版", "body": "本文"})
    return response, [('id="version"', "This field is required.")]


def _terms_content(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    response = _post(browser_for(world.sysadmin), "/admin/terms/new",
                     {"kind": "terms", "version": "1.0", "effective_on": "2030-02-31", "summary": "初版", "body": "本文"})
    return response, [('id="effective_on"', "The effective date must be a date written as YYYY-MM-DD.")]


def _custom_hours_profile(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    response = _post(browser_for(world.sysadmin), "/admin/hours/profiles", {"name": "night", "tue": "9-5"},
                     "/admin/hours")
    return response, [('id="tue"', "Tuesday: write the hours as 09:00-18:00")]


def _decision(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    filed = _post(browser_for(world.grid_admin), "/applications/new",
                  {"kind": "suspend", "target": world.grid_operator.login_id})
    path = filed.headers["Location"]
    response = _post(browser_for(world.grid_responsible), path, {"decision": "return", "reason": ""})
    return response, [('id="reason"', "Give the reason for returning or rejecting the application.")]


def _suspension(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    login_id = world.grid_operator.login_id
    response = _post(browser_for(world.grid_responsible), f"/users/{login_id}/suspend", {"reason": ""},
                     f"/users/{login_id}")
    return response, [('id="reason"', "Give the reason for the suspension.")]


def _organisation_status(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    path = f"/admin/organisations/{world.grid.id}"
    response = _post(browser_for(world.sysadmin), f"{path}/status", {"action": "suspend", "reason": ""}, path)
    return response, [('id="reason"', "Give the reason for the suspension.")]


def _alert_closure(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    from webapp.alerts import service

    alert = service.raise_alert("login.failure_burst", "試行が続いています", ip="203.0.113.9")
    db.session.commit()
    response = _post(browser_for(world.sysadmin), f"/alerts/{alert.id}/close", {"comment": ""}, "/alerts")
    return response, [(f'id="comment-{alert.id}"', "Say what was found or done before closing the alert.")]


def _authenticator(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    response = _post(browser_for(world.grid_operator), "/account/authenticator",
                     {"code": "000000", "password": TEST_PASSWORD})
    return response, [('id="code"', "The code does not match.")]


def _consent(world: Any, browser_for: Callable[..., Any]) -> tuple[Any, Expectation]:
    from tests.consent.helpers import form_values, publish_all

    publish_all()
    client = browser_for(world.grid_operator)
    page = client.get("/consent").get_data(as_text=True)
    versions, items = form_values(page)
    response = client.post("/consent", data={"version": versions, "item": [i for i in items if i != "privacy"],
                                             "csrf_token": csrf_from(page)})
    return response, [('name="item" value="privacy"', "Privacy")]


PAGES = {
    "/applications/new": _new_application, "/applications/new (kind=suspend)": _change_application,
    "/admin/notices": _notice, "/admin/organisations/new": _onboarding,
    "/admin/organisations/<id>/edit": _organisation_edit, "/admin/terms/new (a field)": _terms_field,
    "/admin/terms/new (the content)": _terms_content, "/admin/hours (custom profile)": _custom_hours_profile,
    "/applications/<id> (decision)": _decision, "/users/<id> (suspend)": _suspension,
    "/admin/organisations/<id> (status)": _organisation_status, "/alerts (close)": _alert_closure,
    "/account/authenticator": _authenticator, "/consent": _consent,
}


def _tag(page: str, pattern: str) -> str:
    tags = re.findall(r"<(?:input|textarea|select)\b[^>]*>", page)
    found = [tag for tag in tags if re.search(pattern, tag)]
    assert len(found) == 1, f"{len(found)} inputs match {pattern!r}"
    return found[0]


def _text_of_id(page: str, element_id: str) -> str:
    attribute = rf'\sid="{re.escape(element_id)}"'
    assert len(re.findall(attribute, page)) == 1, f"id {element_id!r} should name one element"
    match = re.search(rf'<(\w+)\b[^>]*{attribute}[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"no element with id {element_id!r}"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(2)))).strip()


@pytest.mark.parametrize("refuse", PAGES.values(), ids=PAGES.keys())
def test_a_refused_form_ties_each_wrong_input_to_its_message(app, world, browser_for, refuse):
    response, expected = refuse(world, browser_for)
    assert response.status_code == 400, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    for pattern, message in expected:
        tag = _tag(page, pattern)
        assert 'aria-invalid="true"' in tag, tag
        described = re.search(r'aria-describedby="([^"]+)"', tag)
        assert described, tag
        said = " ".join(_text_of_id(page, element_id) for element_id in described.group(1).split())
        assert message in said, (tag, said)


def test_the_other_inputs_stay_unmarked(world, browser_for):
    """Only the inputs a message is about are marked: the note and department were fine."""
    response, _expected = _new_application(world, browser_for)
    page = response.get_data(as_text=True)
    for pattern in ('id="department"', 'id="note"', 'id="emergency_phone"'):
        assert "aria-invalid" not in _tag(page, pattern)
    assert 'aria-describedby="target-help"' in _tag(page, 'id="target"'), "the hint stays named"
