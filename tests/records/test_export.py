"""CSV export (SPEC §6): UTF-8 with BOM, safe against formula injection, capped, audited, watched (§7)."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.auth.steps import is_signed_in, reload
from tests.conftest import csrf_from
from tests.records.helpers import add_records, audit_details, count_where
from webapp.alerts.models import Alert
from webapp.extensions import db


@pytest.fixture
def records(world):
    return add_records()


def export(client, query: str = "", **form: str):
    page = client.get(f"/records?{query}").get_data(as_text=True)
    return client.post("/records/export.csv", data={**form, "csrf_token": csrf_from(page)})


def parse_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_export_holds_the_filtered_records_with_the_visible_fields(browser_for, world, records):
    response = export(browser_for(world.city_operator))
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="facility-records-')
    header, *rows = parse_csv(response)
    assert header[0] == "Facility ID" and "Plant name" in header and "Purchase price (yen/kWh)" not in header
    assert len(rows) == count_where(prefecture="神奈川県")
    assert all(row[header.index("Prefecture")] == "神奈川県" for row in rows)


def test_the_export_keeps_the_search(browser_for, world, records):
    _header, *rows = parse_csv(export(browser_for(world.grid_operator), q="MARK"))
    assert sorted(row[0] for row in rows) == ["MARK-GUNMA", "MARK-KANAGAWA"]


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(browser_for, world, records):
    header, *rows = parse_csv(export(browser_for(world.grid_operator), q="MARK-GUNMA"))
    [row] = rows
    assert row[header.index("Plant name")] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert row[header.index("Operator name")] == "'@SUM(1+1)"


@pytest.mark.parametrize("app_settings", [{"PORTAL_RECORDS_EXPORT_MAX": 10}])
def test_an_export_over_the_cap_is_refused_with_a_way_forward(browser_for, world, records):
    client = browser_for(world.grid_operator)
    response = export(client)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "one export holds at most 10" in response.get_data(as_text=True)
    assert audit_details("records.exported") == []
    assert export(client, q="MARK").status_code == 200


def test_an_export_without_the_form_token_is_refused(browser_for, world, records):
    response = browser_for(world.grid_operator).post("/records/export.csv", data={})
    assert response.status_code == 400 and audit_details("records.exported") == []


@pytest.mark.parametrize("who", ["sysadmin", "grid_responsible", "city_admin"])
def test_people_who_do_not_view_data_cannot_export(browser_for, world, records, who):
    client = browser_for(getattr(world, who))
    token = csrf_from(client.get("/dashboard").get_data(as_text=True))
    assert client.post("/records/export.csv", data={"csrf_token": token}).status_code == 403


def test_every_export_is_audited_with_the_ids(browser_for, world, records):
    _header, *rows = parse_csv(export(browser_for(world.city_operator)))
    [entry] = audit_details("records.exported")
    assert sorted(entry["ids"]) == sorted(row[0] for row in rows) and entry["shown"] == len(rows)


def _alerts() -> list[Alert]:
    db.session.expire_all()
    return list(db.session.scalars(select(Alert)))


@pytest.mark.parametrize("app_settings", [{"PORTAL_BULK_EXPORT_MAX_EXPORTS": 2}])
def test_bulk_exports_raise_one_alert_for_the_responsible_person(browser_for, world, records, smtp):
    client = browser_for(world.city_operator)
    smtp.clear()
    assert [export(client).status_code for _ in range(2)] == [200, 200] and _alerts() == []
    assert [export(client).status_code for _ in range(2)] == [200, 200]  # watched, not stopped
    [alert] = _alerts()
    assert alert.kind == "records.bulk_export" and alert.user_id == world.city_operator.id
    assert alert.organisation_id == world.city.id
    assert len(smtp.to(world.city_responsible.email)) == 1 and smtp.to(world.grid_responsible.email) == []


@pytest.mark.parametrize("app_settings", [{"PORTAL_BULK_EXPORT_MAX_RECORDS": 10,
                                           "PORTAL_ALERT_SUSPEND": "records.bulk_export"}])
def test_the_detector_can_suspend_the_account_at_once(browser_for, world, records):
    client = browser_for(world.grid_operator)
    assert export(client, "q=MARK", q="MARK").status_code == 200  # 2 records on the page, 2 exported
    refused = export(client, "q=MARK")  # then every record of the scope: more than 10 in the window
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert reload(world.grid_operator).status == "suspended"
    assert not is_signed_in(client)
    assert len(_alerts()) == 1 and len(audit_details("records.exported")) == 1
    assert audit_details("records.export_refused")[0]["reason"] == "bulk export"
