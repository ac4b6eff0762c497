"""In English (longer headings than Japanese) at a phone's, a small laptop's and a tablet's width,
the pages with the widest tables never scroll sideways as a whole: a table wider than the column
scrolls inside its own box, and no hidden label sticks out of it."""
from __future__ import annotations

from datetime import datetime

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in
from webapp.clock import JST

WIDTHS = (375, 800, 1024)
PAGE_SCROLL = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
BOX_OF_TABLE = """(table) => {
  const box = table.parentElement;
  return {overflow: getComputedStyle(box).overflowX, scrolls: box.scrollWidth > box.clientWidth};
}"""


def test_wide_tables_scroll_inside_their_box_not_the_page(live_server, browser, smtp, clock):
    server = live_server()
    with server.app.app_context():
        from sqlalchemy import select

        from tests.support.world import build_world
        from webapp.applications import service as applications
        from webapp.applications.drafts import Draft
        from webapp.audit import service as audit
        from webapp.extensions import db
        from webapp.notices import service as notices
        from webapp.review import service as reviews
        from webapp.review.models import AccessReview

        world = build_world()  # 10 June 2025
        operator = world.grid_operator
        audit.record("records.viewed", actor_id=operator.id, organisation_id=world.grid.id, shown=50, ids=[])
        db.session.commit()
        notices.post(world.sysadmin, "maintenance", "Planned maintenance of the records service",
                     "From 02:00 to 04:00.", "", audit.SYSTEM)
        applications.submit(world.grid_admin, Draft(kind="add", name="Hanako Browser", department="Wheeling",
                                                    email="hanako.browser@test.example", roles=["operator"],
                                                    natural_person=True), audit.SYSTEM)
        clock.set(datetime(2025, 7, 1, 9, 0, tzinfo=JST))  # June's reviews are open
        reviews.open_reviews()
        review_id = db.session.scalars(select(AccessReview.id).where(
            AccessReview.organisation_id == world.grid.id)).one()
        admin, organisation = world.sysadmin, world.grid.id
    paths = (f"/reviews/{review_id}", f"/reviews/{review_id}/people/{operator.login_id}", "/reviews",
             "/admin/notices", "/admin/audit", "/applications", "/users", f"/admin/organisations/{organisation}",
             "/account/sessions")
    context = browser.new_context(locale="en-US", viewport={"width": WIDTHS[0], "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    browser_sign_in(page, server, smtp, admin, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    page.goto(f"{server.url}/lang/en?next=/dashboard")
    too_wide = {}
    review_table = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            response = page.goto(server.url + path)
            assert response is not None and response.status == 200, path
            assert page.locator("html").get_attribute("lang") == "en"
            scroll_width, client_width = page.evaluate(PAGE_SCROLL)
            if scroll_width > client_width:
                too_wide[(width, path)] = scroll_width
            if path == f"/reviews/{review_id}":
                review_table[width] = page.get_by_test_id("review-report").evaluate(BOX_OF_TABLE)
    context.close()
    assert too_wide == {}
    # The review's eleven columns do not fit 800 px: they are all there, a sideways scroll away.
    assert review_table[800] == {"overflow": "auto", "scrolls": True}
