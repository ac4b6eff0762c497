"""Every POST route of the whole application, found in app.url_map so a new one cannot slip past,
refuses a missing or wrong CSRF token, from a form or from htmx, and changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from tests.conftest import csrf_from
from webapp.audit.models import AuditEvent
from webapp.extensions import db

CSRF_MESSAGE = ("The form has expired", "フォームの有効期限")


def post_urls(app) -> list[str]:
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()):
            continue
        values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "1"
                  for arg in rule.arguments}
        urls.append(adapter.build(rule.endpoint, values, method="POST"))
    return sorted(set(urls))


def audit_count(refusals: bool = False) -> int:
    """Entries other than the refusals' own (or only those)."""
    kind = AuditEvent.kind == "request.csrf_refused"
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(kind if refusals else ~kind)) or 0


def refused(response) -> bool:
    html = response.get_data(as_text=True)
    return response.status_code == 400 and any(m in html for m in CSRF_MESSAGE)


def test_every_post_route_refuses_a_missing_or_wrong_token(app, client, world, sign_in):
    urls = post_urls(app)
    assert {"/login", "/login/code", "/logout", "/account/password", "/account/sessions/end-others"} <= set(urls)
    sign_in(client, world.sysadmin)
    good = csrf_from(client.get("/dashboard").get_data(as_text=True))
    before = audit_count()
    failures = []
    for url in urls:
        attempts = {
            "no token": client.post(url, data={"kind": "add"}),
            "wrong token": client.post(url, data={"csrf_token": good[:-4] + "AAAA"}),
            "another session's token": client.post(url, data={"csrf_token": _foreign_token(app)}),
            "htmx, no header": client.post(url, headers={"HX-Request": "true"}),
            "htmx, wrong header": client.post(url, headers={"HX-Request": "true", "X-CSRFToken": "forged.token"}),
        }
        failures += [f"{url}: {how} -> {r.status_code}" for how, r in attempts.items() if not refused(r)]
    assert not failures, "\n".join(failures)
    assert audit_count() == before, "a refused request changed something"
    assert audit_count(refusals=True) == 5 * len(urls), "each refusal of a signed-in browser is audited"
    assert client.get("/dashboard").status_code == 200, "still signed in: the refusals did nothing"


def _foreign_token(app) -> str:
    other = app.test_client()
    return csrf_from(other.get("/login").get_data(as_text=True))


def test_htmx_with_the_right_header_token_is_accepted(app, client, world, sign_in):
    """The positive control: the header htmx sends (from <body hx-headers>) works."""
    import re

    sign_in(client, world.grid_operator)
    sign_in(app.test_client(), world.grid_operator)
    page = client.get("/account/sessions").get_data(as_text=True)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    response = client.post("/account/sessions/end-others",
                           headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/account/sessions"


def test_csrf_refusal_for_htmx_is_a_fragment(client):
    response = client.post("/login", headers={"HX-Request": "true"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<html" not in html and any(m in html for m in CSRF_MESSAGE)


def test_a_head_request_changes_nothing_where_a_post_would(app, client, world, sign_in):
    """CSRF protection checks POSTs; a HEAD (which Flask answers with the GET view) must not run a
    form's action without it: signing out, consenting."""
    from tests.consent.helpers import acceptance_count, form_values, publish_all

    publish_all()
    sign_in(client, world.grid_operator)
    versions, items = form_values(client.get("/consent").get_data(as_text=True))
    client.open("/consent", method="HEAD", data={"version": versions, "item": items})
    assert acceptance_count() == 0
    client.open("/logout", method="HEAD")
    assert client.get("/consent").status_code == 200  # still signed in: the consent page, not the login


def test_a_page_refused_to_a_role_is_audited(client, world, sign_in):
    """A conformance review (ASVS V7): an operator opening the audit log or the user list left no trace."""
    from sqlalchemy import select as select_

    sign_in(client, world.grid_operator)
    for path in ("/admin/audit", "/users"):
        assert client.get(path).status_code == 403
    entries = db.session.scalars(select_(AuditEvent).where(AuditEvent.kind == "access.denied")).all()
    assert [(e.actor_id, e.target, e.organisation_id) for e in entries] == [
        (world.grid_operator.id, "/admin/audit", world.grid.id), (world.grid_operator.id, "/users", world.grid.id)]
