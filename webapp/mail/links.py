"""Absolute links for mail and the commands, where there is no request to take the host from."""
from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def portal_url(endpoint: str, **values: Any) -> str:
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def assumed_base_note(links: str) -> str | None:
    """For a command's operator when PORTAL_BASE_URL is not set: `links` lead to the default
    address (only `portal serve` follows its own --host and --port), which users on other
    machines cannot reach."""
    if current_app.config["PORTAL_BASE_URL_GIVEN"]:
        return None
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    return f"note: {links} {base}; set PORTAL_BASE_URL to the address users reach the portal at"
