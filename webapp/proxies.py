"""The client's address behind PORTAL_TRUSTED_PROXIES reverse proxies.

Werkzeug's ProxyFix takes the configured hop of X-Forwarded-For as it stands. A proxy that
passes on what the client wrote (or a misconfigured count) would then put any text where
the audit log, the rate limits and the sign-in mail expect an address.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Callable, Iterable

from werkzeug.middleware.proxy_fix import ProxyFix

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TrustedProxies(ProxyFix):
    """ProxyFix for `hops` proxies; a forwarded client address that is not an IP address is
    not taken: the request keeps the address of the proxy that sent it."""

    def __init__(self, app: WSGIApp, hops: int) -> None:
        self._inner = app
        super().__init__(self._checked, x_for=hops, x_proto=hops, x_host=hops)

    def _checked(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            environ["REMOTE_ADDR"] = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", "")
        return self._inner(environ, start_response)
