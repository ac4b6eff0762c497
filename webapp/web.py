"""Small request-side helpers shared by every blueprint's routes."""
from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

from flask import Response, current_app, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response as BaseResponse

from webapp.audit.service import Origin


def origin() -> Origin:
    """The client's address (after ProxyFix applied PORTAL_TRUSTED_PROXIES) and user agent."""
    return Origin(ip=client_address(request.remote_addr or ""), user_agent=(request.user_agent.string or "")[:300])


@functools.lru_cache(maxsize=4096)
def client_address(remote_addr: str) -> str:
    """An IPv4 client of a dual-stack server (another WSGI server than waitress, which listens on
    IPv6 only there) arrives as ::ffff:203.0.113.5: as such it matched no allowed IPv4 network and
    had no country, so every sign-in raised an alert."""
    try:
        mapped = getattr(ipaddress.ip_address(remote_addr), "ipv4_mapped", None)
    except ValueError:
        return remote_addr
    return str(mapped) if mapped else remote_addr


def current_path() -> str:
    """This page's path and query, for a `next` link back to it. Werkzeug's full_path decodes
    the query strictly: a query that is no UTF-8 is refused (converters.py), and the error page
    saying so links back here too."""
    query = request.query_string.decode("utf-8", "replace")
    here = f"{request.path}?{query}" if query else request.path
    if request.method in ("GET", "HEAD") or _answers_get(request.path):
        return here
    # A page answering a refused form (POST-only path): going "back" means the page the form was
    # on, when the browser said which; a GET of the form's own address would be a 405.
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc == request.host and came_from.path.startswith("/") and _answers_get(came_from.path):
        return f"{came_from.path}?{came_from.query}" if came_from.query else came_from.path
    return "/"


def _answers_get(path: str) -> bool:
    try:
        current_app.url_map.bind(request.host).match(path, method="GET")
    except RequestRedirect:  # the same page under its canonical address
        return True
    except HTTPException:
        return False
    return True


def is_htmx() -> bool:
    """An htmx request that swaps a fragment. Restoring history (Back with no cached page)
    sends HX-Request too, but swaps the whole body: it needs the whole page."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def redirect_to(location: str, code: int = 303) -> BaseResponse:
    """Redirect that htmx follows as a full page load instead of swapping a page into a fragment."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=code)


def safe_next(target: str | None, fallback_endpoint: str = "main.dashboard") -> str:
    """Only same-site relative paths; anything else (//evil, https://evil, \\evil) goes to the fallback."""
    fallback = url_for(fallback_endpoint)
    if not target or len(target) > 500:
        return fallback
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
