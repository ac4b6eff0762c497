"""Bad input gets a clear message and changes nothing; never a server error."""
from __future__ import annotations

import pytest

from tests.applications import steps
from tests.applications.steps import add_user_fields, decide, file, filed_id, text_of, token


@pytest.mark.parametrize("field,value,message", [
    ("name", "山田\x00太郎", "cannot be used"),
    ("name", "長" * 201, "at most 200"),
    ("email", "a@b", "valid personal e-mail"),
    ("email", "共用 <shared@test.example>", "valid personal e-mail"),
    ("department", "\x1b[31m", "cannot be used"),
    ("name", "<script>alert(1)</script>", "cannot contain < or >"),
    ("department", '総務部"><img src=x onerror=alert(1)>', "cannot contain < or >"),
    ("note", "x" * 2001, "at most 2000"),
    ("kind", "promote", "kind of application"),
    ("target", "'; DROP TABLE users; --", "no user"),
])
def test_bad_fields_are_refused_with_a_message(world, browser_for, field, value, message):
    fields = add_user_fields()
    if field == "target":
        fields = {"kind": "suspend"}
    fields[field] = value
    response = file(browser_for(world.grid_admin), **fields)
    assert response.status_code == 400
    assert message in steps.errors_of(response)
    assert steps.count_applications() == 0


def test_invalid_utf8_never_reaches_the_database_as_broken_text(world, browser_for):
    admin = browser_for(world.grid_admin)
    body = f"csrf_token={token(admin)}&kind=add&name=%FF%FE&email=x%40test.example&role=operator&natural_person=y"
    response = admin.post("/applications/new", data=body, content_type="application/x-www-form-urlencoded")
    # Werkzeug would keep the undecodable escapes as literal text ("%FF%FE" as a name): refused before.
    assert response.status_code == 400 and "not valid text" in response.get_data(as_text=True)
    assert steps.count_applications() == 0
    boundary = "sekisho-boundary"
    parts = [("csrf_token", token(admin).encode()), ("kind", b"add"), ("name", b"\xff\xfe broken"),
             ("email", b"y@test.example"), ("role", b"operator"), ("natural_person", b"y")]
    multipart = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n".encode() + v + b"\r\n"
                         for k, v in parts) + f"--{boundary}--\r\n".encode()
    refused = admin.post("/applications/new", data=multipart, content_type=f"multipart/form-data; boundary={boundary}")
    assert refused.status_code == 400 and "not valid text" in steps.errors_of(refused)
    assert steps.count_applications() == 0


def test_markup_in_free_text_is_shown_as_text(world, browser_for):
    """A note may quote markup (it is free text); it is shown as typed, never run."""
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields(note="<script>alert(1)</script>")))
    page = browser_for(world.grid_responsible).get(f"/applications/{application_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_full_width_and_mixed_scripts_are_kept_as_typed(world, browser_for):
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields(
        name="ＡＢＣ　ｶﾀｶﾅ 山田", department="総務部（第２課）")))
    assert steps.application(application_id).proposed["name"] == "ＡＢＣ　ｶﾀｶﾅ 山田"


def test_forged_ids_in_urls_are_not_found(world, browser_for):
    responsible = browser_for(world.grid_responsible)
    for path in ("/applications/0", "/applications/99999999999", "/users/%00", "/users/" + "x" * 500):
        assert responsible.get(path).status_code == 404, path
    assert decide(responsible, 424242, "approve").status_code == 404
    assert responsible.get("/applications/abc").status_code == 404


def test_a_decision_without_csrf_token_changes_nothing(world, browser_for):
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields()))
    responsible = browser_for(world.grid_responsible)
    response = responsible.post(f"/applications/{application_id}", data={"decision": "approve"})
    assert response.status_code == 400
    assert steps.application(application_id).state == "submitted"
    htmx = responsible.post(f"/applications/{application_id}", data={"decision": "approve"},
                            headers={"HX-Request": "true"})
    assert htmx.status_code == 400 and "<html" not in text_of(htmx)
    assert steps.application(application_id).state == "submitted"


def test_an_address_mail_cannot_carry_is_refused_where_it_is_typed(world, browser_for):
    """Full-width letters from an IME or a Japanese domain: the relay is spoken to in plain
    SMTP, so such an account would never get its activation mail. Refused, nothing filed."""
    admin = browser_for(world.grid_admin)
    for address in ("ｔａｒｏ@example.jp", "taro@例え.jp"):
        refused = file(admin, **add_user_fields(email=address))
        assert refused.status_code == 400 and "e-mail" in steps.errors_of(refused).lower(), address
    assert steps.count_applications() == 0


def test_a_new_responsible_person_needs_an_emergency_phone(world, browser_for):
    admin = browser_for(world.grid_admin)
    refused = file(admin, **add_user_fields(email="resp2@test.example", role=["responsible"]))
    assert refused.status_code == 400 and "emergency phone" in steps.errors_of(refused)
    assert steps.count_applications() == 0
    filed_id(file(admin, **add_user_fields(email="resp2@test.example", role=["responsible"],
                                           emergency_phone="03-1234-5678")))
