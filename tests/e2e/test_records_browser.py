"""List pages in the browser. A municipality operator searches facility records: htmx swaps the results and
keeps the URL, the pager works, the export downloads a CSV, and nothing breaks the Content-Security-Policy."""
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import browser_sign_in


def test_operator_searches_pages_and_exports_records(live_server, page, smtp):
    server = live_server()
    with server.app.app_context():
        from tests.records.helpers import add_records
        from tests.support.world import build_world

        world = build_world()
        add_records(4000)
        operator = world.city_operator
    csp_errors: list[str] = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    browser_sign_in(page, server, smtp, operator, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    page.get_by_role("link", name="認定設備").click()
    page.wait_for_url("**/records")
    count = page.get_by_test_id("record-count")
    total = count.inner_text()
    assert "買取価格" not in page.locator("thead").inner_text()  # a municipality sees no prices
    page.get_by_role("link", name="次へ").click()
    page.wait_for_url("**/records?page=2")
    assert "2 / " in page.locator(".pager").inner_text()
    page.get_by_label("検索").fill("湘南テスト")
    expect(page.locator("#record-rows tr")).to_have_count(1)
    assert "q=" in page.url  # the search is in the address, so reload and share keep it
    assert "湘南テスト発電所" in page.locator("#record-rows").inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name="この条件の設備をCSVで出力").click()
    body = open(download.value.path(), "rb").read()
    lines = body.decode("utf-8-sig").splitlines()
    assert body.startswith(b"\xef\xbb\xbf") and len(lines) == 2 and lines[1].startswith("MARK-KANAGAWA,")
    assert total != count.inner_text()
    assert not csp_errors


def _grid_operator_on_the_records_page(live_server, page, smtp, records: int) -> None:
    server = live_server()
    with server.app.app_context():
        from tests.records.helpers import add_records
        from tests.support.world import build_world

        world = build_world()
        add_records(records)
        operator = world.grid_operator
    browser_sign_in(page, server, smtp, operator, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    page.goto(server.url + "/records")


def test_a_column_sort_survives_a_filter_change_and_back_restores_the_page(live_server, page, smtp):
    """The sort chosen by a column heading stays when a filter changes next; Back after htmx
    swaps brings the whole page back, not the bare results."""
    _grid_operator_on_the_records_page(live_server, page, smtp, records=600)
    page.locator("thead a", has_text="認定日").click()
    page.wait_for_url("**/records?sort=certified_on")
    page.get_by_label("エネルギー源").select_option("solar")
    page.wait_for_url("**energy=solar**")
    assert "sort=certified_on" in page.url
    page.go_back()
    page.wait_for_url("**/records?sort=certified_on")
    expect(page.locator("nav.menu")).to_be_visible()
    expect(page.locator("#filter-q")).to_be_visible()


def test_keyboard_paging_keeps_the_focus_in_the_results_and_says_where_it_is(live_server, page, smtp):
    """Enter on Next swapped the results and took the link away: the focus fell to <body>, the next
    Tab went to the footer, and a screen reader heard nothing (found by a browser review)."""
    _grid_operator_on_the_records_page(live_server, page, smtp, records=1200)
    total = page.get_by_test_id("record-count").inner_text()
    pages = -(-int(total.split()[0]) // 50)
    assert pages > 3
    focus_in_results = page.locator("#record-results :focus")
    page.get_by_role("link", name="次へ").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/records?page=2")
    expect(page.get_by_test_id("record-count")).to_be_focused()
    expect(page.get_by_test_id("htmx-status")).to_have_text(f"{total}、2 / {pages} ページ（51〜100 件目）")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="この条件の設備をCSVで出力")).to_be_focused()  # not the footer
    page.get_by_role("link", name="次へ").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/records?page=3")
    expect(focus_in_results).to_have_count(1)
    expect(page.get_by_test_id("htmx-status")).to_have_text(f"{total}、3 / {pages} ページ（101〜150 件目）")
    # A sort heading keeps the focus, so Enter again turns the order round.
    page.locator("thead a", has_text="認定日").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/records?sort=certified_on")
    expect(page.get_by_test_id("htmx-status")).to_have_text(f"{total}、1 / {pages} ページ（1〜50 件目）")
    expect(page.locator("#sort-certified_on")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/records?sort=-certified_on")
    expect(page.locator("#sort-certified_on")).to_be_focused()
    expect(page.locator("#sort-certified_on")).to_contain_text("降順")
    # Typing in the search box keeps the focus where the person types.
    page.locator("#filter-q").focus()
    page.keyboard.type("12")
    page.wait_for_url("**q=12**")
    expect(page.get_by_test_id("record-count")).not_to_have_text(total)
    expect(page.locator("#filter-q")).to_be_focused()


def test_leaving_a_typed_search_for_the_export_sends_the_search_once_and_downloads(live_server, page, smtp):
    """Leaving the search field fired "change" too, which sent the typed search a second time; that
    request's history push cancelled the export's download when it came first (a flaky CI run)."""
    _grid_operator_on_the_records_page(live_server, page, smtp, records=300)
    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url) if r.method == "GET" and "/records?" in r.url else None)
    page.get_by_label("検索").fill("湘南テスト")
    expect(page.locator("#record-rows tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("button", name="この条件の設備をCSVで出力").click()
    assert download.value.suggested_filename.endswith(".csv")
    page.wait_for_timeout(600)  # room for a second search, which would come at once on leaving the field
    assert len(searches) == 1, searches


def test_a_pasted_user_search_filters_without_a_key_press(live_server, page, smtp):
    """The users list searched on keyup: text pasted with the mouse sent nothing until the field was left."""
    server = live_server()
    with server.app.app_context():
        from tests.support.world import build_world

        admin = build_world().grid_admin
    browser_sign_in(page, server, smtp, admin, TEST_PASSWORD)
    page.wait_for_url("**/dashboard")
    page.goto(server.url + "/users")
    page.get_by_label("検索").fill("grid-operator2")  # fill fires "input" only, as a paste does
    expect(page.locator("#user-results tbody tr")).to_have_count(1)
    assert "q=grid-operator2" in page.url
