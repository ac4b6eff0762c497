"""A form sent after the session ended (elsewhere, or by expiry) leads to the sign-in page saying
so, as a page of an ended session does; not to the 400 of a refused CSRF token."""
from __future__ import annotations

from tests.auth.steps import audit_events, flashes, post_form
from tests.conftest import csrf_from
from webapp.i18n import LOCALE_COOKIE

ENDED = "Your session has ended. Please sign in again."


def _stale_form(browser_for, world):
    laptop = browser_for(world.grid_operator)
    token = csrf_from(laptop.get("/account/password").get_data(as_text=True))
    return laptop, token


def test_a_form_sent_after_the_others_were_ended_goes_to_sign_in(app, world, browser_for, sign_in):
    laptop, token = _stale_form(browser_for, world)
    office = app.test_client()
    office.set_cookie(LOCALE_COOKIE, "en")
    sign_in(office, world.grid_operator)  # the same person, in another browser
    post_form(office, "/account/sessions/end-others", {}, page_path="/account/sessions")
    answer = laptop.post("/account/password", data={"csrf_token": token})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    assert answer.headers["Location"].endswith("/login")
    # Ended from another browser: said so, with what to do if it was not this person
    assert "Your session was ended from another browser" in flashes(laptop.get("/login"))[0]


def test_an_htmx_form_after_the_session_ended_redirects_the_whole_page(app, world, browser_for):
    laptop, token = _stale_form(browser_for, world)
    from webapp.auth import sessions
    from webapp.extensions import db
    with app.app_context():
        sessions.end_all_sessions(world.grid_operator.id)
        db.session.commit()
    answer = laptop.post("/account/password", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert answer.status_code == 204
    assert answer.headers["HX-Redirect"].endswith("/login")
    assert ENDED in flashes(laptop.get("/login"))


def test_a_form_sent_after_the_session_expired_goes_to_sign_in(app, world, browser_for, clock):
    laptop, token = _stale_form(browser_for, world)
    clock.advance(minutes=app.config["PORTAL_SESSION_IDLE_MINUTES"] + 1)
    answer = laptop.post("/account/password", data={"csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/login")
    assert ENDED in flashes(laptop.get("/login"))


def test_a_wrong_token_in_a_live_session_is_still_refused_and_audited(app, world, browser_for):
    laptop, _token = _stale_form(browser_for, world)
    answer = laptop.post("/account/password", data={"csrf_token": "forged"})
    assert answer.status_code == 400
    assert audit_events("request.csrf_refused")
    assert laptop.get("/dashboard").status_code == 200  # still signed in


def test_a_form_without_any_session_cookie_is_still_a_plain_refusal(client, world):
    answer = client.post("/account/password", data={"csrf_token": "forged"})
    assert answer.status_code == 400
