"""/admin/hours: only system administrators choose the profile, schedule closures and define profiles."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.hours.conftest import jst
from tests.conftest import csrf_from
from tests.hours.helpers import audit_kinds, element, post_form, submit_password, text_of
from webapp.extensions import db
from webapp.hours.models import CustomHoursProfile, HoursClosure

ADMIN = "/admin/hours"


def closure_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(HoursClosure)) or 0


@pytest.fixture
def admin(client, world, sign_in):
    sign_in(client, world.sysadmin)
    return client


def add_closure(client, start: str, end: str, reason: str):
    return post_form(client, f"{ADMIN}/closures", {"start": start, "end": end, "reason": reason}, ADMIN)


@pytest.mark.parametrize("who", ["grid_operator", "grid_admin", "grid_responsible", "city_admin"])
def test_everyone_but_system_administrators_is_forbidden(client, world, sign_in, who):
    sign_in(client, getattr(world, who))
    token_page = client.get("/account/sessions").get_data(as_text=True)
    from tests.conftest import csrf_from

    token = csrf_from(token_page)
    assert client.get(ADMIN).status_code == 403
    for path, data in [(f"{ADMIN}/profile", {"profile": "always"}),
                       (f"{ADMIN}/closures", {"start": "2025-06-20T10:00", "end": "2025-06-20T11:00", "reason": "x"}),
                       (f"{ADMIN}/closures/1/cancel", {}),
                       (f"{ADMIN}/profiles", {"name": "evil", "mon": "00:00-24:00"})]:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert closure_count() == 0
    assert f'href="{ADMIN}"' not in client.get("/dashboard").get_data(as_text=True)


def test_signed_out_visitor_is_sent_to_sign_in(client):
    assert client.get(ADMIN).headers["Location"].startswith("/login")


def test_system_administrator_adds_a_closure_shown_everywhere(admin, world, clock):
    assert f'href="{ADMIN}"' in admin.get("/dashboard").get_data(as_text=True)

    response = add_closure(admin, "2025-06-20T18:00", "2025-06-23T09:00", "Server replacement")

    assert response.status_code == 303
    listing = element(admin.get(ADMIN), r'data-testid="closure-list"')
    assert "2025-06-20 (Fri) 18:00" in listing and "Server replacement" in listing
    [created] = audit_kinds("hours.closure_created")
    assert created.actor_id == world.sysadmin.id
    assert '"start": "2025-06-20T18:00+09:00"' in created.details
    assert "Server replacement" in text_of(admin.get("/hours"))


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2025-06-20T18:00", "2025-06-20T17:00", "The end of the closure must be after its start."),
    ("2025-06-20T18:00", "2025-06-20T18:00", "The end of the closure must be after its start."),
    ("tomorrow", "2025-06-20T18:00", "Enter a date and time such as 2025-06-12 20:00."),
    ("2025-06-20T18:00", "2025-02-30T10:00", "Enter a date and time such as 2025-06-12 20:00."),
    ("2025-06-20T25:00", "2025-06-21T10:00", "Enter a date and time such as 2025-06-12 20:00."),
    ("", "2025-06-21T10:00", "Start (Japan time)"),
    ("2025-06-01T10:00", "2025-06-02T10:00", "This period is already over"),
    ("2025-06-20T10:00", "2027-06-20T10:00", "A closure may last at most 366 days."),
    ("2025-06-20T10:00\x00", "2025-06-21T10:00", "Enter a date and time such as 2025-06-12 20:00."),
    ("9" * 5000, "2025-06-21T10:00", "Enter a date and time such as 2025-06-12 20:00."),
])
def test_bad_closure_dates_get_a_clear_400_and_change_nothing(admin, start, end, message):
    response = add_closure(admin, start, end, "Maintenance")
    assert response.status_code == 400
    assert message in element(response, r'id="hours-error"')
    assert closure_count() == 0
    assert audit_kinds("hours.closure_created") == []


@pytest.mark.parametrize(("reason", "message"), [
    ("", "Reason (shown to every user)"),
    ("   ", "Reason (shown to every user)"),
    ("a" * 201, "at most 200 characters"),
    ("maint\x00enance", "characters that cannot be used"),
])
def test_bad_reason_gets_a_clear_400(admin, reason, message):
    response = add_closure(admin, "2025-06-20T18:00", "2025-06-20T19:00", reason)
    assert response.status_code == 400
    assert message in element(response, r'id="hours-error"')
    assert closure_count() == 0


def test_full_width_date_typed_with_an_ime_is_understood(admin):
    response = add_closure(admin, "２０２５－０６－２０　１８：００", "2025/06/20 19:00", "<b>メンテナンス</b>")
    assert response.status_code == 303
    page = admin.get(ADMIN).get_data(as_text=True)
    assert "&lt;b&gt;メンテナンス&lt;/b&gt;" in page and "<b>メンテナンス" not in page


def test_closure_form_without_csrf_token_is_refused(admin):
    response = admin.post(f"{ADMIN}/closures", data={"start": "2025-06-20T18:00", "end": "2025-06-20T19:00",
                                                     "reason": "x"})
    assert response.status_code == 400
    assert closure_count() == 0


def test_cancel_a_closure_once(admin, world, clock):
    add_closure(admin, "2025-06-20T18:00", "2025-06-20T19:00", "Patch night")
    closure_id = db.session.scalar(select(HoursClosure.id))

    first = post_form(admin, f"{ADMIN}/closures/{closure_id}/cancel", {}, ADMIN)
    again = post_form(admin, f"{ADMIN}/closures/{closure_id}/cancel", {}, ADMIN)
    forged = post_form(admin, f"{ADMIN}/closures/999999/cancel", {}, ADMIN)

    assert first.status_code == 303
    assert again.status_code == 404 and forged.status_code == 404
    assert "already been cancelled" in element(again, r'id="hours-error"')
    assert len(audit_kinds("hours.closure_cancelled")) == 1
    assert "Patch night" not in text_of(admin.get("/hours"))
    assert "Cancelled at" in element(admin.get(ADMIN), r'data-testid="closure-list"')


def test_choosing_the_system_profile_takes_effect_and_is_audited(admin, new_client, world, clock):
    assert post_form(admin, f"{ADMIN}/profile", {"profile": "renewable"}, ADMIN).status_code == 303
    told = admin.get(ADMIN).get_data(as_text=True)
    assert "is now Renewable energy: business days 9:00-21:00." in told  # the label, not the key (UI review)
    [changed] = audit_kinds("hours.system_profile_set")
    assert changed.target == "renewable" and '"previous": "capacity"' in changed.details

    clock.set(jst(2025, 6, 10, 19, 0))  # closed under capacity, open under renewable
    assert submit_password(new_client(), world.grid_operator.login_id).status_code == 303
    assert element(admin.get("/hours"), r'data-testid="hours-profile"') == "renewable"


@pytest.mark.parametrize("bad", ["nope", "", "x" * 41, "capacity\x00"])
def test_unknown_system_profile_is_refused(admin, bad):
    response = post_form(admin, f"{ADMIN}/profile", {"profile": bad}, ADMIN)
    assert response.status_code == 400
    assert element(response, r'id="hours-error"')
    assert audit_kinds("hours.system_profile_set") == []


def night_shift(**days: str) -> dict[str, str]:
    fields = {"name": "night-shift", "holidays_closed": "y", "year_end_closed": "y"}
    return {**fields, **days}


def test_custom_profile_is_defined_chosen_and_enforced(admin, new_client, world, clock, app):
    response = post_form(admin, f"{ADMIN}/profiles",
                         night_shift(mon="20:00-24:00", tue="２０：００－２４：００", wed="08:00 ~ 12:00, 20:00-24:00"),
                         ADMIN)
    assert response.status_code == 303
    listing = element(admin.get(ADMIN), r'data-testid="custom-profiles"')
    assert "night-shift 20:00-24:00 20:00-24:00 08:00-12:00, 20:00-24:00 —" in listing
    assert audit_kinds("hours.custom_profile_created")[0].target == "night-shift"

    assert post_form(admin, f"{ADMIN}/profile", {"profile": "night-shift"}, ADMIN).status_code == 303
    clock.set(jst(2025, 6, 10, 21, 0))
    assert submit_password(new_client(), world.grid_operator.login_id).status_code == 303
    clock.set(jst(2025, 6, 10, 12, 0))
    assert submit_password(new_client(), world.grid_operator.login_id).status_code == 403

    status = app.test_cli_runner().invoke(args=["hours", "status", "--at", "2025-06-11T11:00"])
    assert status.output.startswith("open business-hours next-close 2025-06-11T12:00:00+09:00")


def test_redefining_a_custom_profile_changes_it(admin):
    post_form(admin, f"{ADMIN}/profiles", night_shift(mon="20:00-24:00"), ADMIN)
    post_form(admin, f"{ADMIN}/profiles", night_shift(fri="18:00-22:00"), ADMIN)
    record = db.session.scalars(select(CustomHoursProfile)).one()
    assert record.windows == '{"4":[["18:00","22:00"]]}'
    assert len(audit_kinds("hours.custom_profile_changed")) == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "capacity", "mon": "09:00-10:00"}, "belongs to a built-in profile"),
    ({"name": "Capacity", "mon": "09:00-10:00"}, "belongs to a built-in profile"),
    ({"name": "夜間", "mon": "09:00-10:00"}, "lower-case letters"),
    ({"name": "a", "mon": "09:00-10:00"}, "lower-case letters"),
    ({"name": "night", "mon": "9-5"}, "Monday: write the hours as 09:00-18:00"),
    ({"name": "night", "tue": "18:00-09:00"}, "must each end after they start"),
    ({"name": "night", "wed": "09:00-12:00, 11:00-13:00"}, "not overlap"),
    ({"name": "night", "thu": "09:00-24:30"}, "is not a time of day"),
    ({"name": "night"}, "at least one day"),
    ({"name": "night", "fri": "0" * 101}, "at most 100 characters"),
    ({"name": "", "mon": "09:00-10:00"}, "Profile name"),
])
def test_bad_custom_profile_is_refused_with_a_clear_message(admin, fields, message):
    response = post_form(admin, f"{ADMIN}/profiles", fields, ADMIN)
    assert response.status_code == 400
    assert message in element(response, r'id="hours-error"')
    assert db.session.scalar(select(func.count()).select_from(CustomHoursProfile)) == 0


def test_profile_choices_for_the_organisation_form(admin, world):
    from webapp.hours import service

    post_form(admin, f"{ADMIN}/profiles", night_shift(mon="20:00-24:00"), ADMIN)
    choices = service.profile_choices(include_system_default=True)
    assert [value for value, _label in choices] == ["", "renewable", "capacity", "always", "night-shift"]
    assert service.profile_label("capacity") in choices[0][1]  # the system-wide profile, in words
    form = admin.get("/admin/organisations/new").get_data(as_text=True)  # the form offers them in words
    assert '<option value="night-shift"' in form and "night-shift (custom)" in form
    assert ">Capacity market: business days and every Tuesday 9:00-18:00</option>" in form


def test_the_system_wide_profile_is_named_not_coded(admin):
    from flask_babel import force_locale

    from webapp.hours import service

    page = text_of(admin.get("/admin/hours"))  # the administrator reads English
    with admin.application.test_request_context(), force_locale("en"):
        code = service.system_profile_name()
        label = str(dict(service.profile_choices())[code])
    assert label != code and f"Now: {label}." in page


def test_an_empty_closure_form_names_every_missing_field_beside_the_form(admin):
    """The page is long: the message stands above the closure form, names all three fields, and
    the fields themselves are marked for assistive technology."""
    response = add_closure(admin, "", "", "")
    assert response.status_code == 400
    message = element(response, r'id="hours-error"')
    for label in ("Start (Japan time)", "End (Japan time)", "Reason (shown to every user)"):
        assert label in message
    page = response.get_data(as_text=True)
    assert page.index('id="hours-error"') > page.index('id="closures-title"')
    assert page.count('aria-invalid="true"') == 3


def test_an_inverted_closure_marks_both_dates_for_a_screen_reader(admin):
    """A browser review: "the end must be after the start" was shown, but the date inputs were not
    marked, so a screen reader user moving through the form did not learn which fields were wrong."""
    response = add_closure(admin, "2025-06-20T18:00", "2025-06-20T17:00", "Maintenance")
    assert response.status_code == 400
    assert element(response, r'id="hours-error"') == "The end of the closure must be after its start."
    page = response.get_data(as_text=True)
    for name in ("start", "end"):
        field = re.search(rf'<input id="{name}"[^>]*>', page)
        assert field and 'aria-invalid="true"' in field.group() and 'aria-describedby="hours-error"' in field.group()
        assert 'value="2025-06-20T1' in field.group()  # what was typed stays to be corrected
    reason = re.search(r'<input id="reason"[^>]*>', page)
    assert reason and "aria-invalid" not in reason.group() and 'value="Maintenance"' in reason.group()
    assert closure_count() == 0


def test_the_language_switch_on_a_refused_form_goes_back_to_the_forms_page(admin):
    """A browser review: after a refused closure, the footer's language link pointed at the
    form's POST-only address, and following it showed 405."""
    page = admin.get(ADMIN)
    token = csrf_from(page.get_data(as_text=True))
    refused = admin.post(f"{ADMIN}/closures", headers={"Referer": f"http://localhost{ADMIN}"},
                         data={"start": "2025-06-20T19:00", "end": "2025-06-20T18:00", "reason": "x", "csrf_token": token})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'href="/lang/en?next=/admin/hours"' in html
    followed = admin.get("/lang/en?next=/admin/hours")
    assert admin.get(followed.headers["Location"]).status_code == 200
    # Without a Referer the switch leads to the start page, not to a 405.
    bare = admin.post(f"{ADMIN}/closures", data={"start": "2025-06-20T19:00", "end": "2025-06-20T18:00",
                                                 "reason": "x", "csrf_token": token}).get_data(as_text=True)
    assert 'href="/lang/en?next=/"' in bare


def test_the_same_closure_sent_twice_is_added_once(admin, world, clock):
    """A fault review: a double click (or a reload) added the closure again, and the login page and
    /hours listed it twice."""
    first = add_closure(admin, "2025-06-20T18:00", "2025-06-20T19:00", "Patch night")
    shown_once = text_of(admin.get("/hours")).count("Patch night")
    again = add_closure(admin, "2025-06-20T18:00", "2025-06-20T19:00", "Patch night")
    assert first.status_code == again.status_code == 303
    assert closure_count() == 1
    assert len(audit_kinds("hours.closure_created")) == 1
    assert text_of(admin.get("/hours")).count("Patch night") == shown_once
    other_reason = add_closure(admin, "2025-06-20T18:00", "2025-06-20T19:00", "Disk check")
    assert other_reason.status_code == 303 and closure_count() == 2, "a different closure is still added"
    closure_id = db.session.scalar(select(HoursClosure.id).where(HoursClosure.reason == "Patch night"))
    post_form(admin, f"{ADMIN}/closures/{closure_id}/cancel", {}, ADMIN)
    add_closure(admin, "2025-06-20T18:00", "2025-06-20T19:00", "Patch night")
    assert closure_count() == 3, "announced again after its cancellation"
