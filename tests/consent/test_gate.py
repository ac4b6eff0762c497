"""The consent gate: nothing but the consent page until every version in force is accepted."""
from __future__ import annotations

from datetime import datetime

from werkzeug.routing.converters import AnyConverter, IntegerConverter

from tests.conftest import csrf_from
from tests.consent.helpers import TERMS_1, TERMS_2, accept_everything, publish, publish_all
from webapp.clock import JST
from webapp.guard import is_public

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def _sample_value(converter):
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    if isinstance(converter, IntegerConverter):
        return 1
    return "1"


def protected_routes(app):
    """Every (url, method) a signed-in user reaches only through the consent gate."""
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if is_public(rule.endpoint) or "consent" in getattr(view, "sekisho_exempt", frozenset()):
            continue
        values = {name: _sample_value(conv) for name, conv in rule._converters.items()}
        built = rule.build(values, append_unknown=False)
        assert built is not None, f"cannot build a URL for {rule.rule}"
        for method in sorted(rule.methods - SKIPPED_METHODS):
            routes.append((built[1], method, rule.endpoint))
    return routes


def test_every_protected_route_sends_a_user_without_consent_to_the_consent_page(app, client, world, sign_in):
    publish_all()
    sign_in(client, world.grid_operator)
    csrf = csrf_from(client.get("/consent").get_data(as_text=True))
    routes = protected_routes(app)
    endpoints = {endpoint for _url, _method, endpoint in routes}
    assert {"main.dashboard", "consent.report_index", "consent.report_export"} <= endpoints
    for url, method, endpoint in routes:
        plain = client.open(url, method=method, data={"csrf_token": csrf} if method != "GET" else None)
        assert plain.status_code == 303, (endpoint, url, method, plain.status_code, plain.get_data(as_text=True)[-1500:])
        assert plain.headers["Location"] == "/consent", (endpoint, url, method)
        htmx = client.open(url, method=method, headers={"HX-Request": "true"},
                           data={"csrf_token": csrf} if method != "GET" else None)
        assert htmx.status_code == 204, (endpoint, url, method, htmx.status_code)
        assert htmx.headers["HX-Redirect"] == "/consent", (endpoint, url, method)


def test_pages_a_user_needs_before_accepting_stay_reachable(client, world, sign_in):
    publish_all()
    sign_in(client, world.grid_operator)
    for url in ("/consent", "/consent/history", "/account/password", "/logout", "/terms", "/privacy",
                "/consent-items", "/terms/compare?kind=terms"):
        assert client.get(url).status_code == 200, url


def test_fresh_install_without_documents_blocks_nothing(client, world, sign_in):
    sign_in(client, world.grid_operator)
    assert client.get("/dashboard").status_code == 200


def test_after_sign_in_the_user_lands_on_consent_and_then_where_they_were_going(client, world, sign_in):
    publish_all()
    response = sign_in(client, world.grid_operator)
    assert response.headers["Location"] == "/dashboard"
    blocked = client.get("/dashboard")
    assert blocked.headers["Location"] == "/consent"
    page = client.get("/consent").get_data(as_text=True)
    assert "本規約は、本システムの利用条件を定める。" in page
    assert "閲覧した設備情報を小売事業に利用しません。" in page  # grid operators get the retail item
    accepted = accept_everything(client)
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def signed_in_client(app, sign_in, user):
    """Time moved past the session's lifetime: a new browser, signed in again."""
    client = app.test_client()
    sign_in(client, user)
    return client


def test_a_future_version_is_announced_and_enforced_from_its_effective_date(app, client, world, sign_in, clock):
    publish("terms", "1.0", TERMS_1)
    publish("terms", "1.1", TERMS_2, effective="2025-07-01", summary="第2条に電子メールによる通知を明記")
    sign_in(client, world.city_operator)
    accept_everything(client)
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    html = dashboard.get_data(as_text=True)
    assert 'data-testid="consent-upcoming"' in html
    assert "2025-07-01" in html and "第2条に電子メールによる通知を明記" in html

    clock.set(datetime(2025, 6, 30, 23, 50, tzinfo=JST))
    client = signed_in_client(app, sign_in, world.city_operator)
    assert client.get("/dashboard").status_code == 200  # still the old version's last day
    clock.set(datetime(2025, 7, 1, 0, 0, tzinfo=JST))
    assert client.get("/dashboard").headers["Location"] == "/consent"
    page = client.get("/consent").get_data(as_text=True)
    assert "電子メールで通知して" in page and "1.1" in page
    accept_everything(client)
    assert client.get("/dashboard").status_code == 200


def test_renewal_asks_again_after_the_configured_months_without_a_new_version(make_app, clock, sign_in):
    app = make_app(PORTAL_CONSENT_RENEWAL_MONTHS=12)
    with app.app_context():
        from tests.support.world import build_world

        world = build_world()
        publish("terms", "1.0", TERMS_1)
        accept_everything(signed_in_client(app, sign_in, world.grid_operator))
        clock.advance(days=364)
        assert signed_in_client(app, sign_in, world.grid_operator).get("/dashboard").status_code == 200
        clock.advance(days=2)
        client = signed_in_client(app, sign_in, world.grid_operator)
        assert client.get("/dashboard").headers["Location"] == "/consent"
        accept_everything(client)
        assert client.get("/dashboard").status_code == 200


def test_without_renewal_an_acceptance_stays_valid(app, client, world, sign_in, clock):
    publish("terms", "1.0", TERMS_1)
    sign_in(client, world.grid_operator)
    accept_everything(client)
    clock.advance(days=800)
    assert signed_in_client(app, sign_in, world.grid_operator).get("/dashboard").status_code == 200
