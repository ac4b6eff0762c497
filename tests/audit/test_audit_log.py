"""The audit log page (SPEC §1, §7): system administrators read every entry, newest first,
narrow it with filters, page back through it without repeats or gaps; reading it is audited."""
from __future__ import annotations

import html
import json
import re
from datetime import datetime
from typing import Any

import pytest
from tests.auth.steps import audit_events
from webapp.audit import service
from webapp.audit.models import AuditEvent
from webapp.audit.service import Origin
from webapp.clock import JST
from webapp.extensions import db

PAGE = "/admin/audit"
FROM_THE_DOOR = Origin(ip="198.51.100.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) AuditTest/1.0")


def entry_ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(i) for i in re.findall(r'data-entry-id="(\d+)"', response.get_data(as_text=True))]


def link(response: Any, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)"[^>]*rel="{rel}"', response.get_data(as_text=True))
    return html.unescape(match.group(1)) if match else None


def messages(response: Any) -> list[str]:
    return [html.unescape(m.strip()) for m in
            re.findall(r'data-testid="audit-error">([^<]+)<', response.get_data(as_text=True))]


def add(kind: str, user: Any = None, target: str = "", **details: Any) -> None:
    service.record(kind, origin=FROM_THE_DOOR, actor_id=user.id if user else None,
                   organisation_id=user.organisation_id if user else None, target=target, **details)
    db.session.commit()


def ids_of(*kinds: str) -> list[int]:
    """The entries of these kinds as the page should list them: newest first."""
    db.session.expire_all()
    return [e.id for e in sorted(audit_events(*kinds), key=lambda e: (e.at, e.id), reverse=True)]


def walk(client: Any, url: str, rel: str = "next") -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url)
        pages.append(entry_ids(response))
        url = link(response, rel)  # type: ignore[assignment]
        assert len(pages) < 50, "the pager does not end"
    return pages


@pytest.fixture
def admin(world, browser_for):
    return browser_for(world.sysadmin)


def test_a_system_administrator_reads_every_entry_newest_first_with_who_where_and_what(world, admin, clock):
    add("login.failed", world.grid_operator, target=world.grid_operator.login_id, reason="bad_password")
    clock.advance(minutes=1)
    add("records.exported", world.city_operator, target="records.csv", rows=1200)
    expected = ids_of()[:50]
    response = admin.get(PAGE)
    page = response.get_data(as_text=True)
    shown = entry_ids(response)
    assert shown == expected and len(shown) >= 2
    newest = html.unescape(page.split('data-entry-id="')[1])  # the export, with the city's name and the JSON details
    assert "records.exported" in newest and "city-operator 氏名" in newest and world.city_operator.login_id in newest
    assert "テスト市" in newest and "198.51.100.7" in newest and '"rows": 1200' in newest
    assert "2025-06-10 10:01:00" in newest  # Japan time
    assert 'title="Mozilla/5.0 (X11; Linux x86_64) AuditTest/1.0"' in newest  # shortened, full on hover
    assert f'href="{PAGE}"' in admin.get("/dashboard").get_data(as_text=True)  # in the navigation


def test_filters_narrow_the_list(world, admin, clock):
    add("login.failed", world.grid_operator, target=world.grid_operator.login_id, reason="bad_password")
    add("login.code_failed", world.grid_operator, attempts=2)
    add("records.viewed", world.city_operator, target="records?page=2", count=50)
    add("records.viewed", world.grid_operator2, target="100%_done", count=50)

    def shown(**args: Any) -> set[str]:
        response = admin.get(PAGE, query_string=args)
        return {e.kind + ":" + str(e.actor_id) for e in map(lambda i: db.session.get(AuditEvent, i), entry_ids(response))}

    grid_op, city_op = world.grid_operator.id, world.city_operator.id
    assert shown(kind="login.failed") == {f"login.failed:{grid_op}"}
    assert shown(kind="login.", actor=world.grid_operator.login_id) == {f"login.failed:{grid_op}", f"login.code_failed:{grid_op}"}
    assert shown(actor=world.city_operator.login_id.upper()) == {f"records.viewed:{city_op}"}  # any case
    assert shown(kind="records.viewed", organisation=world.city.id) == {f"records.viewed:{city_op}"}
    assert shown(q="page=2") == {f"records.viewed:{city_op}"}
    assert shown(q="bad_pass") == {f"login.failed:{grid_op}"}  # inside the JSON details
    assert shown(q="%") == {f"records.viewed:{world.grid_operator2.id}"}  # a wildcard is just a character
    assert shown(q="_d") == {f"records.viewed:{world.grid_operator2.id}"}
    assert shown(kind="nothing.like.this") == set()
    response = admin.get(PAGE, query_string={"actor": "u-nobody"})
    assert entry_ids(response) == [] and messages(response) == ["No user has the login ID u-nobody."]


def test_the_date_range_is_in_japan_time(world, browser_for, clock):
    clock.set(datetime(2025, 6, 10, 23, 59, tzinfo=JST))  # 14:59 UTC, still the 10th in Japan
    add("hours.refused", world.grid_operator, target="late")
    clock.set(datetime(2025, 6, 11, 0, 1, tzinfo=JST))
    add("hours.refused", world.grid_operator, target="early")
    admin = browser_for(world.sysadmin)

    def targets(**args: str) -> list[str]:
        return [db.session.get(AuditEvent, i).target
                for i in entry_ids(admin.get(PAGE, query_string={"kind": "hours.refused", **args}))]

    assert targets(**{"from": "2025-06-10", "to": "2025-06-10"}) == ["late"]
    assert targets(**{"from": "2025-06-11"}) == ["early"]
    assert targets(to="2025-06-11") == ["early", "late"]
    assert targets(**{"from": "2025-06-12"}) == []


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login_page(world, client):
    response = client.get(PAGE)
    assert response.status_code in {302, 303} and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["grid_responsible", "grid_operator", "grid_admin", "city_responsible"])
def test_nobody_but_a_system_administrator_reads_the_log(world, browser_for, who):
    client = browser_for(getattr(world, who))
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE, headers={"HX-Request": "true"}).status_code == 403
    assert PAGE not in client.get("/dashboard").get_data(as_text=True)
    assert audit_events("audit.viewed") == []


def test_paging_back_and_forth_shows_every_entry_once(world, admin, clock):
    # 130 entries of two kinds, several within one instant (the id settles their order).
    for n in range(130):
        add("test.even" if n % 2 == 0 else "test.odd", world.grid_operator, target=f"entry {n}")
        if n % 3 == 0:
            clock.advance(seconds=1)
    expected = ids_of("test.even", "test.odd")
    pages = walk(admin, f"{PAGE}?kind=test.")
    assert [len(p) for p in pages] == [50, 50, 30]
    assert [i for p in pages for i in p] == expected
    # And back again through "Newer" from the last page, with the same pages.
    last_page = admin.get(f"{PAGE}?kind=test.&before={pages[1][-1]}")
    back = walk(admin, link(last_page, "prev"), rel="prev")  # type: ignore[arg-type]
    assert back == [pages[1], pages[0]]
    # One kind alone: the odd ones, in order.
    odd = [i for p in walk(admin, f"{PAGE}?kind=test.odd") for i in p]
    assert odd == ids_of("test.odd")


def test_paging_the_whole_log_while_it_grows(world, admin, clock):
    for n in range(70):
        add("test.entry", world.grid_operator, target=f"entry {n}")
    before = ids_of()
    seen = [i for p in walk(admin, PAGE) for i in p]  # each page view appends an entry meanwhile
    assert seen == before


@pytest.mark.parametrize("args, message", [
    ({"from": "2025-13-45"}, "Start date: enter a date as YYYY-MM-DD. This condition was not applied."),
    ({"to": "yesterday"}, "End date: enter a date as YYYY-MM-DD. This condition was not applied."),
    ({"from": "99999-01-01"}, "Start date: enter a date as YYYY-MM-DD. This condition was not applied."),
    ({"from": "1900-01-01"}, "Start date: enter a date between 2000-01-01 and 2999-12-31. This condition was not applied."),
    ({"to": "２０２５-０６-１０"}, None),  # full-width digits are read as the date they are
    ({"from": "2025-06-11", "to": "2025-06-10"}, "The start date is after the end date: no entry can match."),
    ({"kind": "login'; DROP TABLE audit_events;--"}, "An event kind has only letters, digits, dots and underscores"),
    ({"kind": "login\x00.failed"}, None),
    ({"q": "\x00" * 10 + "<script>alert(1)</script>"}, None),
    ({"q": "x" * 100_000, "actor": "y" * 5000, "kind": "z" * 5000}, None),
    ({"actor": "\x00"}, None),
    ({"organisation": "abc"}, None),
    ({"organisation": "99999999999999999999999"}, None),
    ({"before": "999999999"}, None),
    ({"before": "-5"}, None),
    ({"before": "1e30"}, None),
    ({"after": "99999999999999999999999999"}, None),
    ({"before": "１２"}, None),
])
def test_bad_input_gives_a_message_or_the_plain_list_never_an_error(world, admin, args, message):
    response = admin.get(PAGE, query_string=args)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text
    if message is None:
        assert not any("date" in m or "kind" in m for m in messages(response))
    else:
        assert any(m.startswith(message) for m in messages(response)), messages(response)
    assert admin.get(PAGE, query_string=args, headers={"HX-Request": "true"}).status_code == 200


def test_a_forged_cursor_shows_the_newest_page(world, admin):
    newest = ids_of()[:50]
    assert entry_ids(admin.get(PAGE, query_string={"before": "999999999"})) == newest


def test_reading_the_log_is_itself_audited_with_its_filters(world, admin, clock):
    admin.get(PAGE, query_string={"kind": "login.", "actor": world.grid_operator.login_id, "q": "bad",
                                  "from": "2025-06-01", "organisation": str(world.grid.id)})
    [viewed] = audit_events("audit.viewed")
    assert viewed.actor_id == world.sysadmin.id and viewed.organisation_id == world.sysadmin.organisation_id
    details = json.loads(viewed.details)
    assert details == {"filters": {"kind": "login.", "actor": world.grid_operator.login_id, "q": "bad",
                                   "from": "2025-06-01", "organisation": world.grid.id}, "shown": 0}
    assert service.verify_chain().intact


def test_an_htmx_request_gets_only_the_results(world, admin):
    add("login.failed", world.grid_operator, reason="bad_password")
    response = admin.get(PAGE, query_string={"kind": "login.failed"}, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and entry_ids(response) == ids_of("login.failed")
    assert "<html" not in body and "<form" not in body and 'data-testid="audit-entries"' in body
    full = admin.get(PAGE).get_data(as_text=True)
    assert "<html" in full and 'hx-target="#audit-results"' in full and 'id="audit-results"' in full


def test_no_page_counts_the_log(world, admin):
    """A million entries: pages walk an index from a cursor, they never count the table."""
    from sqlalchemy import event

    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        admin.get(PAGE, query_string={"kind": "login."})
        admin.get(PAGE, query_string={"q": "x"})
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert statements and not any("count(" in s.lower() for s in statements)


def test_markup_in_the_log_is_shown_as_text(browser_for, world):
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    admin = browser_for(world.sysadmin)  # signed in first: the hostile entry is then the newest
    service.record("records.viewed", origin=Origin(ip="198.51.100.9", user_agent=hostile * 2),
                   actor_id=world.city_operator.id, organisation_id=world.city.id, target=hostile, note=hostile)
    db.session.commit()
    page = admin.get(PAGE, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<script>" not in page and "<img" not in page and "onerror=alert(2)>" not in page
    row = page.split('data-entry-id="')[1].split("</tr>")[0]
    assert html.escape(hostile) in row  # the target, as text
    assert 'title="' + html.escape(hostile * 2) + '"' in row  # the whole user agent in the title
    from webapp.audit.table import AGENT_SHOWN

    assert html.escape(hostile[:AGENT_SHOWN - 1]) + "…" in row  # the cell shows its first characters


def test_each_entry_says_in_words_what_happened_beside_its_kind(world, admin, clock):
    from webapp.i18n import LOCALE_COOKIE

    add("login.failed", world.grid_operator, target=world.grid_operator.login_id, reason="wrong_password")
    clock.advance(minutes=1)
    add("application.approved", world.grid_responsible, target="42")
    clock.advance(minutes=1)
    add("future.kind", world.grid_operator)  # a kind this version has no words for: the code alone
    english = admin.get(PAGE).get_data(as_text=True)
    rows = english.split('data-entry-id="')[1:4]
    assert "<code>future.kind</code>" in rows[0] and "<br>" not in rows[0].split("</td>")[1]
    assert "Application approved" in rows[1] and "<code>application.approved</code>" in rows[1]
    assert "Sign-in failed" in rows[2] and "<code>login.failed</code>" in rows[2]
    assert '<option value="login.failed" label="Sign-in failed">' in english  # the kind field's suggestions
    admin.set_cookie(LOCALE_COOKIE, "ja")
    japanese = admin.get(PAGE).get_data(as_text=True)
    assert "申請承認" in japanese and "ログイン失敗" in japanese


def test_every_kind_the_portal_writes_has_words():
    """Kinds are literals at the call sites (one is built from an application's decision)."""
    from pathlib import Path

    from webapp.applications.models import DECISIONS
    from webapp.audit.kinds import KIND_LABELS

    call = re.compile(r"(?:audit\.record|\b_audit|\b_record|\brecord|\brecord_refusal)\(\s*\"([a-z_]+(?:\.[a-z_]+)?)\"")
    conditional = re.compile(r"\"([a-z]+\.[a-z_]+)\" if [^\n]+ else \"([a-z]+\.[a-z_]+)\"")
    written = set()
    for source in Path(service.__file__).parents[1].rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        written.update(call.findall(text))
        for pair in conditional.findall(text):
            written.update(kind for kind in pair if kind.split(".")[0] in {"session", "hours"})
    written.update(f"application.{state}" for state in DECISIONS.values())
    assert {"login.succeeded", "logout", "session.expired", "hours.custom_profile_created"} <= written
    assert sorted(written - set(KIND_LABELS)) == []


def test_a_page_of_the_log_says_which_span_it_shows(world, admin, clock):
    """After Older or Newer the focus comes back to the entries and static/app.js reads this out:
    the log is never counted, so nothing else on the page tells a screen reader the page changed."""
    for n in range(60):
        add("test.entry", world.grid_operator, target=f"entry {n}")
        clock.advance(seconds=10)
    first = admin.get(f"{PAGE}?kind=test.", headers={"HX-Request": "true"})
    said = 'data-announce="Entries from 2025-06-10 10:09:50 back to 2025-06-10 10:01:40"'
    assert said in first.get_data(as_text=True)
    older = admin.get(link(first, "next"), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-announce="Entries from 2025-06-10 10:01:30 back to 2025-06-10 10:00:00"' in older
    assert "data-swap-focus" in older
    none = admin.get(f"{PAGE}?kind=test.nothing", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-announce="No entries match."' in none
