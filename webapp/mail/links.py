"""Absolute links for mail and the commands, where there is no request to take the host from."""
from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def portal_url(endpoint: str, **values: Any) -> str:
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)
