"""The lists filter, sort and page; htmx gets the fragment, everyone else the full page."""
from __future__ import annotations

import re

from tests.applications import steps
from tests.applications.steps import text_of
from webapp.applications import drafts, service
from webapp.audit.service import SYSTEM
from webapp.extensions import db

HTMX = {"HX-Request": "true"}


def many(world, count):
    for number in range(count):
        service.submit(world.grid_admin, drafts.Draft(kind="add", name=f"候補 {number:02d}", email=f"c{number}@test.example",
                                                      roles=["operator"], natural_person=True), SYSTEM)
    service.submit(world.grid_admin, drafts.Draft(kind="suspend", target=world.grid_operator.login_id), SYSTEM)
    db.session.close()


def rows(response):
    return re.findall(r'<a href="/applications/(\d+)">', response.get_data(as_text=True))


def test_htmx_gets_the_fragment_and_a_browser_the_full_page(world, browser_for):
    many(world, 2)
    responsible = browser_for(world.grid_responsible)
    full = responsible.get("/applications?kind=suspend")
    fragment = responsible.get("/applications?kind=suspend", headers=HTMX)
    assert "<html" in full.get_data(as_text=True) and 'hx-get="/applications"' in full.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert rows(full) == rows(fragment) and len(rows(fragment)) == 1


def test_filters_search_sort_and_pages(world, browser_for):
    many(world, 25)
    responsible = browser_for(world.grid_responsible)
    first = responsible.get("/applications?kind=add&sort=subject")
    assert "25 applications" in text_of(first)
    assert len(rows(first)) == 20 and "候補 00" in text_of(first)
    second = responsible.get("/applications?kind=add&sort=subject&page=2", headers=HTMX)
    assert len(rows(second)) == 5 and "候補 24" in text_of(second)
    # Said to screen readers too, not only drawn (found by UI reviews): the sort in words, and where
    # the page is, which static/app.js reads out after the swap (the count alone stays the same).
    page = second.get_data(as_text=True)
    assert '<span class="visually-hidden">(sorted ascending)</span>' in page
    assert 'data-announce="25 applications, page 2 of 2, rows 21–25"' in page
    reverse = responsible.get("/applications?kind=add&sort=-subject")
    assert text_of(reverse).index("候補 24") < text_of(reverse).index("候補 23")
    searched = responsible.get("/applications?q=c7@test")
    assert " 1 application " in text_of(searched) and "候補 07" in text_of(searched)
    by_login_id = responsible.get(f"/applications?q={world.grid_operator.login_id}")
    assert " 1 application " in text_of(by_login_id)
    assert "0 applications" in text_of(responsible.get("/applications?state=approved"))
    assert "26 applications" in text_of(responsible.get("/applications?state=open"))


def test_tampered_queries_get_the_plain_list_never_an_error(world, browser_for):
    many(world, 1)
    admin = browser_for(world.grid_admin)
    for query in ("page=abc", "page=-5", "sort=id;DROP", "state=<script>", "kind=%00", "organisation=x",
                  "q=%25%25%25", "q=_", "q=" + "長" * 500, "page=99999999999999999999"):
        response = admin.get("/applications?" + query)
        assert response.status_code == 200, query
    sysadmin = browser_for(world.sysadmin)
    for path in ("/applications", "/users"):
        for value in ("99999999999999999999", "-1", "0"):
            assert sysadmin.get(f"{path}?organisation={value}").status_code == 200, (path, value)
    assert "0 applications" in text_of(admin.get("/applications?q=%25"))


def test_the_dashboard_counts_what_awaits_the_approver(world, browser_for):
    many(world, 3)
    page = browser_for(world.grid_responsible).get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-testid="pending-count">4<', page)
    other = browser_for(world.city_responsible).get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-testid="pending-count">0<', other)
    assert "pending-count" not in browser_for(world.grid_operator).get("/dashboard").get_data(as_text=True)


def test_user_list_filters_and_fragment(world, browser_for):
    steps.update_user(world.grid_operator2.login_id, status="suspended")
    admin = browser_for(world.grid_admin)
    everyone = text_of(admin.get("/users"))
    assert "4 users" in everyone and world.city_operator.login_id not in everyone
    suspended = admin.get("/users?status=suspended", headers=HTMX)
    assert "<html" not in suspended.get_data(as_text=True) and " 1 user " in text_of(suspended)
    assert " 1 user " in text_of(admin.get("/users?role=responsible"))
    assert " 1 user " in text_of(admin.get("/users?q=grid-admin@"))
    assert "4 users" in text_of(admin.get("/users?role=sys"))  # unknown role: the plain list
    sysadmin = browser_for(world.sysadmin)
    assert "3 users" in text_of(sysadmin.get(f"/users?organisation={world.city.id}"))


def test_a_login_id_typed_in_full_width_finds_the_user_and_its_applications(world, browser_for):
    """IMEs type full-width letters; sign-in accepts them (NFKC), and so do the list searches."""
    login_id = world.grid_operator.login_id
    typed = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in login_id)
    admin = browser_for(world.grid_admin)
    found = text_of(admin.get("/users", query_string={"q": typed}))
    assert " 1 user " in found and login_id in found
    assert text_of(admin.get("/applications", query_string={"q": typed})) == \
        text_of(admin.get("/applications", query_string={"q": login_id}))
