"""Facility records for tests: synthetic ones plus a few with values the tests look for."""
from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from webapp.audit.models import AuditEvent
from webapp.extensions import db
from webapp.records import generator
from webapp.records.loading import store
from webapp.records.models import FacilityRecord

# One facility in each demo scope, with values no synthetic record has.
MARKED = {
    "kanagawa": {"facility_id": "MARK-KANAGAWA", "prefecture": "神奈川県", "supply_area": "tokyo",
                 "representative_name": "秘匿 代表者", "operator_address": "秘匿県秘匿市1-1",
                 "purchase_price": 36.5, "panel_maker": "秘匿パネル", "plant_name": "湘南テスト発電所",
                 "operator_name": "テスト発電合同会社"},
    "gunma": {"facility_id": "MARK-GUNMA", "prefecture": "群馬県", "supply_area": "tokyo",
              "plant_name": "=HYPERLINK(\"http://evil.example\",\"click\")", "operator_name": "@SUM(1+1)"},
    "osaka": {"facility_id": "MARK-OSAKA", "prefecture": "大阪府", "supply_area": "kansai",
              "plant_name": "大阪テスト発電所"},
}


def add_records(synthetic: int = 300) -> dict[str, FacilityRecord]:
    rows = list(generator.records(1, synthetic))
    for index, marks in enumerate(MARKED.values()):
        rows.append({**generator.record(90_000 + index), **marks})
    store(rows)
    db.session.commit()
    return {key: db.session.scalar(select(FacilityRecord).where(FacilityRecord.facility_id == marks["facility_id"]))
            for key, marks in MARKED.items()}


def count_where(**conditions: Any) -> int:
    query = select(FacilityRecord.id)
    for name, value in conditions.items():
        query = query.where(getattr(FacilityRecord, name) == value)
    return len(db.session.scalars(query).all())


def shown_ids(html: str) -> list[str]:
    """Facility IDs in the table rows (the first cell of each row)."""
    return re.findall(r"<tr><td>([A-Z0-9-]+)</td>", html)


def audit_details(kind: str) -> list[dict[str, Any]]:
    db.session.expire_all()
    return [json.loads(e.details) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id))]


def table(html: str) -> list[dict[str, str]]:
    """The results table as rows keyed by column heading (sort arrows and links stripped)."""
    head = re.search(r"<thead>(.*?)</thead>", html, re.S)
    assert head, "no results table"
    headings = [re.sub(r'<span class="visually-hidden">.*?</span>|<[^>]+>|[▲▼]', "", h).strip()
                for h in re.findall(r"<th[^>]*>(.*?)</th>", head.group(1), re.S)]
    body = re.search(r'<tbody id="record-rows">(.*?)</tbody>', html, re.S).group(1)
    return [dict(zip(headings, re.findall(r"<td>(.*?)</td>", row, re.S)))
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S) if "colspan" not in row]
