"""An authenticator app instead of the mailed code: set up with a code from the app, used at
sign-in, each code good once; required by an organisation, or switched back by the user."""
from __future__ import annotations

import re

import pyotp

from tests.auth.steps import audit_events, is_signed_in, post_form, reload, submit_code, submit_password
from tests.conftest import TEST_PASSWORD
from webapp.extensions import db


def shown_secret(client) -> str:
    page = client.get("/account/authenticator")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    uri = re.search(r'data-testid="totp-uri">([^<]+)<', html).group(1)
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    # The QR code to scan is that very address (segno draws the same matrix for the same text).
    import html as markup

    import segno

    figure = re.search(r'<figure class="totp-qr" data-testid="totp-qr">(.*?)</figure>', html, re.S).group(1)
    drawn = re.search(r'<path class="qrline"[^>]* d="([^"]+)"', figure).group(1)
    expected = segno.make(markup.unescape(uri), error="m").svg_inline(scale=4, border=4)
    assert drawn == re.search(r' d="([^"]+)"', expected).group(1)
    return secret


def enrol(client, clock, password=TEST_PASSWORD) -> str:
    secret = shown_secret(client)
    response = post_form(client, "/account/authenticator",
                         {"code": pyotp.TOTP(secret).at(clock.now()), "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return secret


def sign_out(client):
    post_form(client, "/logout", {}, page_path="/logout")


def test_set_up_then_sign_in_with_the_app_code(client, world, sign_in, smtp, clock):
    operator = world.grid_operator
    sign_in(client, operator)
    smtp.clear()
    secret = enrol(client, clock)
    assert reload(operator).mfa_method == "totp"
    assert audit_events("account.totp_enabled")[-1].actor_id == operator.id
    assert smtp.last_to(operator.email), "the owner is told the sign-in method changed"
    sign_out(client)

    smtp.clear()
    clock.advance(seconds=30)
    assert submit_password(client, operator.login_id).headers["Location"] == "/login/code"
    page = client.get("/login/code").get_data(as_text=True)
    assert "authenticator" in page or "認証アプリ" in page
    assert not smtp.to(operator.email), "no code is mailed to an app user"
    assert submit_code(client, pyotp.TOTP(secret).at(clock.now())).headers["Location"] == "/dashboard"
    assert '"method": "totp"' in audit_events("login.succeeded")[-1].details


def test_an_app_code_is_good_once(app, client, world, sign_in, clock):
    operator = world.grid_operator
    sign_in(client, operator)
    secret = enrol(client, clock)
    sign_out(client)
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock.now())

    submit_password(client, operator.login_id)
    assert submit_code(client, code).headers["Location"] == "/dashboard"

    replayer = app.test_client()
    submit_password(replayer, operator.login_id)
    assert submit_code(replayer, code).status_code == 401, "the same code a second time"
    clock.advance(seconds=30)
    assert submit_code(replayer, pyotp.TOTP(secret).at(clock.now())).headers["Location"] == "/dashboard"


def test_the_code_typed_while_setting_up_cannot_be_replayed_at_sign_in(client, world, sign_in, clock):
    operator = world.grid_operator
    sign_in(client, operator)
    secret = enrol(client, clock)
    sign_out(client)
    submit_password(client, operator.login_id)
    assert submit_code(client, pyotp.TOTP(secret).at(clock.now())).status_code == 401


def test_set_up_needs_a_matching_code_and_the_password(client, world, sign_in, clock):
    operator = world.grid_operator
    sign_in(client, operator)
    secret = shown_secret(client)
    assert shown_secret(client) == secret, "a reload keeps the key the person may have typed already"
    other_device = pyotp.TOTP(pyotp.random_base32()).at(clock.now())
    wrong_code = post_form(client, "/account/authenticator", {"code": other_device, "password": TEST_PASSWORD})
    wrong_password = post_form(client, "/account/authenticator",
                               {"code": pyotp.TOTP(secret).at(clock.now()), "password": "not my password at all"})
    assert wrong_code.status_code == 400 and wrong_password.status_code == 400
    assert reload(operator).totp_secret is None and reload(operator).mfa_method == "email"


def test_switching_back_to_mailed_codes(client, world, sign_in, smtp, clock):
    operator = world.grid_operator
    sign_in(client, operator)
    enrol(client, clock)
    response = post_form(client, "/account/authenticator/email", {"password": TEST_PASSWORD},
                         page_path="/account/authenticator")
    assert response.status_code == 303
    assert reload(operator).totp_secret is None
    assert audit_events("account.totp_disabled")
    sign_out(client)
    smtp.clear()
    submit_password(client, operator.login_id)
    assert submit_code(client, smtp.code_for(operator.email)).headers["Location"] == "/dashboard"


def test_organisation_requiring_the_app_sends_a_user_to_set_it_up_after_the_mailed_code(client, world, sign_in,
                                                                                        clock):
    world.grid.require_totp = True
    db.session.merge(world.grid)
    db.session.commit()
    operator = world.grid_operator
    sign_in(client, operator)  # the mailed code: there is no app yet
    for page in ("/dashboard", "/account/sessions", "/account/password"):
        gated = client.get(page)
        assert gated.status_code == 303 and gated.headers["Location"] == "/account/authenticator", page
    html = client.get("/account/authenticator").get_data(as_text=True)
    assert "/account/authenticator/email" not in html, "no way back to e-mail is offered"

    secret = enrol(client, clock)
    assert client.get("/dashboard").status_code == 200
    refused = post_form(client, "/account/authenticator/email", {"password": TEST_PASSWORD},
                        page_path="/account/authenticator")
    assert refused.status_code == 400
    assert reload(operator).totp_secret == secret

    sign_out(client)
    clock.advance(seconds=30)
    submit_password(client, operator.login_id)
    assert submit_code(client, pyotp.TOTP(secret).at(clock.now())).headers["Location"] == "/dashboard"
    assert is_signed_in(client)


def test_five_wrong_app_codes_void_the_sign_in(client, world, sign_in, clock):
    operator = world.grid_operator
    sign_in(client, operator)
    secret = enrol(client, clock)
    sign_out(client)
    clock.advance(seconds=30)
    submit_password(client, operator.login_id)
    right = pyotp.TOTP(secret).at(clock.now())
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _try in range(4):
        assert submit_code(client, wrong).status_code == 401
    assert submit_code(client, wrong).headers["Location"] == "/login"
    assert client.get("/login/code").headers["Location"] == "/login"


def test_lost_device_reset_by_an_administrator_then_set_up_again(client, world, sign_in, smtp, clock):
    from webapp.audit.service import SYSTEM
    from webapp.auth import totp

    world.grid.require_totp = True
    db.session.merge(world.grid)
    db.session.commit()
    operator = world.grid_operator
    sign_in(client, operator)
    enrol(client, clock)
    sign_out(client)

    totp.reset(reload(operator), actor_id=world.sysadmin.id, origin=SYSTEM, reason="phone lost")
    db.session.commit()
    assert audit_events("account.totp_reset")[-1].actor_id == world.sysadmin.id

    smtp.clear()
    submit_password(client, operator.login_id)
    assert submit_code(client, smtp.code_for(operator.email)).headers["Location"] == "/dashboard"
    assert client.get("/dashboard").headers["Location"] == "/account/authenticator", "set up the new phone first"
