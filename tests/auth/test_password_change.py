"""Changing one's own password: the current one first, no reuse of the last five, the other
sessions ended on request; and the operator's optional maximum age."""
from __future__ import annotations

from tests.auth.steps import audit_events, flashes, is_signed_in, post_form, reload
from tests.conftest import TEST_PASSWORD

NEW = ["夕焼け小焼けの赤とんぼ 第%d番" % n for n in range(1, 8)]


def change(client, current, new, confirm=None, end_others=True):
    data = {"current_password": current, "password": new, "password_confirm": confirm or new}
    if end_others:
        data["end_other_sessions"] = "y"
    return post_form(client, "/account/password", data)


def test_change_needs_the_current_password(client, world, sign_in, smtp):
    sign_in(client, world.grid_operator)
    before = reload(world.grid_operator).password_hash
    refused = change(client, "not my password at all!!", NEW[0])
    assert refused.status_code == 400
    assert "current password" in refused.get_data(as_text=True) or "現在のパスワード" in refused.get_data(as_text=True)
    assert reload(world.grid_operator).password_hash == before
    # The message is tied to the field it is about, and read before it (found by a UI review).
    page = refused.get_data(as_text=True)
    assert page.index('id="password-errors"') < page.index('id="current_password"')
    current = page[page.index('id="current_password"'):].split(">", 1)[0]
    assert 'aria-describedby="password-errors"' in current and 'aria-invalid="true"' in current

    smtp.clear()
    done = change(client, TEST_PASSWORD, NEW[0])
    assert done.status_code == 303
    assert reload(world.grid_operator).password_hash != before
    assert audit_events("account.password_changed")[-1].actor_id == world.grid_operator.id
    assert "127.0.0.1" in smtp.last_to(world.grid_operator.email).text, "the owner is told by mail"


def test_a_keyboard_walk_or_the_service_name_is_refused_with_its_reason(client, world, sign_in):
    """A security review: '1q2w3e4r5t6y7u8i' and 'sekisho-password' were accepted as new passwords."""
    sign_in(client, world.grid_operator)
    before = reload(world.grid_operator).password_hash
    walk = change(client, TEST_PASSWORD, "1q2w3e4r5t6y7u8i")
    assert walk.status_code == 400
    assert ("キーボード上で隣り合うキーを順に押しただけのもの（qwerty や 1q2w3e など）は、真っ先に推測されるため"
            "使えません。") in walk.get_data(as_text=True)
    named = change(client, TEST_PASSWORD, "sekisho-password")
    assert named.status_code == 400
    assert "パスワードにこのサービスの名前（関所・Sekisho）を含めることはできません。" in named.get_data(as_text=True)
    assert reload(world.grid_operator).password_hash == before


def test_change_offers_to_end_the_other_sessions(app, world, sign_in):
    here, elsewhere, kept = app.test_client(), app.test_client(), app.test_client()
    sign_in(here, world.grid_operator)
    sign_in(elsewhere, world.grid_operator)
    form = here.get("/account/password").get_data(as_text=True)
    assert 'name="end_other_sessions"' in form
    change(here, TEST_PASSWORD, NEW[0], end_others=True)
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)

    sign_in(kept, world.grid_operator, NEW[0])
    change(here, NEW[0], NEW[1], end_others=False)
    assert is_signed_in(kept), "left alone when the box is unticked"


def test_none_of_the_last_five_passwords_may_come_back(client, world, sign_in):
    sign_in(client, world.grid_operator)
    current = TEST_PASSWORD
    for new in NEW[:4]:
        assert change(client, current, new, end_others=False).status_code == 303
        current = new
    # History now: TEST_PASSWORD, NEW[0..3] (five). Each of them is refused.
    for old in [TEST_PASSWORD, *NEW[:3]]:
        refused = change(client, current, old, end_others=False)
        assert refused.status_code == 400, old
        assert "recently" in refused.get_data(as_text=True) or "最近" in refused.get_data(as_text=True)
    assert change(client, current, NEW[4], end_others=False).status_code == 303
    # TEST_PASSWORD is now the sixth back: allowed again.
    assert change(client, NEW[4], TEST_PASSWORD, end_others=False).status_code == 303


def test_wrong_current_passwords_count_towards_the_lockout(client, world, sign_in):
    sign_in(client, world.grid_operator)
    for _try in range(5):
        change(client, "guessing the password again", NEW[0])
    assert reload(world.grid_operator).locked_at is not None
    refused = change(client, TEST_PASSWORD, NEW[0])
    assert refused.status_code == 400
    assert reload(world.grid_operator).password_hash is not None


def test_old_password_is_sent_to_change_it_when_the_operator_sets_a_maximum_age(make_app, smtp, clock, sign_in):
    app = make_app(PORTAL_PASSWORD_MAX_AGE_DAYS=90)
    with app.app_context():
        from tests.support.world import build_world

        world = build_world()
        client = app.test_client()
        sign_in(client, world.grid_operator)
        assert client.get("/dashboard").status_code == 200

        clock.advance(days=90)
        sign_in(client := app.test_client(), world.grid_operator)
        gated = client.get("/dashboard")
        assert gated.status_code == 303 and gated.headers["Location"] == "/account/password"
        page = client.get("/account/password")
        assert page.status_code == 200
        assert any("90" in message for message in flashes(page))
        # Other pages wait too, but signing out does not.
        assert client.get("/account/sessions").headers["Location"] == "/account/password"

        assert change(client, TEST_PASSWORD, NEW[0]).status_code == 303
        assert client.get("/dashboard").status_code == 200


def test_no_maximum_age_by_default(client, world, sign_in, clock):
    clock.advance(days=3650)
    sign_in(client, world.grid_operator)
    assert client.get("/dashboard").status_code == 200


def _try_the_code(intruder, code: str) -> None:
    """The code page is gone (back to the sign-in), and a code sent anyway signs nobody in."""
    from tests.conftest import csrf_from

    page = intruder.get("/login/code")
    assert page.status_code == 303 and page.headers["Location"].startswith("/login")
    token = csrf_from(intruder.get("/login").get_data(as_text=True))
    sent = intruder.post("/login/code", data={"code": code, "csrf_token": token})
    assert sent.status_code == 303 and sent.headers["Location"] == "/login"
    assert not is_signed_in(intruder)


def test_a_sign_in_waiting_for_its_code_stops_when_the_password_changes(app, world, sign_in, smtp, clock):
    """The code mail tells the owner to change the password if the sign-in was not theirs: the
    one who entered the old password must not finish with the mailed code after that."""
    from tests.auth.steps import submit_password

    intruder = app.test_client()
    assert submit_password(intruder, world.grid_operator.login_id).status_code == 303
    code = smtp.code_for(world.grid_operator.email)
    clock.advance(seconds=61)  # sooner, the owner's password step would be told a code was just sent
    owner = app.test_client()
    sign_in(owner, world.grid_operator)
    assert change(owner, TEST_PASSWORD, NEW[0], end_others=False).status_code == 303
    _try_the_code(intruder, code)


def test_ending_the_other_sessions_also_stops_a_sign_in_waiting_for_its_code(app, world, sign_in, smtp, clock):
    from tests.auth.steps import submit_password

    intruder = app.test_client()
    assert submit_password(intruder, world.grid_operator.login_id).status_code == 303
    code = smtp.code_for(world.grid_operator.email)
    clock.advance(seconds=61)  # sooner, the owner's password step would be told a code was just sent
    owner = app.test_client()
    sign_in(owner, world.grid_operator)
    assert post_form(owner, "/account/sessions/end-others", {}, page_path="/account/sessions").status_code in (200, 303)
    _try_the_code(intruder, code)


def test_the_form_sent_twice_at_once_changes_the_password_once_and_counts_no_failure(app, world, browser_for):
    from tests.applications.steps import user
    from tests.auth.steps import audit_events
    from tests.conftest import csrf_from
    from tests.support.races import at_once, same_browser

    first = browser_for(world.grid_operator)
    data = {"current_password": TEST_PASSWORD, "password": "a brand new passphrase 2025 x",
            "password_confirm": "a brand new passphrase 2025 x",
            "csrf_token": csrf_from(first.get("/account/password").get_data(as_text=True))}
    second = same_browser(app, first)
    answers = at_once(lambda: first.post("/account/password", data=data),
                      lambda: second.post("/account/password", data=data))
    assert [answer.status_code for answer in answers] == [303, 303]
    assert len(audit_events("account.password_changed")) == 1
    assert not audit_events("account.reauthentication_failed")
    assert user(world.grid_operator.login_id).failed_logins == 0


def test_a_wrong_current_password_still_counts_right_after_a_change(client, world, sign_in, clock):
    """The shortcut for a form sent twice needs the new password to be the one in force."""
    from tests.applications.steps import user

    sign_in(client, world.grid_operator)
    assert change(client, current=TEST_PASSWORD, new=NEW[0]).status_code == 303
    clock.advance(seconds=10)
    refused = change(client, current="not the password at all", new="another guess at it 2025")
    assert refused.status_code == 400
    assert user(world.grid_operator.login_id).failed_logins == 1


def test_sent_again_to_end_the_other_sessions_it_ends_them(app, world, sign_in, clock):
    """Changed without ending the other sessions, then back to tick the box and send the same new
    password: the other sessions end (the password is not set twice)."""
    from tests.auth.steps import audit_events

    mine, other = app.test_client(), app.test_client()
    sign_in(mine, world.grid_operator)
    sign_in(other, world.grid_operator)
    assert change(mine, current=TEST_PASSWORD, new=NEW[0], end_others=False).status_code == 303
    assert is_signed_in(other)
    clock.advance(seconds=20)
    assert change(mine, current=TEST_PASSWORD, new=NEW[0], end_others=True).status_code == 303
    assert not is_signed_in(other) and is_signed_in(mine)
    assert len(audit_events("account.password_changed")) == 1
    assert audit_events("session.ended_others")


def test_a_copied_cookie_is_signed_out_by_the_password_change(app, client, world, sign_in):
    """An attacker's review: a stolen copy of the cookie (same browser) shares the session's id,
    which "sign out my other sessions" spared, so the copy outlived the victim's new password."""
    from tests.auth.steps import copy_session_cookie

    sign_in(client, world.grid_operator)
    thief = app.test_client()
    copy_session_cookie(client, thief)
    assert is_signed_in(thief), "the copy works while the session lives"
    assert change(client, TEST_PASSWORD, NEW[0], end_others=True).status_code == 303
    assert is_signed_in(client), "the person who changed it stays signed in"
    assert not is_signed_in(thief)


def test_the_end_the_others_box_keeps_what_was_chosen_when_the_form_comes_back(client, world, sign_in):
    sign_in(client, world.grid_operator)
    assert 'name="end_other_sessions" value="y" checked' in client.get("/account/password").get_data(as_text=True)
    refused = change(client, TEST_PASSWORD, "short", end_others=False)
    assert refused.status_code == 400
    assert 'name="end_other_sessions" value="y">' in refused.get_data(as_text=True), "unticked stays unticked"
    again = change(client, TEST_PASSWORD, "short", end_others=True)
    assert 'name="end_other_sessions" value="y" checked' in again.get_data(as_text=True)
