"""Free-text search of facility records: the trigram index (SQLite) finds exactly what a substring
scan finds, in the fields the viewer sees, and stays in step with imports."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.records.helpers import add_records, shown_ids
from webapp.extensions import db
from webapp.records.loading import store
from webapp.records.models import FacilityRecord

# Fields a grid operator sees among the searched ones (not the representative's name).
GRID_SEARCHED = ("facility_id", "operator_name", "plant_name", "location_address")


@pytest.fixture
def records(world):
    return add_records(600)


def _expected(text: str) -> list[str]:
    """What a person would find by reading every row of the Tokyo area (case-blind for ASCII)."""
    rows = db.session.scalars(select(FacilityRecord).where(FacilityRecord.supply_area == "tokyo"))
    needle = text.lower()
    return sorted(r.facility_id for r in rows if any(needle in (getattr(r, k) or "").lower() for k in GRID_SEARCHED))


def _all_ids(client, text: str) -> list[str]:
    ids, page = [], 1
    while True:
        html = client.get("/records", query_string={"q": text, "page": page}).get_data(as_text=True)
        ids += shown_ids(html)
        if 'rel="next"' not in html:
            return sorted(ids)
        page += 1


@pytest.mark.parametrize("text", ["みどり", "第3発電所", "合同会社グリーン", "SYN00000", "syn0000001", "MARK-GUNMA",
                                  "丁目1-1", "茨城県", "みど", "光", "=HYPERLINK", "nothing-like-this"])
def test_the_index_finds_what_reading_every_row_finds(browser_for, world, records, text):
    expected = _expected(text)
    assert _all_ids(browser_for(world.grid_operator), text) == expected
    if text in ("みどり", "第3発電所", "茨城県"):
        assert expected  # the comparison is not between two empty lists


@pytest.mark.parametrize("text", ['"', '""', 'みどり" OR "さくら', "NEAR(みどり さくら)", "みどり*", "^みどり",
                                  "{representative_name}: 代表者", "plant_name:みどり", "AND", "'; DROP TABLE x; --"])
def test_search_syntax_in_the_text_is_taken_literally(browser_for, world, records, text):
    response = browser_for(world.grid_operator).get("/records", query_string={"q": text})
    assert response.status_code == 200
    assert sorted(shown_ids(response.get_data(as_text=True))) == _expected(text)[:50]


def test_the_index_follows_imports_and_updates(browser_for, world, records):
    client = browser_for(world.grid_operator)
    assert shown_ids(client.get("/records?q=新しい名前の発電所").get_data(as_text=True)) == []
    marked = db.session.scalar(select(FacilityRecord).where(FacilityRecord.facility_id == "MARK-GUNMA"))
    row = {c: getattr(marked, c) for c in ("facility_id", "operator_name", "representative_name", "operator_address",
                                           "certified_on", "operation_started_on", "purchase_price", "purchase_end",
                                           "energy_source", "capacity_kw", "prefecture", "location_address",
                                           "supply_area", "panel_maker", "panel_model")}
    store([{**row, "plant_name": "新しい名前の発電所"}])
    db.session.commit()
    assert shown_ids(client.get("/records?q=新しい名前の発電所").get_data(as_text=True)) == ["MARK-GUNMA"]
    assert shown_ids(client.get("/records?q=HYPERLINK").get_data(as_text=True)) == []


def test_after_a_load_the_triggers_keep_the_index_in_step_again(browser_for, world, records):
    marked = db.session.scalar(select(FacilityRecord).where(FacilityRecord.facility_id == "MARK-KANAGAWA"))
    marked.plant_name = "改名後のテスト発電所"  # an ordinary update, after add_records() loaded in bulk
    db.session.commit()
    client = browser_for(world.grid_operator)
    assert shown_ids(client.get("/records?q=改名後のテスト").get_data(as_text=True)) == ["MARK-KANAGAWA"]
    assert shown_ids(client.get("/records?q=湘南テスト発電所").get_data(as_text=True)) == []


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("typed", ["ＭＡＲＫ－ＧＵＮＭＡ", "ｍａｒｋ－ｇｕｎ", "ＭＡＲＫ－Ｇ"])
def test_an_id_typed_in_full_width_by_an_ime_is_found(browser_for, world, records, typed):
    assert shown_ids(browser_for(world.grid_operator).get("/records", query_string={"q": typed})
                     .get_data(as_text=True)) == ["MARK-GUNMA"]


def test_full_width_text_stored_as_such_is_still_found_as_typed(browser_for, world, records):
    """Japanese addresses often carry full-width digits: typing them finds them, and so does the
    half-width form's full-width twin (the query's own NFKC form is only added, never swapped in)."""
    marked = db.session.scalar(select(FacilityRecord).where(FacilityRecord.facility_id == "MARK-KANAGAWA"))
    marked.location_address = "藤沢市辻堂１丁目２３番"
    db.session.commit()
    client = browser_for(world.grid_operator)
    for typed in ("辻堂１丁目２３", _full_width("MARK-KANAGAWA")):
        assert shown_ids(client.get("/records", query_string={"q": typed}).get_data(as_text=True)) == ["MARK-KANAGAWA"]


@pytest.mark.parametrize("typed", ["ソーラーパワー", "ﾊﾟﾜｰ合同", "パワ", "ｿｰﾗｰﾊﾟﾜｰ"])
def test_katakana_imported_in_half_width_is_found_by_what_an_ime_types(browser_for, world, records, typed):
    """Exports of older systems carry half-width katakana (「ｿｰﾗｰﾊﾟﾜｰ」, voiced marks as separate
    characters); a person types full-width, or pastes the half-width text itself."""
    marked = db.session.scalar(select(FacilityRecord).where(FacilityRecord.facility_id == "MARK-KANAGAWA"))
    marked.operator_name = "ｿｰﾗｰﾊﾟﾜｰ合同会社"
    db.session.commit()
    response = browser_for(world.grid_operator).get("/records", query_string={"q": typed})
    assert shown_ids(response.get_data(as_text=True)) == ["MARK-KANAGAWA"]
