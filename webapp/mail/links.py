"""Absolute links for mail and the commands, where there is no request to take the host from."""
from __future__ import annotations

from typing import Any

from flask import current_app, url_for


# Set when a link was built on the assumed address; a command says so once at its end.
_ASSUMED_LINKS = "sekisho.assumed_links"


def portal_url(endpoint: str, **values: Any) -> str:
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    if not current_app.config["PORTAL_BASE_URL_GIVEN"]:
        current_app.extensions[_ASSUMED_LINKS] = True
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def assumed_base_note(links: str) -> str | None:
    """For a command's operator when PORTAL_BASE_URL is not set: `links` lead to the default
    address (only `portal serve` follows its own --host and --port), which users on other
    machines cannot reach."""
    current_app.extensions.pop(_ASSUMED_LINKS, None)  # said now, not again at the command's end
    if current_app.config["PORTAL_BASE_URL_GIVEN"]:
        return None
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    return f"note: {links} {base}; set PORTAL_BASE_URL to the address users reach the portal at"


def forget_assumed_links() -> None:
    current_app.extensions.pop(_ASSUMED_LINKS, None)


def unsaid_assumed_base_note() -> str | None:
    """At the end of a command that mailed links (reminders, alerts, activation) on the assumed
    address without saying so itself."""
    if not current_app.extensions.get(_ASSUMED_LINKS):
        return None
    return assumed_base_note("links in the mail this command queued lead to")
