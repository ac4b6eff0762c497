"""Who has and has not accepted: scoped to the viewer's organisation, exportable as a safe CSV."""
from __future__ import annotations

import csv
import io

from tests.consent.helpers import ITEMS_1, TERMS_1, accept_everything, publish
from webapp.extensions import db


def _signed_in(app, sign_in, user, accept=True):
    client = app.test_client()
    sign_in(client, user)
    if accept:
        accept_everything(client)
    return client


def _csv(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
    return list(csv.reader(io.StringIO(raw.decode("utf-8")[1:])))


def test_responsible_person_sees_own_organisation_only(app, world, sign_in):
    terms = publish("terms", "1.0", TERMS_1)
    _signed_in(app, sign_in, world.grid_operator)
    city = _signed_in(app, sign_in, world.city_responsible)
    page = city.get(f"/consent/report/{terms.id}").get_data(as_text=True)
    report = page.split('data-testid="consent-report"')[1]
    assert world.city_operator.login_id in report and world.city_responsible.login_id in report
    assert world.grid_operator.login_id not in report and world.grid.name not in report
    assert "利用者3人中1人が同意済み" in page or "1 of 3 active users have accepted" in page
    # Asking for another organisation is answered as if it did not exist.
    assert city.get(f"/consent/report/{terms.id}?org={world.grid.id}").status_code == 404
    assert city.get(f"/consent/report?org={world.grid.id}").status_code == 404
    assert city.get(f"/consent/report/{terms.id}/export.csv?org={world.grid.id}").status_code == 404
    rows = _csv(city.get(f"/consent/report/{terms.id}/export.csv"))
    assert all(world.grid.name not in row for row in rows)


def test_operators_cannot_see_the_report(app, world, sign_in):
    terms = publish("terms", "1.0", TERMS_1)
    operator = _signed_in(app, sign_in, world.grid_operator)
    assert operator.get("/consent/report").status_code == 403
    assert operator.get(f"/consent/report/{terms.id}/export.csv").status_code == 403


def test_system_administrator_filters_by_organisation_and_status(app, world, sign_in):
    terms = publish("terms", "1.0", TERMS_1)
    _signed_in(app, sign_in, world.grid_operator)
    admin = _signed_in(app, sign_in, world.sysadmin)
    everyone = admin.get(f"/consent/report/{terms.id}").get_data(as_text=True)
    assert world.grid.name in everyone and world.city.name in everyone
    grid_pending = admin.get(f"/consent/report/{terms.id}?org={world.grid.id}&status=pending").get_data(as_text=True)
    table = grid_pending.split('data-testid="consent-report"')[1]
    assert world.grid_admin.login_id in table and world.grid_operator.login_id not in table
    assert world.city_operator.login_id not in table
    grid_accepted = admin.get(f"/consent/report/{terms.id}?org={world.grid.id}&status=accepted").get_data(as_text=True)
    table = grid_accepted.split('data-testid="consent-report"')[1]
    assert world.grid_operator.login_id in table and world.grid_admin.login_id not in table
    assert admin.get(f"/consent/report/{terms.id}?org=99999").status_code == 404
    assert admin.get(f"/consent/report/{terms.id}?org=1%00").status_code == 404
    assert admin.get("/consent/report/99999").status_code == 404
    summary = admin.get("/consent/report").get_data(as_text=True)
    assert "2 / 8" in summary  # the system administrator and the grid operator, of eight active users


def test_items_aimed_at_grid_operators_are_reported_for_grid_operators_only(app, world, sign_in):
    grid_only = publish("items", "1.0", "* grid-no-retail [grid]: 小売事業に利用しません。")
    admin = _signed_in(app, sign_in, world.sysadmin)
    page = admin.get(f"/consent/report/{grid_only.id}").get_data(as_text=True)
    table = page.split('data-testid="consent-report"')[1]
    assert world.grid_operator.login_id in table and world.city_operator.login_id not in table


def test_csv_export_has_a_bom_the_evidence_and_neutralised_formulas(app, world, sign_in):
    items = publish("items", "1.0", ITEMS_1)
    world.grid_operator.department = "=HYPERLINK(\"http://evil.example\",\"x\")"
    world.grid_operator2.name = "+SUM(1,2)"
    world.grid_admin.department = "@cmd"
    world.grid_responsible.department = "\tタブ"
    db.session.commit()
    operator = app.test_client()
    sign_in(operator, world.grid_operator)
    accept_everything(operator)
    responsible = _signed_in(app, sign_in, world.grid_responsible)
    response = responsible.get(f"/consent/report/{items.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    by_login = {row[1]: row for row in rows[1:]}
    evidence = by_login[world.grid_operator.login_id]
    assert evidence[3] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert evidence[9] != "" and len(evidence[9]) == 64  # SHA-256 of the text shown
    assert evidence[10] == "purpose credentials grid-no-retail"
    assert evidence[11] == "127.0.0.1"
    assert by_login[world.grid_operator2.login_id][2] == "'+SUM(1,2)"
    assert by_login[world.grid_admin.login_id][3] == "'@cmd"
    assert by_login[world.grid_responsible.login_id][3] == "'\tタブ"
    assert by_login[world.grid_operator2.login_id][6] == ""  # not accepted yet
    assert world.city_operator.login_id not in by_login
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_an_acceptance_past_the_renewal_period_is_not_reported_as_current(make_app, clock, sign_in):
    """A conformance review: with PORTAL_CONSENT_RENEWAL_MONTHS the gate sent a person back to
    accept again while the report still counted them as accepted."""
    app = make_app(PORTAL_CONSENT_RENEWAL_MONTHS=6)
    with app.app_context():
        from tests.support.world import build_world

        world = build_world()
        terms = publish("terms", "1.0", TERMS_1)
        _signed_in(app, sign_in, world.city_operator)
        clock.advance(days=200)
        city = _signed_in(app, sign_in, world.city_responsible)  # accepts now, in the period
        page = city.get(f"/consent/report/{terms.id}?status=accepted").get_data(as_text=True)
        report = page.split('data-testid="consent-report"')[1]
        assert world.city_responsible.login_id in report and world.city_operator.login_id not in report
        assert "利用者3人中1人が同意済み" in page
        rows: dict[str, list[str]] = {}
        for row in _csv(city.get(f"/consent/report/{terms.id}/export.csv"))[1:]:
            rows.setdefault(row[1], []).append(row[5])
        # The old evidence stays, marked, and the person is listed as still to accept.
        assert rows[world.city_operator.login_id] == ["同意済み（更新期限切れ）", "未同意"]
        assert rows[world.city_responsible.login_id] == ["同意済み"]


def test_a_category_change_makes_the_new_items_owed_in_the_report(app, world, sign_in):
    """The gate asked the people of an organisation that became a grid operator for the item
    aimed at grid operators, while the report still counted their old acceptance."""
    items = publish("items", "1.0", ITEMS_1)
    _signed_in(app, sign_in, world.city_operator)  # ticks the two items a municipality owes
    db.session.merge(world.city).category = "grid"
    db.session.commit()
    admin = _signed_in(app, sign_in, world.sysadmin)
    page = admin.get(f"/consent/report/{items.id}?org={world.city.id}&status=pending").get_data(as_text=True)
    assert world.city_operator.login_id in page.split('data-testid="consent-report"')[1]
    rows: dict[str, list[str]] = {}
    for row in _csv(admin.get(f"/consent/report/{items.id}/export.csv?org={world.city.id}"))[1:]:
        rows.setdefault(row[1], []).append(row[5])
    assert rows[world.city_operator.login_id] == ["同意済み（その後に必要となった項目は未同意）", "未同意"]
    # Once the person ticks the new item at the gate, the report counts them again.
    again = _signed_in(app, sign_in, world.city_operator)
    assert again.get("/dashboard").status_code == 200
    page = admin.get(f"/consent/report/{items.id}?org={world.city.id}&status=accepted").get_data(as_text=True)
    assert world.city_operator.login_id in page.split('data-testid="consent-report"')[1]
