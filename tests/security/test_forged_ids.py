"""IDs typed into query strings beyond what the ID columns hold: the plain page, never a 500.

Found by a PostgreSQL trial: its integer columns end at 2**31 - 1, and a larger value in a
filter was an "integer out of range" error there (SQLite took it)."""
from __future__ import annotations

import pytest

TOO_LARGE = ("2147483648", "9223372036854775807", "9" * 5000)


@pytest.mark.parametrize("value", TOO_LARGE)
@pytest.mark.parametrize("path", ["/admin/audit?organisation={}", "/admin/audit?before={}", "/admin/audit?after={}",
                                  "/applications?organisation={}", "/consent/report?org={}", "/records?page={}", "/records?page=1&q={}",
                                  "/alerts?page={}"])
def test_a_system_administrator_gets_no_server_error(world, browser_for, path, value):
    response = browser_for(world.sysadmin).get(path.format(value))
    assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("value", TOO_LARGE)
def test_a_responsible_person_gets_no_server_error(world, browser_for, value):
    assert browser_for(world.grid_responsible).get(f"/consent/report?org={value}").status_code < 500


def test_an_id_in_the_path_is_written_in_ascii_digits_only(world, browser_for):
    """Found by review: /applications/１ (a full-width digit) opened application No. 1."""
    from tests.applications.steps import add_user_fields, file, filed_id

    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields()))
    responsible = browser_for(world.grid_responsible)
    assert responsible.get(f"/applications/{application_id}").status_code == 200
    wide = "".join(chr(ord(d) + 0xFEE0) for d in str(application_id))
    arabic_indic = "".join(chr(ord(d) - ord("0") + 0x0660) for d in str(application_id))
    for forged in (wide, arabic_indic, f"000{application_id}"):
        assert responsible.get(f"/applications/{forged}").status_code == 404
