"""Parsing list filters from query strings: tampered values fall back to the plain list."""
from __future__ import annotations

import unicodedata
from typing import Any, Iterable, Mapping

from sqlalchemy import or_
from sqlalchemy.sql.elements import ColumnElement

MAX_PAGE = 100_000


def page_number(args: Mapping[str, Any]) -> int:
    try:
        return max(1, min(int(args.get("page", 1)), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


MAX_ID = 2**31 - 1  # the ID columns are 32-bit integers on PostgreSQL: a larger one is an error there


def optional_id(args: Mapping[str, Any], key: str) -> int | None:
    try:
        value = int(args[key]) if args.get(key) else None
    except (TypeError, ValueError):
        return None
    return value if value is None or 0 < value <= MAX_ID else None


def search_text(args: Mapping[str, Any], limit: int = 100) -> str:
    # NUL never reaches the database (PostgreSQL refuses it in text).
    return (args.get("q", "") or "").replace("\x00", "").strip()[:limit]


def _half_width_katakana() -> dict[str, str]:
    """Full-width katakana (and the marks that go with it) to the half-width forms that legacy
    Shift_JIS exports still carry: 「ガ」 is 「ｶﾞ」 there, two characters."""
    halves = [chr(cp) for cp in range(0xFF61, 0xFFA0)]
    table: dict[str, str] = {}
    for half in halves:
        for written in (half, half + "\uff9e", half + "\uff9f"):
            full = unicodedata.normalize("NFKC", written)
            if len(full) == 1 and full not in table:
                table[full] = written
    return table


HALF_WIDTH_KATAKANA = _half_width_katakana()


def search_variants(text: str) -> list[str]:
    """The text as typed, its NFKC form and that form in half-width katakana, each only when it
    differs: an ID or a name typed in full-width letters by an IME (「ＳＹＮ０１」) finds the ASCII
    one, 「ソーラー」 finds 「ｿｰﾗｰ」 imported from an old system, and full-width text stored as such
    (the digits of Japanese addresses) is still found as typed."""
    normalised = unicodedata.normalize("NFKC", text)
    half_kana = "".join(HALF_WIDTH_KATAKANA.get(c, c) for c in normalised)
    return list(dict.fromkeys((text, normalised, half_kana)))


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_text(columns: Iterable[Any], text: str, case_blind: bool = True) -> ColumnElement[bool]:
    """Any of the columns contains the text, in any of its search variants (LIKE, escaped)."""
    return or_(*(
        (column.ilike(like_pattern(variant), escape="\\") if case_blind
         else column.like(like_pattern(variant), escape="\\"))
        for variant in search_variants(text) for column in columns))


def link_args(values: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Query arguments for links that keep the filters (empty and default ones left out)."""
    return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}
