"""`next=` never leads off the site; X-Forwarded-For counts only as far as the configured
number of trusted proxies (audit IP and per-address limits)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.auth.steps import audit_events, submit_code, submit_password
from tests.conftest import TEST_PASSWORD

EVIL_TARGETS = [
    "//evil.example",
    "///evil.example",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.example",
    "/\t/evil.example",
    "%2F%2Fevil.example",
    "https:/\\evil.example",
]


def stays_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return (parts.scheme in {"", "http", "https"} and parts.netloc in {"", "localhost"}
            and location.startswith("/") and not location.startswith("//") and "\\" not in location)


def test_sign_in_never_redirects_off_site(app, world, smtp):
    for target in EVIL_TARGETS:
        client = app.test_client()
        client.get("/login", query_string={"next": target})
        submit_password(client, world.grid_operator.login_id)
        response = submit_code(client, smtp.code_for(world.grid_operator.email))
        assert response.status_code == 303
        assert stays_on_site(response.headers["Location"]), (target, response.headers["Location"])


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_language_switch_never_redirects_off_site(client, target):
    response = client.get("/lang/ja", query_string={"next": target})
    assert response.status_code in {302, 303}
    assert stays_on_site(response.headers["Location"]), response.headers["Location"]


def test_a_same_site_next_is_followed_after_sign_in(client, world, smtp):
    from urllib.parse import parse_qs

    gated = client.get("/account/sessions")
    assert parse_qs(urlsplit(gated.headers["Location"]).query) == {"next": ["/account/sessions"]}
    client.get(gated.headers["Location"])
    submit_password(client, world.grid_operator.login_id)
    assert submit_code(client, smtp.code_for(world.grid_operator.email)).headers["Location"] == "/account/sessions"


def failed_login_ip(client, login_id: str, **headers: str) -> str:
    submit_password(client, login_id, "a wrong passphrase here", **headers)
    return audit_events("login.failed")[-1].ip


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, world):
    client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    ip = failed_login_ip(client, world.grid_operator.login_id, **{"X-Forwarded-For": "203.0.113.99"})
    assert ip == "10.1.2.3"


def test_one_trusted_proxy_means_the_last_hop_is_the_client(make_app):
    app = make_app(PORTAL_TRUSTED_PROXIES=1)
    with app.app_context():
        from tests.support.world import build_world

        operator = build_world().grid_operator
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # the reverse proxy
        ip = failed_login_ip(client, operator.login_id,
                             **{"X-Forwarded-For": "192.0.2.66, 203.0.113.5"})  # forged first hop, real last
        assert ip == "203.0.113.5"


@pytest.mark.parametrize("forwarded", ["garbage<script>", "x" * 300, "203.0.113.5 OR 1=1", ""])
def test_a_forwarded_client_address_that_is_no_address_is_not_taken(make_app, forwarded):
    """Found by an operator trial: "garbage<script>" became the client's address in the audit log
    and in the sign-in mail. The proxy's own address stands instead."""
    app = make_app(PORTAL_TRUSTED_PROXIES=1)
    with app.app_context():
        from tests.support.world import build_world

        operator = build_world().grid_operator
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
        assert failed_login_ip(client, operator.login_id, **{"X-Forwarded-For": forwarded}) == "10.0.0.1"


@pytest.mark.parametrize("forwarded, client", [("203.0.113.5:51234", "203.0.113.5"), ("::ffff:203.0.113.5", "203.0.113.5"),
                                               ("[2001:db8::7]:443", "2001:db8::7"), ("2001:db8::7", "2001:db8::7")])
def test_a_forwarded_address_with_a_port_is_the_address(make_app, forwarded, client):
    """Some gateways write the client's port too; without it they all shared the proxy's address."""
    app = make_app(PORTAL_TRUSTED_PROXIES=1)
    with app.app_context():
        from tests.support.world import build_world

        operator = build_world().grid_operator
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = "10.0.0.1"
        assert failed_login_ip(browser, operator.login_id, **{"X-Forwarded-For": forwarded}) == client


def test_forged_forwarded_for_headers_do_not_evade_the_address_limit(make_app):
    app = make_app(PORTAL_IP_FAILURE_LIMIT=3)
    with app.app_context():
        from tests.support.world import build_world

        operator = build_world().grid_operator
        client = app.test_client()
        for n in range(3):
            submit_password(client, operator.login_id + "x", "spray", **{"X-Forwarded-For": f"198.51.100.{n}"})
        blocked = submit_password(client, operator.login_id, TEST_PASSWORD, **{"X-Forwarded-For": "198.51.100.200"})
        assert blocked.status_code == 429


def test_an_ipv4_client_of_a_dual_stack_server_is_its_ipv4_address(app, world, smtp):
    """A conformance review: ::ffff:203.0.113.5 matched no allowed IPv4 network (an alert at every
    sign-in) and had no country."""
    from tests.auth.steps import sign_in_with_code
    from webapp.alerts.models import Alert
    from webapp.extensions import db
    from webapp.orgs.models import Organisation

    grid = db.session.get(Organisation, world.grid.id)
    grid.allowed_networks = "203.0.113.0/24"
    db.session.commit()
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "::ffff:203.0.113.5"
    sign_in_with_code(client, smtp, world.grid_operator)
    from sqlalchemy import select

    assert db.session.scalars(select(Alert).where(Alert.kind == "login.outside_networks")).all() == []
    client.environ_base["HTTP_USER_AGENT"] = "curl/8.0"  # the cookie used by another browser
    assert client.get("/dashboard").status_code == 303
    from tests.auth.steps import audit_events

    [ended] = audit_events("session.ended")
    assert '"used_from": "203.0.113.5"' in ended.details
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "::ffff:203.0.113.6"
    assert failed_login_ip(other, world.grid_responsible.login_id) == "203.0.113.6"
