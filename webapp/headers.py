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


def install(app: Flask) -> None:
    production = app.config["PORTAL_ENV"] != "development"

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        h = response.headers
        h["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if production:
            h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if request.endpoint != "static":
            # Signed-in pages, but also login and activation pages (CSRF tokens, login IDs):
            # nothing dynamic belongs in a shared or back-button cache.
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        if request.headers.get("HX-Request"):
            h.add("Vary", "HX-Request")
        return response
