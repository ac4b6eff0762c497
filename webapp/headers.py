"""Security headers on every response, error pages included."""
from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def fixed_headers(production: bool) -> list[tuple[str, str]]:
    """The headers every answer carries, whatever it is."""
    fixed = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if production:
        fixed.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    return fixed


def install(app: Flask) -> None:
    fixed = fixed_headers(app.config["PORTAL_ENV"] != "development")

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        h = response.headers
        for name, value in fixed:
            h[name] = value
        if request.endpoint != "static":
            # Signed-in pages, but also login and activation pages (CSRF tokens, login IDs):
            # nothing dynamic belongs in a shared or back-button cache.
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        if request.headers.get("HX-Request"):
            h.add("Vary", "HX-Request")
        return response
