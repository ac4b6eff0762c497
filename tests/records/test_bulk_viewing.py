"""Paging through the list is watched like exporting (SPEC §7 bulk export: too many records in a
short window): records shown on list pages and records exported count together."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.auth.steps import is_signed_in, reload
from tests.conftest import csrf_from
from tests.records.helpers import add_records, audit_details, shown_ids
from webapp.alerts.models import Alert
from webapp.extensions import db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def records(world):
    return add_records(1200)  # the grid operator pages through about 230 of them


def _alerts() -> list[Alert]:
    db.session.expire_all()
    return list(db.session.scalars(select(Alert)))


def _pages(client, pages: range, headers=None) -> list[int]:
    return [client.get(f"/records?page={n}", headers=headers or {}).status_code for n in pages]


@pytest.mark.parametrize("app_settings", [{"PORTAL_BULK_EXPORT_MAX_RECORDS": 120}])
def test_paging_through_more_records_than_the_threshold_raises_one_alert(browser_for, world, records, smtp):
    client = browser_for(world.grid_operator)
    smtp.clear()
    assert _pages(client, range(1, 3), HTMX) == [200, 200] and _alerts() == []  # 100 records: ordinary
    assert _pages(client, range(3, 6), HTMX) == [200] * 3  # watched, not stopped
    [alert] = _alerts()  # one per burst, not one per page
    assert alert.kind == "records.bulk_export" and alert.user_id == world.grid_operator.id
    assert alert.organisation_id == world.grid.id
    assert json.loads(alert.details)["records"] == 150  # the page that crossed 120 included
    assert "3 list pages" in alert.summary_en
    assert len(smtp.to(world.grid_responsible.email)) == 1 and len(smtp.to(world.sysadmin.email)) == 1
    assert smtp.to(world.city_responsible.email) == []
    assert len(audit_details("records.viewed")) == 5


@pytest.mark.parametrize("app_settings", [{"PORTAL_BULK_EXPORT_MAX_RECORDS": 120}])
def test_a_few_pages_and_searches_raise_nothing(browser_for, world, records):
    client = browser_for(world.grid_operator)
    assert _pages(client, range(1, 3)) == [200, 200]
    assert client.get("/records?q=MARK", headers=HTMX).status_code == 200
    assert _alerts() == []


@pytest.mark.parametrize("app_settings", [{"PORTAL_BULK_EXPORT_MAX_RECORDS": 120,
                                           "PORTAL_BULK_EXPORT_WINDOW_MINUTES": 10}])
def test_pages_outside_the_window_do_not_count(browser_for, world, records, clock):
    client = browser_for(world.grid_operator)
    assert _pages(client, range(1, 3), HTMX) == [200, 200]
    clock.advance(minutes=11)
    assert _pages(client, range(3, 5), HTMX) == [200, 200]
    assert _alerts() == []


@pytest.mark.parametrize("app_settings", [{"PORTAL_BULK_EXPORT_MAX_RECORDS": 120}])
def test_records_viewed_and_exported_count_together(browser_for, world, records):
    client = browser_for(world.grid_operator)
    page = client.get("/records?page=2").get_data(as_text=True)
    assert client.post("/records/export.csv", data={"q": "MARK", "csrf_token": csrf_from(page)}).status_code == 200
    assert _alerts() == []  # 52 records
    assert _pages(client, range(3, 5), HTMX) == [200, 200]  # 152
    [alert] = _alerts()
    assert alert.kind == "records.bulk_export" and json.loads(alert.details)["records"] == 152


@pytest.mark.parametrize("app_settings", [{"PORTAL_BULK_EXPORT_MAX_RECORDS": 120,
                                           "PORTAL_ALERT_SUSPEND": "records.bulk_export"}])
def test_the_detector_suspends_a_person_paging_through_everything(browser_for, world, records):
    client = browser_for(world.grid_operator)
    assert _pages(client, range(1, 3), HTMX) == [200, 200]
    refused = client.get("/records?page=3", headers=HTMX)
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "suspended" in text and shown_ids(text) == [] and "<html" not in text  # a fragment for htmx
    assert reload(world.grid_operator).status == "suspended"
    assert not is_signed_in(client)
    assert len(_alerts()) == 1 and len(audit_details("records.viewed")) == 2
    [refusal] = audit_details("records.view_refused")
    assert refusal["reason"] == "bulk export"
