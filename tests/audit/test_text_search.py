"""Free text has no index: a text search reads a window of entries per page and goes on when asked."""
from __future__ import annotations

import pytest

from tests.audit.test_audit_log import PAGE, add, ids_of, walk
from webapp.audit.models import AuditEvent
from webapp.extensions import db


@pytest.fixture
def app_settings():
    return {"PORTAL_AUDIT_TEXT_SCAN_ROWS": 20}


@pytest.fixture
def admin(world, browser_for):
    return browser_for(world.sysadmin)


def test_a_text_search_reads_a_window_at_a_time_and_goes_on_when_asked(world, admin, clock):
    for n in range(90):
        add("test.entry", world.grid_operator, target=f"needle {n}" if n % 7 == 0 else f"hay {n}")
    expected = [i for i in ids_of("test.entry") if db.session.get(AuditEvent, i).target.startswith("needle")]
    first = admin.get(PAGE, query_string={"kind": "test.entry", "q": "needle"})
    body = first.get_data(as_text=True)
    assert 'data-testid="audit-partial"' in body and "Search older entries" in body
    found = [i for p in walk(admin, f"{PAGE}?kind=test.entry&q=needle") for i in p]
    assert found == expected  # no match missed or shown twice across the windows
