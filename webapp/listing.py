"""Parsing list filters from query strings: tampered values fall back to the plain list."""
from __future__ import annotations

from typing import Any, Mapping

MAX_PAGE = 100_000


def page_number(args: Mapping[str, Any]) -> int:
    try:
        return max(1, min(int(args.get("page", 1)), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


MAX_ID = 2**63 - 1  # larger integers overflow the databases' integer columns


def optional_id(args: Mapping[str, Any], key: str) -> int | None:
    try:
        value = int(args[key]) if args.get(key) else None
    except (TypeError, ValueError):
        return None
    return value if value is None or 0 < value <= MAX_ID else None


def search_text(args: Mapping[str, Any], limit: int = 100) -> str:
    # NUL never reaches the database (PostgreSQL refuses it in text).
    return (args.get("q", "") or "").replace("\x00", "").strip()[:limit]


def link_args(values: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Query arguments for links that keep the filters (empty and default ones left out)."""
    return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}
