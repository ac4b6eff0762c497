"""A company sends all its staff out through one NAT address: twenty typos, or one hostile
machine inside, close that address for ten minutes (PORTAL_IP_FAILURE_LIMIT). A browser that
signed in before carries a device cookie, and that account's sign-in from it still gets through;
nothing else does (OWASP's device cookies)."""
from __future__ import annotations

from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from tests.auth.steps import audit_events, post_form, reload, sign_in_with_code, submit_password
from tests.conftest import TEST_PASSWORD
from webapp.auth.models import RateEvent
from webapp.extensions import db

NAT = "203.0.113.50"
DEVICE_COOKIE = "sekisho_device"


def from_the_office(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = NAT
    return client


def signed_in_before_and_out_again(app, smtp, user):
    """A browser of the office in which the person signed in once (and signed out)."""
    browser = from_the_office(app)
    assert sign_in_with_code(browser, smtp, user).headers["Location"] == "/dashboard"
    assert post_form(browser, "/logout", {}, page_path="/logout").status_code == 303
    assert browser.get_cookie(DEVICE_COOKIE) is not None, "the device cookie outlives the session"
    return browser


def close_the_office_address(app):
    """Twenty failed sign-ins from the shared address (a hostile machine, or typos)."""
    machine = from_the_office(app)
    for n in range(20):
        assert submit_password(machine, f"u000000{n % 10}", "not anybody's passphrase").status_code == 401
    assert submit_password(machine, "u0000000", "not anybody's passphrase").status_code == 429


def counted_for_the_office() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(RateEvent).where(RateEvent.key.endswith(NAT)))


def test_a_person_who_signed_in_before_signs_in_while_the_shared_address_is_closed(app, world, smtp, clock):
    operator = world.grid_operator
    browser = signed_in_before_and_out_again(app, smtp, operator)
    clock.advance(minutes=1)
    close_the_office_address(app)

    # A typo of theirs is answered as ever, and counts for the address.
    before = counted_for_the_office()
    assert submit_password(browser, operator.login_id, "a typo of the right passphrase").status_code == 401
    assert counted_for_the_office() == before + 1
    smtp.clear()
    assert sign_in_with_code(browser, smtp, operator).headers["Location"] == "/dashboard"
    assert browser.get("/dashboard").status_code == 200
    passed = audit_events("login.limit_passed_by_device")
    assert passed and passed[-1].actor_id == operator.id and passed[-1].ip == NAT


def test_a_browser_without_the_cookie_is_still_refused(app, world, smtp, clock):
    operator = world.grid_operator
    browser = signed_in_before_and_out_again(app, smtp, operator)
    clock.advance(minutes=1)
    close_the_office_address(app)
    smtp.clear()
    refused = submit_password(from_the_office(app), operator.login_id, TEST_PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert not smtp.to(operator.email)
    assert submit_password(browser, operator.login_id, TEST_PASSWORD).status_code == 303, "the one with it passes"


def test_the_cookie_of_one_account_does_not_open_the_address_for_another(app, world, smtp, clock):
    browser = signed_in_before_and_out_again(app, smtp, world.grid_operator)
    clock.advance(minutes=1)
    close_the_office_address(app)
    assert submit_password(browser, world.grid_operator2.login_id, TEST_PASSWORD).status_code == 429
    assert submit_password(browser, world.grid_operator.login_id, TEST_PASSWORD).status_code == 303


def test_a_forged_altered_or_old_cookie_opens_nothing(app, world, smtp, clock):
    operator = world.grid_operator
    browser = signed_in_before_and_out_again(app, smtp, operator)
    real = browser.get_cookie(DEVICE_COOKIE).value
    close_the_office_address(app)

    payload, signature = real.rsplit(".", 1)
    altered = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    forged = URLSafeSerializer("a guessed secret key", salt="sekisho.device").dumps(
        {"u": operator.id, "n": "x", "t": int(clock.now().timestamp())})
    for value in (altered, forged, "garbage", "x" * 300):
        browser.set_cookie(DEVICE_COOKIE, value)
        assert submit_password(browser, operator.login_id, TEST_PASSWORD).status_code == 429, value[:40]
    assert not audit_events("login.limit_passed_by_device")

    browser.set_cookie(DEVICE_COOKIE, real)
    clock.advance(minutes=1)
    assert submit_password(browser, operator.login_id, TEST_PASSWORD).status_code == 303, "the real one passes"
    clock.advance(days=181)  # ... for 180 days
    close_the_office_address(app)
    assert submit_password(browser, operator.login_id, TEST_PASSWORD).status_code == 429


def test_the_cookie_of_a_suspended_account_opens_nothing(app, world, smtp, clock):
    operator = world.grid_operator
    browser = signed_in_before_and_out_again(app, smtp, operator)
    close_the_office_address(app)
    reload(operator).status = "suspended"
    db.session.commit()
    assert submit_password(browser, operator.login_id, TEST_PASSWORD).status_code == 429
    reload(operator).status = "active"  # resumed
    db.session.commit()
    clock.advance(minutes=1)
    assert submit_password(browser, operator.login_id, TEST_PASSWORD).status_code == 303


def test_production_cookie_is_host_prefixed_secure_and_kept_180_days(make_app, smtp):
    app = make_app(PORTAL_ENV="production")
    with app.app_context():
        from tests.auth.steps import submit_code
        from tests.support.world import build_world

        operator = build_world().grid_operator
        client = app.test_client()
        client.environ_base["HTTP_REFERER"] = "https://localhost/login"
        assert submit_password(client, operator.login_id).status_code == 303
        signed_in = submit_code(client, smtp.code_for(operator.email))
        cookie = next(c for c in signed_in.headers.getlist("Set-Cookie") if c.startswith("__Host-sekisho-device="))
        attributes = [a.strip() for a in cookie.split(";")[1:]]
        assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax", f"Max-Age={180 * 86400}"} <= set(attributes)
        assert not any(a.startswith("Domain=") for a in attributes)
