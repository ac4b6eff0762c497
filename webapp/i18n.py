"""Locale choice: Japanese unless the visitor picked English (cookie set by /lang/<code>)."""
from __future__ import annotations

from flask import request

LOCALES = ("ja", "en")
LOCALE_COOKIE = "sekisho_lang"


def select_locale() -> str:
    try:
        chosen = request.cookies.get(LOCALE_COOKIE)
    except RuntimeError:  # outside a request (CLI, scheduler): the default catalog
        return "ja"
    return chosen if chosen in LOCALES else "ja"
