"""Every route × every role × own/other organisation, generated from the URL map.

A new route of this feature without an entry in EXPECTED fails the test, so
nothing slips past the table; every other route of the portal is checked for
"refused when signed out" and "never a server error" for every role.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.applications import steps
from webapp.applications import drafts, service
from webapp.audit.service import SYSTEM
from webapp.extensions import db

ROLES = ("operator", "org_admin", "responsible", "sysadmin")
ALL_READERS = {"org_admin", "responsible", "sysadmin"}
SYS = {"sysadmin"}

# (endpoint, method) -> (roles allowed on their own organisation's object, roles allowed on another's)
EXPECTED: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("applications.index", "GET"): (ALL_READERS, ALL_READERS),
    ("applications.new", "GET"): ({"org_admin"}, {"org_admin"}),
    ("applications.new", "POST"): ({"org_admin"}, {"org_admin"}),
    ("applications.show", "GET"): (ALL_READERS, SYS),
    ("applications.show", "POST"): ({"responsible", "sysadmin"}, SYS),
    ("applications.withdraw", "POST"): ({"org_admin"}, set()),
    ("applications.edit", "GET"): ({"org_admin"}, set()),
    ("applications.edit", "POST"): ({"org_admin"}, set()),
    ("orgs.users", "GET"): (ALL_READERS, ALL_READERS),
    ("orgs.user", "GET"): (ALL_READERS, SYS),
    ("orgs.suspend_user", "POST"): ({"responsible", "sysadmin"}, SYS),
    ("orgs.unlock_user", "POST"): (SYS, SYS),
    ("orgs.resume_user", "POST"): (SYS, SYS),
    ("orgs.send_link", "POST"): (SYS, SYS),
    ("orgs.hours_exemption", "POST"): (SYS, SYS),
    ("orgs.organisations", "GET"): (SYS, SYS),
    ("orgs.onboard", "GET"): (SYS, SYS),
    ("orgs.onboard", "POST"): (SYS, SYS),
    ("orgs.organisation", "GET"): (SYS, SYS),
    ("orgs.edit_organisation", "GET"): (SYS, SYS),
    ("orgs.edit_organisation", "POST"): (SYS, SYS),
    ("orgs.organisation_status", "POST"): (SYS, SYS),
}
# Bodies that pass authorisation but change nothing (each is refused for a missing or wrong value).
HARMLESS_BODIES = {
    "applications.new": {"kind": "add"},
    "applications.show": {"decision": "return", "reason": ""},
    "applications.edit": {"name": "", "email": "not-an-address"},
    "orgs.suspend_user": {"reason": ""},
    "orgs.resume_user": {"reason": ""},
    "orgs.hours_exemption": {"reason": ""},
    "orgs.onboard": {"name": ""},
    "orgs.edit_organisation": {"name": ""},
    "orgs.organisation_status": {"action": "nothing"},
}


@dataclass
class Objects:
    """URL arguments per organisation: 'own' is the grid operator's, 'other' the city's."""

    own: dict[str, Any]
    other: dict[str, Any]


def _application(applicant: Any, state: str, **fields: Any) -> int:
    application = service.submit(applicant, drafts.Draft(**fields), SYSTEM)
    if state != "submitted":
        from webapp.applications.models import Application

        db.session.get(Application, application.id).state = state
        db.session.commit()
    return application.id


def build_objects(world: Any) -> dict[str, Objects]:
    """Per endpoint, which object its URL names (a submitted, returned or decided application...)."""
    add = {"kind": "add", "name": "行列 太郎", "roles": ["operator"], "natural_person": True}
    ids = {}
    for side, admin in (("own", world.grid_admin), ("other", world.city_admin)):
        ids[side] = {
            "submitted": _application(admin, "submitted", email=f"{side}-s@test.example", **add),
            "returned": _application(admin, "returned", email=f"{side}-r@test.example", **add),
            "approved": _application(admin, "approved", email=f"{side}-a@test.example", **add),
        }
    users = {"own": world.grid_operator.login_id, "other": world.city_operator.login_id}
    orgs = {"own": world.grid.id, "other": world.city.id}
    db.session.close()

    def per(key: str, picker: Any) -> Objects:
        return Objects({key: picker("own")}, {key: picker("other")})

    return {
        "applications.show": per("application_id", lambda s: ids[s]["submitted"]),
        "applications.withdraw": per("application_id", lambda s: ids[s]["approved"]),
        "applications.edit": per("application_id", lambda s: ids[s]["returned"]),
        "orgs.user": per("login_id", users.get),
        "orgs.suspend_user": per("login_id", users.get),
        "orgs.unlock_user": per("login_id", users.get),
        "orgs.resume_user": per("login_id", users.get),
        "orgs.send_link": per("login_id", users.get),
        "orgs.hours_exemption": per("login_id", users.get),
        "orgs.organisation": per("organisation_id", orgs.get),
        "orgs.edit_organisation": per("organisation_id", orgs.get),
        "orgs.organisation_status": per("organisation_id", orgs.get),
    }


def my_rules(app: Any) -> list[tuple[str, str, Any]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in {"applications", "orgs"}:
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                found.append((rule.endpoint, method, rule))
    return found


def people(world: Any) -> dict[str, Any]:
    return {"operator": world.grid_operator, "org_admin": world.grid_admin,
            "responsible": world.grid_responsible, "sysadmin": world.sysadmin}


def test_every_route_of_the_feature_has_an_expectation(app):
    assert {(e, m) for e, m, _r in my_rules(app)} == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(app, world, browser_for, role):
    objects = build_objects(world)
    client = browser_for(people(world)[role])
    csrf = steps.token(client)
    failures = []
    for endpoint, method, rule in my_rules(app):
        own_roles, other_roles = EXPECTED[(endpoint, method)]
        for side in ("own", "other"):
            args = getattr(objects[endpoint], side) if endpoint in objects else {}
            url = rule.build(args, append_unknown=False)[1]
            allowed = role in (own_roles if side == "own" else other_roles)
            for htmx in (False, True):
                headers = {"HX-Request": "true"} if htmx else {}
                if method == "GET":
                    response = client.get(url, headers=headers)
                else:
                    response = client.post(url, data={"csrf_token": csrf, **HARMLESS_BODIES.get(endpoint, {})},
                                           headers=headers)
                refused = response.status_code in {403, 404}
                if response.status_code >= 500 or allowed == refused:
                    failures.append(f"{role} {method} {url} ({side}, htmx={htmx}): {response.status_code}")
                # Another organisation's object does not exist for those who may use the route at all.
                if side == "other" and role in own_roles and not allowed and response.status_code != 404:
                    failures.append(f"{role} {method} {url}: other organisation answered {response.status_code}, not 404")
    assert not failures, "\n".join(failures)
    # The harmless bodies really changed nothing.
    assert steps.application(objects["applications.show"].own["application_id"]).state == "submitted"
    assert steps.user(world.grid_operator.login_id).status == "active"


def _dummy(rule: Any) -> dict[str, Any]:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        values[name] = 999_999 if "Integer" in converter else "zz-unknown"
    return values


def every_get_rule(app: Any) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if "GET" in (r.methods or set()) and r.endpoint != "static"]


def test_every_route_of_the_portal_refuses_anonymous_visitors_unless_public(app, client):
    from webapp.guard import is_public

    failures = []
    with app.test_request_context():
        for rule in every_get_rule(app):
            public = is_public(rule.endpoint)
            url = rule.build(_dummy(rule), append_unknown=False)[1]
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{url}: {response.status_code}")
            elif not public and not (response.status_code in {302, 303} and "/login" in response.headers["Location"]):
                failures.append(f"{url}: anonymous got {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_no_route_of_the_portal_fails_for_any_role(app, world, browser_for, role):
    client = browser_for(people(world)[role])
    failures = []
    for rule in every_get_rule(app):
        if rule.endpoint in {"auth.logout"} or re.search(r"logout|export", rule.rule):
            continue  # logout would end the session the loop needs; exports are tested by their feature
        url = rule.build(_dummy(rule), append_unknown=False)[1]
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"{role} GET {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
