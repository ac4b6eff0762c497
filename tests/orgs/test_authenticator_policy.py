"""An organisation's policy of requiring an authenticator app (SPEC §2): set by a system
administrator on the organisation's page, audited, and enforced at its users' next sign-in."""
from __future__ import annotations

from sqlalchemy import select

from tests.applications import steps
from tests.applications.steps import post, text_of
from tests.auth.steps import sign_in_with_code
from webapp.orgs.models import Organisation


def _edit(sysadmin, world, **extra: str):
    return post(sysadmin, f"/admin/organisations/{world.grid.id}/edit", {
        "name": world.grid.name, "category": "grid", "supply_area": "tokyo", "hours_profile": "",
        "security_manager_name": "保安 一郎", "security_manager_contact": "03-0000-0000",
        "allowed_networks": "", **extra})


def _required(world) -> bool:
    with steps.reading() as session:
        return session.scalar(select(Organisation.require_totp).where(Organisation.id == world.grid.id))


def test_a_sysadmin_requires_the_app_and_the_next_sign_in_goes_to_setting_it_up(app, world, smtp, browser_for):
    sysadmin = browser_for(world.sysadmin)
    form = sysadmin.get(f"/admin/organisations/{world.grid.id}/edit").get_data(as_text=True)
    assert 'name="require_totp"' in form and "Require an authenticator app" in form
    assert 'aria-describedby="require-totp-help" checked' not in form
    assert _edit(sysadmin, world, require_totp="y").status_code == 303
    assert _required(world) is True
    [entry] = steps.audit_entries("organisation.updated")
    assert "require_totp" in entry.details
    page = text_of(sysadmin.get(f"/admin/organisations/{world.grid.id}"))
    assert "Authenticator app required" in page
    edit_again = sysadmin.get(f"/admin/organisations/{world.grid.id}/edit").get_data(as_text=True)
    assert 'name="require_totp" value="y" aria-describedby="require-totp-help" checked' in edit_again

    client = app.test_client()
    signed_in = sign_in_with_code(client, smtp, world.grid_operator)  # no app yet: the mailed code, once
    assert signed_in.status_code == 303
    gated = client.get("/dashboard")
    assert gated.status_code == 303 and gated.headers["Location"] == "/account/authenticator"
    other = app.test_client()
    sign_in_with_code(other, smtp, world.city_operator)  # another organisation is not concerned
    assert other.get("/dashboard").status_code == 200

    assert _edit(sysadmin, world).status_code == 303  # unticked: the policy is lifted
    assert _required(world) is False
    assert client.get("/dashboard").status_code == 200


def test_only_a_sysadmin_sets_the_policy(world, browser_for):
    for person in (world.grid_admin, world.grid_responsible, world.grid_operator):
        response = _edit(browser_for(person), world, require_totp="y")
        assert response.status_code in (403, 404), person.login_id
    assert _required(world) is False


def test_onboarding_can_require_the_app_from_the_start(world, browser_for):
    sysadmin = browser_for(world.sysadmin)
    response = post(sysadmin, "/admin/organisations/new", {
        "name": "二要素市", "category": "municipality", "prefecture": "東京都", "hours_profile": "",
        "security_manager_name": "保安 二郎", "security_manager_contact": "03-0000-0001", "allowed_networks": "",
        "require_totp": "y",
        "admin_name": "管理 花子", "admin_department": "情報課", "admin_email": "admin@nifa.test.example",
        "responsible_name": "責任 太郎", "responsible_department": "総務課",
        "responsible_email": "resp@nifa.test.example", "responsible_phone": "03-1111-2222"})
    assert response.status_code == 303, text_of(response)[:1500]
    with steps.reading() as session:
        assert session.scalar(select(Organisation.require_totp).where(Organisation.name == "二要素市")) is True
