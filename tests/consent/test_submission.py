"""The consent form as an attacker or a stale browser might post it: refused whole, nothing stored."""
from __future__ import annotations

import json

from sqlalchemy import select

from tests.conftest import csrf_from
from tests.consent.helpers import (
    ITEMS_1, TERMS_1, TERMS_2, acceptance_count, accept_everything, form_values, language_of, publish, publish_all,
    submit,
)
from webapp.audit.models import AuditEvent
from webapp.consent.documents import sha256_text
from webapp.consent.models import ConsentAcceptance
from webapp.extensions import db


def _consent_form(client):
    html = client.get("/consent").get_data(as_text=True)
    versions, items = form_values(html)
    return versions, items, csrf_from(html)


def _rejections() -> list[dict]:
    db.session.expire_all()
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "consent.rejected")).all()
    return [json.loads(r.details) for r in rows]


def test_grid_operator_must_tick_the_grid_item_and_a_city_operator_never_sees_it(app, world, sign_in):
    publish_all()
    grid, city = app.test_client(), app.test_client()
    sign_in(grid, world.grid_operator)
    sign_in(city, world.city_operator)
    _v, grid_items, _c = _consent_form(grid)
    _v, city_items, _c = _consent_form(city)
    assert grid_items == ["terms", "privacy", "purpose", "credentials", "grid-no-retail"]
    assert city_items == ["terms", "privacy", "purpose", "credentials"]


def test_a_missing_item_is_refused_with_its_name_and_nothing_is_stored(client, world, sign_in):
    publish_all()
    sign_in(client, world.grid_operator)
    versions, items, csrf = _consent_form(client)
    response = submit(client, versions, [i for i in items if i != "credentials"], csrf)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "IDとパスワードを他人と共用しません。" in html.split('data-testid="consent-error"')[1].split("</p>")[0]
    assert acceptance_count() == 0
    assert client.get("/dashboard").headers["Location"] == "/consent"
    assert _rejections()[-1]["missing"] == ["credentials"]


def test_a_missing_document_box_names_the_document(client, world, sign_in):
    publish_all()
    sign_in(client, world.city_operator)
    versions, items, csrf = _consent_form(client)
    response = submit(client, versions, [i for i in items if i != "privacy"], csrf)
    assert response.status_code == 400
    error = response.get_data(as_text=True).split('data-testid="consent-error"')[1].split("</p>")[0]
    assert "1.0" in error and ("プライバシーポリシー" in error or "Privacy policy" in error)
    assert acceptance_count() == 0


def test_the_boxes_not_ticked_are_listed_with_the_readers_punctuation(client, world, sign_in):
    """Found by a browser review: the English error read "Not ticked: A、「…」" with Japanese commas and
    brackets; Japanese keeps them."""
    from webapp.i18n import LOCALE_COOKIE

    publish_all()
    sign_in(client, world.grid_operator)
    for language, listed in (
        ("ja", "チェックされていない項目：プライバシーポリシー 第1.0版、「IDとパスワードを他人と共用しません。」"),
        ("en", "Not ticked: Privacy policy version 1.0, “IDとパスワードを他人と共用しません。”"),
    ):
        client.set_cookie(LOCALE_COOKIE, language)
        versions, items, csrf = _consent_form(client)
        response = submit(client, versions, [i for i in items if i not in {"privacy", "credentials"}], csrf)
        error = response.get_data(as_text=True).split('data-testid="consent-error"')[1].split("</p>")[0]
        assert error.endswith(listed), error
    assert acceptance_count() == 0


def test_unknown_item_ids_are_refused(client, world, sign_in):
    publish_all()
    sign_in(client, world.city_operator)
    versions, items, csrf = _consent_form(client)
    # The grid-only item is a real ID, but not one this organisation was shown.
    for extra in ("no-such-item", "grid-no-retail", "<script>", "x" * 5000, "\u0000"):
        response = submit(client, versions, items + [extra], csrf)
        assert response.status_code == 400, extra[:20]
    assert acceptance_count() == 0


def test_an_old_or_forged_version_id_is_refused(client, world, sign_in):
    old = publish("terms", "1.0", TERMS_1)
    publish("terms", "1.1", TERMS_2)  # same day: 1.1 is the one in force
    sign_in(client, world.grid_operator)
    versions, items, csrf = _consent_form(client)
    assert versions != [str(old.id)]
    for forged in ([str(old.id)], [str(old.id), *versions], ["999999"], ["abc"]):
        response = submit(client, forged, items, csrf)
        assert response.status_code == 409, forged
        assert 'data-testid="consent-error"' in response.get_data(as_text=True)
    assert acceptance_count() == 0


def test_a_form_replayed_after_a_newer_version_took_effect_is_refused(app, client, world, sign_in, clock):
    publish("terms", "1.0", TERMS_1)
    sign_in(client, world.grid_operator)
    versions, items, csrf = _consent_form(client)
    publish("terms", "1.1", TERMS_2)  # in force at once, while the user still has 1.0 open
    response = submit(client, versions, items, csrf)
    assert response.status_code == 409
    assert acceptance_count() == 0
    # The page now shows 1.1; accepting that works.
    assert "電子メールで通知して" in response.get_data(as_text=True)
    assert accept_everything(client).status_code == 303
    assert acceptance_count() == 1


def test_a_form_with_only_the_boxes_accepts_what_is_in_force(client, world, sign_in):
    """SPEC §10 names the `item` checkboxes and `csrf_token`: a client that posts just those (no
    hidden version fields) consents to the versions in force, and a missing box is still refused."""
    documents = publish_all()
    sign_in(client, world.grid_operator)
    _versions, items, csrf = _consent_form(client)
    missing = submit(client, [], [i for i in items if i != "grid-no-retail"], csrf)
    assert missing.status_code == 400 and acceptance_count() == 0
    assert submit(client, [], items, csrf).status_code == 303
    db.session.expire_all()
    assert {r.version_id for r in db.session.scalars(select(ConsentAcceptance))} == {d.id for d in documents.values()}
    assert client.get("/dashboard").status_code == 200


def test_accepted_form_stores_the_evidence(client, world, sign_in):
    documents = publish_all()
    client.environ_base["HTTP_USER_AGENT"] = "ConsentTest/1.0"  # the browser's, from its sign-in on
    sign_in(client, world.grid_operator)
    versions, items, csrf = _consent_form(client)
    response = submit(client, versions, items, csrf)
    assert response.status_code == 303
    db.session.expire_all()
    rows = {r.version_id: r for r in db.session.scalars(select(ConsentAcceptance))}
    assert set(rows) == {d.id for d in documents.values()}
    terms = rows[documents["terms"].id]
    assert terms.user_id == world.grid_operator.id
    assert terms.text_sha256 == sha256_text(TERMS_1.strip("\n"))
    assert terms.item_list == ["terms"]
    assert terms.user_agent == "ConsentTest/1.0"
    assert terms.ip == "127.0.0.1"
    items_row = rows[documents["items"].id]
    assert items_row.item_list == ["purpose", "credentials", "grid-no-retail"]
    assert "grid-no-retail" in ITEMS_1
    assert len(items_row.text_sha256) == 64
    accepted = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "consent.accepted")).all()
    assert len(accepted) == 1


def test_the_user_sees_what_they_accepted_and_when(client, world, sign_in):
    publish_all()
    sign_in(client, world.grid_operator)
    accept_everything(client)
    page = client.get("/consent/history").get_data(as_text=True)
    assert "2025-06-10 10:00" in page
    # The statements ticked, in the words they were shown in; the documents themselves whole.
    ticked = page.split('<ul class="ticked"')[1].split("</ul>")[0]
    assert ticked.count("<li>") == 3
    assert "本システムを目的の範囲内でのみ利用します。" in ticked and "閲覧した設備情報を小売事業に利用しません。" in ticked
    assert "grid-no-retail" not in page
    assert page.count("全文") == 2  # terms and privacy (this client reads Japanese)
    assert page.count("<tr>") == 4  # header + three documents


def test_the_items_are_marked_japanese_on_an_english_page(client, world, sign_in):
    """Found by a browser review: on an English page the items' preamble, the boxes' labels and the
    history's list of what was ticked were read as English (the documents were already marked)."""
    from webapp.i18n import LOCALE_COOKIE

    publish_all()
    client.set_cookie(LOCALE_COOKIE, "en")
    sign_in(client, world.grid_operator)
    page = client.get("/consent").get_data(as_text=True)
    for text in ("次の事項に同意してください。", "本システムを目的の範囲内でのみ利用します。",
                 "IDとパスワードを他人と共用しません。", "閲覧した設備情報を小売事業に利用しません。"):
        assert language_of(page, text) == ["ja"], text
    assert language_of(page, "Tick every item you agree to") == ["en"]
    accept_everything(client)
    history = client.get("/consent/history").get_data(as_text=True)
    assert language_of(history, "本システムを目的の範囲内でのみ利用します。") == ["ja"]
    assert language_of(history, "The whole document") == ["en", "en"]


def test_evidence_cannot_be_edited_or_deleted(client, world, sign_in):
    import pytest

    publish_all()
    sign_in(client, world.grid_operator)
    accept_everything(client)
    row = db.session.scalars(select(ConsentAcceptance)).first()
    row.item_ids = "nothing"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(ConsentAcceptance)).first())
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def stored_consents(user_id: int) -> tuple[int, int]:
    """(evidence rows of this person, consent.accepted entries), as the database holds them now."""
    from sqlalchemy import func

    from tests.applications.steps import reading

    with reading() as session:
        rows = session.scalar(select(func.count()).select_from(ConsentAcceptance)
                              .where(ConsentAcceptance.user_id == user_id))
        entries = session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.kind == "consent.accepted", AuditEvent.actor_id == user_id))
    return rows, entries


def test_the_form_sent_twice_at_once_is_stored_once(app, world, sign_in):
    """A double click, or two tabs: one piece of evidence per document, one audit entry."""
    from tests.support.races import at_once, same_browser

    publish_all()
    first = app.test_client()
    sign_in(first, world.grid_operator)
    page = first.get("/consent").get_data(as_text=True)
    versions, items = form_values(page)
    data = {"version": versions, "item": items, "csrf_token": csrf_from(page)}
    second = same_browser(app, first)
    answers = at_once(lambda: first.post("/consent", data=data), lambda: second.post("/consent", data=data))
    assert [answer.status_code for answer in answers] == [303, 303]  # both people see "recorded"
    assert stored_consents(world.grid_operator.id) == (3, 1)


def test_the_form_sent_again_after_it_was_accepted_stores_nothing_more(client, world, sign_in):
    publish_all()
    sign_in(client, world.grid_operator)
    page = client.get("/consent").get_data(as_text=True)
    versions, items = form_values(page)
    data = {"version": versions, "item": items, "csrf_token": csrf_from(page)}
    assert client.post("/consent", data=data).status_code == 303
    again = client.post("/consent", data=data)  # the browser's back button and a second send
    assert again.status_code == 303 and again.headers["Location"] == "/dashboard"
    assert stored_consents(world.grid_operator.id) == (3, 1)


def test_the_form_of_boxes_only_sent_twice_is_not_called_outdated(client, world, sign_in):
    """SPEC §10 names only the `item` boxes: a client posting them twice (found by a PostgreSQL
    trial, where the two overlapped) was told the documents had been revised, which was untrue."""
    publish_all()
    sign_in(client, world.grid_operator)
    page = client.get("/consent").get_data(as_text=True)
    _versions, items = form_values(page)
    data = {"item": items, "csrf_token": csrf_from(page)}
    assert client.post("/consent", data=data).status_code == 303
    again = client.post("/consent", data=data)
    assert again.status_code == 303 and again.headers["Location"] == "/dashboard"
    assert stored_consents(world.grid_operator.id) == (3, 1)
