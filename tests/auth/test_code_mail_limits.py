"""Someone holding the password cannot bury the owner's mailbox (and the code mail's warning)
under code mails: a password step keeps the limits a new code from the code page keeps, per
account. Whoever submitted twice, or from a second tab, goes on with the code already sent."""
from __future__ import annotations

import json

from tests.auth.steps import audit_events, flashes, login_error, resend, submit_code, submit_password
from webapp.i18n import LOCALE_COOKIE


def browser(app, address: str = "198.51.100.7"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.set_cookie(LOCALE_COOKIE, "en")
    return client


def test_right_passwords_in_a_row_mail_one_code_and_the_same_browser_goes_on_with_it(app, world, smtp, clock):
    operator = world.grid_operator
    mine = browser(app)
    answers = [submit_password(mine, operator.login_id) for _ in range(10)]
    assert {(a.status_code, a.headers.get("Location")) for a in answers} == {(303, "/login/code")}
    assert len(smtp.to(operator.email)) == 1, "one code mail for ten right passwords"
    told = flashes(mine.get("/login/code"))
    assert any("requested a moment ago" in message and "60 seconds" in message for message in told), told
    assert submit_code(mine, smtp.code_for(operator.email)).headers["Location"] == "/dashboard", \
        "the code already sent still works"


def test_other_browsers_within_a_minute_get_no_code_and_a_new_sign_in_works_a_minute_later(app, world, smtp, clock):
    operator = world.grid_operator
    first = browser(app)
    assert submit_password(first, operator.login_id).status_code == 303
    clock.advance(seconds=20)
    refused = [submit_password(browser(app, f"198.51.100.{n}"), operator.login_id) for n in range(10, 19)]
    assert {r.status_code for r in refused} == {429}
    assert refused[0].headers["Retry-After"] == "40"
    assert "another window or browser" in login_error(refused[0]) and "40 seconds" in login_error(refused[0])
    assert len(smtp.to(operator.email)) == 1
    withheld = audit_events("login.code_withheld")
    assert len(withheld) == 9 and all(e.actor_id == operator.id for e in withheld)
    assert json.loads(withheld[0].details)["reason"] == "too_soon"

    clock.advance(seconds=40)
    later = browser(app, "198.51.100.30")
    assert submit_password(later, operator.login_id).headers["Location"] == "/login/code"
    assert len(smtp.to(operator.email)) == 2
    assert submit_code(later, smtp.code_for(operator.email)).headers["Location"] == "/dashboard"


def test_an_account_gets_at_most_six_code_mails_a_quarter_hour(app, world, smtp, clock):
    """A password step a minute apart would pass the wait: the cap is the mails one sign-in may
    get (the first and PORTAL_CODE_MAX_RESENDS new ones)."""
    operator = world.grid_operator
    for n in range(6):
        assert submit_password(browser(app, f"198.51.100.{n + 1}"), operator.login_id).status_code == 303, n
        clock.advance(seconds=61)
    seventh = submit_password(browser(app, "198.51.100.9"), operator.login_id)
    assert seventh.status_code == 429
    assert "Too many one-time codes" in login_error(seventh) and "9 minutes" in login_error(seventh)
    assert len(smtp.to(operator.email)) == 6
    assert json.loads(audit_events("login.code_withheld")[-1].details)["reason"] == "too_many"

    clock.advance(minutes=9)  # the first mail is a quarter of an hour old
    again = browser(app, "198.51.100.10")
    assert submit_password(again, operator.login_id).status_code == 303
    assert submit_code(again, smtp.code_for(operator.email)).headers["Location"] == "/dashboard"


def test_new_codes_from_the_code_page_count_towards_the_same_cap(app, world, smtp, clock):
    operator = world.grid_operator
    assert submit_password(browser(app, "198.51.100.1"), operator.login_id).status_code == 303
    clock.advance(seconds=61)
    mine = browser(app, "198.51.100.2")
    assert submit_password(mine, operator.login_id).status_code == 303
    for _resend in range(5):
        clock.advance(seconds=61)
        resend(mine)
    assert len(smtp.to(operator.email)) == 6, "two sign-ins' first codes and four new ones"
    assert any("No more codes can be sent for now" in m for m in flashes(mine.get("/login/code")))
    assert submit_code(mine, smtp.code_for(operator.email)).headers["Location"] == "/dashboard"
