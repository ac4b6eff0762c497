"""Input the portal cannot take as text is refused before any service sees it, with a message,
and changes nothing (SPEC §11): a file where a text field was expected, a form encoded in
Shift_JIS, a Host header that is not a host name."""
from __future__ import annotations

import logging
import urllib.parse
from io import BytesIO

from sqlalchemy import func, select

from tests.conftest import csrf_from
from webapp.extensions import db
from webapp.notices.models import Notice
from webapp.orgs.models import Organisation


def _token(client, path="/dashboard") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def test_a_file_in_place_of_a_text_field_is_refused_and_changes_nothing(client, world, browser_for, caplog):
    caplog.set_level(logging.ERROR)
    login = client.post("/login", data={"csrf_token": _token(client, "/login"), "login_id": (BytesIO(b"x"), "a.txt"),
                                        "password": "p"}, content_type="multipart/form-data")
    assert login.status_code == 400 and "このフォームではファイルを送信できません" in login.get_data(as_text=True)
    admin = browser_for(world.sysadmin)
    suspended = admin.post(f"/admin/organisations/{world.city.id}/status", content_type="multipart/form-data", data={
        "csrf_token": _token(admin), "action": "suspend", "reason": (BytesIO(b"x"), "a.txt")})
    assert suspended.status_code == 400
    assert db.session.get(Organisation, world.city.id).status == "active"
    assert caplog.records == []


def test_a_form_encoded_in_shift_jis_is_refused_and_nothing_is_posted(browser_for, world):
    admin = browser_for(world.sysadmin)
    title = urllib.parse.quote("お知らせ".encode("shift_jis"))
    for body in (f"kind=general&audience=&title={title}&body=ok", "kind=general&audience=&title=t&body=%FF%FE",
                 "kind=general&audience=&title=t&body=%E3%81"):
        response = admin.post("/admin/notices", data=f"{body}&csrf_token={_token(admin)}",
                              content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400
        assert "The input is not valid text (check the character encoding)." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    fine = admin.post("/admin/notices", data={"csrf_token": _token(admin), "kind": "general", "audience": "",
                                              "title": "お知らせ%E3%81", "body": "100%の確認"})
    assert fine.status_code in (200, 303)  # percent signs typed as text are text
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 1


def test_a_host_name_that_is_no_host_name_gets_a_plain_400_and_no_logged_error(client, caplog):
    caplog.set_level(logging.ERROR)
    response = client.get("/login", headers={"Host": "a" * 64 + ".example"})
    assert response.status_code == 400 and "ホスト名" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert caplog.records == []


def test_direction_overrides_are_refused_where_people_read_what_others_wrote(browser_for, world):
    """U+202E turns 「承認済」 into what it is not on screen: a notice title, a closure reason."""
    admin = browser_for(world.sysadmin)
    response = admin.post("/admin/notices", data={"csrf_token": _token(admin), "kind": "general", "audience": "",
                                                  "title": "お知らせ\u202e済認承", "body": "本文"})
    assert response.status_code == 400 and "characters that cannot be used" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_a_raw_byte_that_is_no_utf8_in_the_query_is_no_500(client, caplog):
    """Another WSGI server may pass such a byte through (waitress answers 400 itself): a 400 that
    says so, and the error page's own links back to the page do not fail on it either."""
    caplog.set_level(logging.ERROR)
    for path in ("/hours", "/login", "/no-such-page", "/dashboard"):
        response = client.get(path, environ_overrides={"QUERY_STRING": "a=\xff"})
        assert response.status_code in (400, 404), path
        assert "文字コード" in response.get_data(as_text=True) or response.status_code == 404
    assert caplog.records == []


def test_a_password_may_hold_any_character_even_a_direction_override(app, smtp):
    """Nobody reads a password: the refusal of direction overrides is for text people read."""
    from tests.auth.steps import is_signed_in, sign_in_with_code
    from tests.support.world import build_world, make_active

    world = build_world()
    password = "右から左へ\u202e読まれる合言葉 2026 \u2066秘密\u2069"
    make_active(world.grid_operator, password)
    db.session.commit()
    browser = app.test_client()
    sign_in_with_code(browser, smtp, world.grid_operator, password)
    assert is_signed_in(browser)


def test_a_search_escaped_in_another_encoding_is_refused_with_a_message(browser_for, world, caplog):
    """A fault review: "?q=%FF%FE" searched for "��" and showed "0 件", or audit entries with
    U+FFFD, without telling anyone that the search was unreadable."""
    caplog.set_level(logging.ERROR)
    sysadmin = browser_for(world.sysadmin)
    shift_jis = urllib.parse.quote("発電所".encode("shift_jis"))
    for path in ("/records?q=%FF%FE", "/admin/audit?q=%FF", f"/users?q={shift_jis}", "/applications?q=%E3%81"):
        response = sysadmin.get(path)
        assert response.status_code == 400, path
        assert "The input is not valid text (check the character encoding)." in response.get_data(as_text=True)
    found = sysadmin.get("/admin/audit", query_string={"q": "100%の確認"})
    assert found.status_code == 200  # a percent sign typed as text is text
    assert caplog.records == []
