"""An organisation's allowed networks (SPEC §7): set by a system administrator on the
organisation; a sign-in from elsewhere raises an alert for the organisation."""
from __future__ import annotations

from sqlalchemy import select

from tests.applications import steps
from tests.applications.steps import post
from tests.auth.steps import sign_in_with_code
from webapp.alerts.models import Alert
from webapp.orgs.models import Organisation


def _edit(sysadmin, world, networks: str):
    return post(sysadmin, f"/admin/organisations/{world.grid.id}/edit", {
        "name": world.grid.name, "category": "grid", "supply_area": "tokyo", "hours_profile": "",
        "security_manager_name": "保安 一郎", "security_manager_contact": "03-0000-0000",
        "allowed_networks": networks})


def _stored(world) -> str:
    with steps.reading() as session:
        return session.scalar(select(Organisation.allowed_networks).where(Organisation.id == world.grid.id))


def _alerts() -> list[Alert]:
    with steps.reading() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def _from(app, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_networks_are_normalised_and_a_sign_in_from_elsewhere_raises_an_alert(app, world, smtp, browser_for):
    sysadmin = browser_for(world.sysadmin)
    assert _edit(sysadmin, world, "192.0.2.0/24, 198.51.100.7\n2001:db8::/32").status_code == 303
    assert _stored(world) == "192.0.2.0/24\n198.51.100.7/32\n2001:db8::/32"
    [entry] = steps.audit_entries("organisation.updated")
    assert "192.0.2.0/24" in entry.details

    sign_in_with_code(_from(app, "192.0.2.44"), smtp, world.grid_operator)
    assert [a.kind for a in _alerts()] == []
    sign_in_with_code(_from(app, "203.0.113.5"), smtp, world.grid_responsible)
    [alert] = [a for a in _alerts() if a.kind == "login.outside_networks"]
    assert alert.organisation_id == world.grid.id and alert.ip == "203.0.113.5"
    assert world.grid_responsible.login_id in alert.summary
    sign_in_with_code(_from(app, "203.0.113.5"), smtp, world.city_operator)  # no networks set for the city
    assert [a.organisation_id for a in _alerts() if a.kind == "login.outside_networks"] == [world.grid.id]


def test_a_malformed_network_is_named_and_nothing_changes(app, world, browser_for):
    sysadmin = browser_for(world.sysadmin)
    before = _stored(world)
    for bad in ("192.0.2.0/33", "intranet", "10.0.0.1; DROP TABLE organisations"):
        response = _edit(sysadmin, world, bad)
        assert response.status_code == 400
        assert "is not an IP address or network" in response.get_data(as_text=True)  # this browser reads English
    assert _stored(world) == before
    assert steps.audit_entries("organisation.updated") == []
