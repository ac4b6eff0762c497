"""The device cookie: OWASP's defence against being locked out through a shared address.

The per-address limit (PORTAL_IP_FAILURE_LIMIT) stops spraying, but a company that sends all its
staff out through one NAT address would be shut out by twenty typos or one hostile machine inside.
A browser that completed a sign-in gets a signed cookie naming that account; its password steps
(and code) for that same account are not refused by the address's limit. Everything else still
applies: the password, the code, the account's own lockout, its status; its failures still count
for the address.

Nothing is stored on the server: the cookie is the account's id, a random nonce (no two cookies
are alike) and the issue time, signed with the app's secret key (changing the key voids them all).
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from itsdangerous import BadData, URLSafeSerializer
from werkzeug.wrappers import Response

from webapp import clock

LIFETIME = timedelta(days=180)
_SALT = "sekisho.device"  # a signature made for anything else of the app is no device cookie
_LONGEST = 200  # a real one is about 90 characters: anything longer is not worth verifying


def cookie_name(app: Flask) -> str:
    """Named as the session cookie is: in production `__Host-` keeps it Secure and to this host."""
    return "sekisho_device" if app.config["PORTAL_ENV"] == "development" else "__Host-sekisho-device"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def account_of(value: str | None) -> int | None:
    """The account a valid, unexpired cookie was issued to; None for none, or a forged, altered or old one."""
    if not value or len(value) > _LONGEST:
        return None
    try:
        content: Any = _serializer().loads(value)
    except BadData:
        return None
    if not isinstance(content, dict):
        return None
    account, issued = content.get("u"), content.get("t")
    if type(account) is not int or type(issued) is not int:
        return None
    # Checked here: the cookie's max-age is only what the browser is asked to keep.
    if not 0 <= clock.now().timestamp() - issued < LIFETIME.total_seconds():
        return None
    return account


def remember(app: Flask, response: Response, user_id: int) -> None:
    """Give the browser that just signed in its cookie; each sign-in renews it for LIFETIME."""
    value = _serializer().dumps({"u": user_id, "n": secrets.token_urlsafe(12), "t": int(clock.now().timestamp())})
    response.set_cookie(cookie_name(app), value, max_age=int(LIFETIME.total_seconds()), path="/",
                        secure=app.config["PORTAL_ENV"] != "development", httponly=True, samesite="Lax")
