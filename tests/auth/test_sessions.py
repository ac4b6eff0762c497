"""Sessions live on the server: a new ID at each step, idle and absolute limits, and every way
of ending them leaves a copied cookie dead."""
from __future__ import annotations

from tests.auth.steps import (audit_events, copy_session_cookie, flashes, is_signed_in, post_form, reload,
                              session_cookie, sign_in_with_code, submit_code, submit_password)
from webapp.auth.sessions import end_all_sessions
from webapp.extensions import db


def test_session_id_changes_after_password_and_after_code(client, world, smtp):
    client.get("/login")
    anonymous = session_cookie(client)
    assert anonymous
    submit_password(client, world.grid_operator.login_id)
    after_password = session_cookie(client)
    submit_code(client, smtp.code_for(world.grid_operator.email))
    after_code = session_cookie(client)
    assert len({anonymous, after_password, after_code}) == 3


def test_a_session_planted_before_sign_in_is_useless_afterwards(app, world, smtp):
    victim, attacker = app.test_client(), app.test_client()
    attacker.get("/login")
    copy_session_cookie(attacker, victim)  # fixation: the victim uses the attacker's session ID
    sign_in_with_code(victim, smtp, world.grid_operator)
    assert is_signed_in(victim)
    assert not is_signed_in(attacker)


def test_idle_for_thirty_minutes_ends_the_session(client, world, smtp, clock, sign_in):
    sign_in(client, world.grid_operator)
    clock.advance(minutes=29)
    assert is_signed_in(client)
    clock.advance(minutes=30)
    response = client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")
    login = client.get(response.headers["Location"])
    assert flashes(login), "the person is told the session ended"
    assert audit_events("session.expired")[-1].details == '{"reason": "idle"}'


def test_twelve_hours_end_even_an_active_session(client, world, clock, sign_in):
    sign_in(client, world.grid_operator)
    for _step in range(35):  # busy all day: a request every 20 minutes (11 h 40 min)
        clock.advance(minutes=20)
        assert is_signed_in(client)
    clock.advance(minutes=20)  # 12 h after sign-in
    assert not is_signed_in(client)
    assert audit_events("session.expired")[-1].details == '{"reason": "absolute"}'


def test_logout_ends_the_session_and_a_copied_cookie_is_dead(app, client, world, sign_in):
    sign_in(client, world.grid_operator)
    thief = app.test_client()
    copy_session_cookie(client, thief)
    assert is_signed_in(thief), "the copy works while the session lives"

    response = post_form(client, "/logout", {}, page_path="/logout")
    assert response.headers["Location"] == "/login"
    assert not is_signed_in(client)
    assert not is_signed_in(thief)
    logout = audit_events("logout")
    assert len(logout) == 1 and logout[0].actor_id == world.grid_operator.id


def test_logout_needs_a_post_with_the_form_token(client, world, sign_in):
    sign_in(client, world.grid_operator)
    assert client.get("/logout").status_code == 200, "GET only shows the confirmation"
    assert is_signed_in(client)
    assert client.post("/logout").status_code == 400
    assert is_signed_in(client)


def test_suspension_ending_all_sessions_kills_an_open_session(app, world, sign_in):
    first, second = app.test_client(), app.test_client()
    sign_in(first, world.grid_operator)
    sign_in(second, world.grid_operator)
    reload(world.grid_operator).status = "suspended"
    assert end_all_sessions(world.grid_operator.id) == 2
    db.session.commit()
    assert not is_signed_in(first)
    assert not is_signed_in(second)


def test_suspended_user_is_out_on_the_next_request_even_if_nobody_ended_the_sessions(client, world, sign_in):
    sign_in(client, world.grid_operator)
    reload(world.grid_operator).status = "suspended"
    db.session.commit()
    assert not is_signed_in(client)
    # Resuming the account does not bring the old session back.
    reload(world.grid_operator).status = "active"
    db.session.commit()
    assert not is_signed_in(client)
    assert audit_events("session.ended")[-1].actor_id == world.grid_operator.id


def test_suspending_the_organisation_ends_its_users_sessions(app, world, sign_in):
    city, grid = app.test_client(), app.test_client()
    sign_in(city, world.city_operator)
    sign_in(grid, world.grid_operator)
    world.city.status = "suspended"
    db.session.merge(world.city)
    db.session.commit()
    assert not is_signed_in(city)
    assert is_signed_in(grid), "another organisation is not affected"


def test_my_sessions_lists_both_and_ends_the_other(app, world, sign_in):
    office, laptop = app.test_client(), app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = "LaptopBrowser/1.0"
    sign_in(office, world.grid_operator)
    sign_in(laptop, world.grid_operator)

    page = office.get("/account/sessions").get_data(as_text=True)
    assert page.count('data-testid="session-row"') == 2
    assert 'title="LaptopBrowser/1.0">LaptopBrowser/1.0<' in page  # unknown: shown as it came

    response = post_form(office, "/account/sessions/end-others", {}, page_path="/account/sessions")
    assert response.headers["Location"] == "/account/sessions"
    after = office.get("/account/sessions")
    assert after.get_data(as_text=True).count('data-testid="session-row"') == 1
    assert "他のセッション1件を終了しました。" in flashes(after)  # this client reads Japanese
    assert is_signed_in(office)
    assert not is_signed_in(laptop)
    office.set_cookie("sekisho_lang", "en")
    sign_in(laptop, world.grid_operator)
    post_form(office, "/account/sessions/end-others", {}, page_path="/account/sessions")
    assert "1 other session was ended." in flashes(office.get("/account/sessions"))


def _office_laptop_and_the_laptops_end_button(app, world, sign_in):
    """One person signed in twice; the office's page offers to end the laptop's session."""
    import re

    office, laptop = app.test_client(), app.test_client()
    sign_in(office, world.grid_operator)
    sign_in(laptop, world.grid_operator)
    page = office.get("/account/sessions").get_data(as_text=True)
    (action,) = re.findall(r'action="(/account/sessions/[0-9a-f]{64}/end)"', page)
    return office, laptop, action


def test_ending_one_session_by_its_button(app, world, sign_in):
    office, laptop, action = _office_laptop_and_the_laptops_end_button(app, world, sign_in)
    post_form(office, action, {}, page_path="/account/sessions")
    assert is_signed_in(office) and not is_signed_in(laptop)


def test_cannot_end_a_session_of_another_user(app, world, sign_in):
    import re

    mine, theirs = app.test_client(), app.test_client()
    sign_in(theirs, world.grid_operator2)
    sign_in(mine, world.grid_operator)
    sign_in(app.test_client(), world.grid_operator2)
    their_page = theirs.get("/account/sessions").get_data(as_text=True)
    (their_other,) = re.findall(r'action="(/account/sessions/[0-9a-f]{64}/end)"', their_page)
    answer = post_form(mine, their_other, {}, page_path="/account/sessions")
    assert is_signed_in(theirs)
    assert len(audit_events("session.ended")) == 0
    # Naming another person's live session is a probe, on the record under the prober's name.
    [probe] = audit_events("access.object_refused")
    assert probe.actor_id == world.grid_operator.id and probe.target == their_other
    assert flashes(mine.get(answer.headers["Location"])) == ["そのセッションはすでに終了しています。"]


def test_ending_a_session_that_has_just_ended_says_so_and_is_no_probe(app, world, sign_in):
    office, _laptop, action = _office_laptop_and_the_laptops_end_button(app, world, sign_in)
    post_form(office, action, {}, page_path="/account/sessions")
    again = post_form(office, action, {}, page_path="/account/sessions")  # a second click, a second tab
    assert flashes(office.get(again.headers["Location"])) == ["そのセッションはすでに終了しています。"]
    assert audit_events("access.object_refused") == [] and len(audit_events("session.ended")) == 1


def test_the_id_used_before_the_password_no_longer_reaches_the_pending_sign_in(app, client, world, smtp):
    """The row moves to the new ID in the password step's transaction: whoever kept the old
    cookie (a shared PC, a planted ID) is not shown the code form, nor can they submit a code."""
    client.get("/login")
    stale = app.test_client()
    copy_session_cookie(client, stale)
    assert submit_password(client, world.grid_operator.login_id).headers["Location"] == "/login/code"
    assert client.get("/login/code").status_code == 200
    old_id = session_cookie(stale)
    reused = stale.get("/login/code")
    assert reused.status_code == 303 and reused.headers["Location"].startswith("/login")
    stale.get("/login")
    assert session_cookie(stale) != old_id, "the old ID is no session any more: a new one is issued"
    assert submit_code(client, smtp.code_for(world.grid_operator.email)).headers["Location"] == "/dashboard"


def test_each_session_names_its_browser_in_words(app, world, sign_in):
    office = app.test_client()
    office.environ_base["HTTP_USER_AGENT"] = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                                              "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")
    sign_in(office, world.grid_operator)
    page = office.get("/account/sessions").get_data(as_text=True)
    assert ">Edge / Windows</span>" in page and 'title="Mozilla/5.0 (Windows NT 10.0' in page


def test_a_browser_whose_session_was_ended_from_another_is_told_so(app, world, sign_in):
    """A browser review: a session ended from another browser ("end the others", one session's
    button, a password change) landed on the login page with no word; if it was not the person,
    that is the moment to change the password."""
    from tests.auth.test_password_change import NEW, change
    from tests.conftest import TEST_PASSWORD

    told = ("Your session was ended from another browser (the list of your sessions, or a password change). "
            "If that was not you, sign in and change your password.")
    office, laptop, action = _office_laptop_and_the_laptops_end_button(app, world, sign_in)
    laptop.set_cookie("sekisho_lang", "en")
    post_form(office, action, {}, page_path="/account/sessions")
    assert flashes(laptop.get(laptop.get("/dashboard").headers["Location"])) == [told]
    assert flashes(laptop.get("/login")) == [], "told once"

    sign_in(laptop, world.grid_operator)
    post_form(office, "/account/sessions/end-others", {}, page_path="/account/sessions")
    assert flashes(laptop.get(laptop.get("/records").headers["Location"])) == [told]

    sign_in(laptop, world.grid_operator)
    assert change(office, TEST_PASSWORD, NEW[0], end_others=True).status_code == 303
    assert flashes(laptop.get(laptop.get("/dashboard").headers["Location"])) == [told]
    assert is_signed_in(office)

    idle = app.test_client()  # a session that simply ran out says only that it ended
    sign_in(idle, world.grid_operator, NEW[0])
    idle.set_cookie("sekisho_lang", "en")
    post_form(idle, "/logout", {}, page_path="/logout")
    assert told not in flashes(idle.get("/login"))
