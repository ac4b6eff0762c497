"""Reading facility records within a scope: filters, pages, and the rows of an export.

Free text searches only the fields the viewer sees: a search in a hidden field would tell,
row by row, what the field holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from sqlalchemy import Select, func, or_, select

from webapp import listing
from webapp.applications.queries import Page
from webapp.extensions import db
from webapp.orgs.regions import PREFECTURES
from webapp.records import search_index
from webapp.records.fields import BY_KEY, ENERGY_SOURCES, Field
from webapp.records.models import FacilityRecord
from webapp.records.scope import Scope

PAGE_SIZE = 50
SORTS = ("facility_id", "certified_on", "capacity_kw")  # each has an index per scope (models.py)


@dataclass(frozen=True)
class RecordFilter:
    q: str = ""
    prefecture: str = ""
    energy: str = ""
    sort: str = "facility_id"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, Any], scope: Scope) -> "RecordFilter":
        """Values outside the scope or unknown fall back to the defaults (a tampered query shows the list)."""
        prefecture = args.get("prefecture", "")
        energy = args.get("energy", "")
        sort = args.get("sort", "facility_id")
        return cls(
            q=listing.search_text(args),
            # Any prefecture, not only those the filter offers: a facility of east Shizuoka lies in
            # the Tokyo area, and dropping the filter widened an export to the whole area. The
            # scope's own condition still bounds the rows.
            prefecture=prefecture if prefecture in PREFECTURES and "prefecture" in scope.fields else "",
            energy=energy if energy in ENERGY_SOURCES and "energy_source" in scope.fields else "",
            sort=sort if sort.lstrip("-") in SORTS and sort.lstrip("-") in scope.fields else "facility_id",
            page=listing.page_number(args),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {**self.__dict__, **changes}
        return listing.link_args(values, {"sort": "facility_id", "page": 1})

    def described(self) -> dict[str, Any]:
        """The filter as the audit entry records it."""
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


def _select(scope: Scope, flt: RecordFilter, *columns: Any) -> Select[Any]:
    query = select(*(columns or (func.count(),))).select_from(FacilityRecord)
    condition = scope.condition()
    if condition is not None:
        query = query.where(condition)
    if flt.prefecture:
        query = query.where(FacilityRecord.prefecture == flt.prefecture)
    if flt.energy:
        query = query.where(FacilityRecord.energy_source == flt.energy)
    if flt.q:
        searched = [key for key in search_index.COLUMNS if key in scope.fields]
        dialect = db.session.get_bind().dialect.name
        indexed = [search_index.matching_ids(variant, searched, dialect) for variant in listing.search_variants(flt.q)]
        if all(ids is not None for ids in indexed):
            query = query.where(or_(*(FacilityRecord.id.in_(ids) for ids in indexed)))
        else:  # case-blind for Latin letters, as the index is
            query = query.where(listing.contains_text([getattr(FacilityRecord, key) for key in searched], flt.q))
    return query


def _ordered(query: Select[Any], sort: str) -> Select[Any]:
    column = getattr(FacilityRecord, sort.lstrip("-"))
    if sort.startswith("-"):
        return query.order_by(column.desc(), FacilityRecord.facility_id.desc())
    return query.order_by(column, FacilityRecord.facility_id)


def _visible_columns(scope: Scope) -> list[Any]:
    """Only the fields the viewer sees are read at all."""
    return [getattr(FacilityRecord, key) for key in scope.fields]


def page_of(scope: Scope, flt: RecordFilter) -> Page[Any]:
    """One page of rows (named tuples of the visible fields)."""
    total = count(scope, flt)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(flt.page, pages)
    query = _ordered(_select(scope, flt, *_visible_columns(scope)), flt.sort)
    items = db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return Page(items=items, total=total, page=page, size=PAGE_SIZE)


def count(scope: Scope, flt: RecordFilter) -> int:
    # A plain count(*) with the conditions: SQLite answers it from the narrowest index.
    return db.session.scalar(_select(scope, flt)) or 0


def export_rows(scope: Scope, flt: RecordFilter, limit: int) -> Sequence[Any]:
    query = _ordered(_select(scope, flt, *_visible_columns(scope)), flt.sort)
    return db.session.execute(query.limit(limit)).all()


def visible_fields(scope: Scope) -> list[Field]:
    return [BY_KEY[key] for key in scope.fields]
