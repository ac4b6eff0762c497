"""The client's address behind PORTAL_TRUSTED_PROXIES reverse proxies.

Werkzeug's ProxyFix takes the configured hop of X-Forwarded-For as it stands. A proxy that
passes on what the client wrote (or a misconfigured count) would then put any text where
the audit log, the rate limits and the sign-in mail expect an address.
"""
from __future__ import annotations

import ipaddress
import re
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
        address = _address_of(environ.get("REMOTE_ADDR", ""))
        environ["REMOTE_ADDR"] = address or environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", "")
        return self._inner(environ, start_response)


def _address_of(forwarded: str) -> str:
    """The IP address in a forwarded value, also as some gateways write it ("192.0.2.1:5123",
    "[2001:db8::1]:5123"); "" when there is none."""
    candidates = [forwarded]
    bracketed = re.fullmatch(r"\[([^\]]+)\](?::\d+)?", forwarded)
    if bracketed:
        candidates.append(bracketed.group(1))
    elif forwarded.count(":") == 1:
        candidates.append(forwarded.split(":", 1)[0])
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        # A dual-stack proxy writes IPv4 clients as ::ffff:203.0.113.5: the log shows them as IPv4.
        mapped = getattr(address, "ipv4_mapped", None)
        return str(mapped or address)
    return ""
