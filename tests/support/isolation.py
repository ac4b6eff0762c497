"""A test client whose every request runs in its own application context, as in production.

The shared `app` fixture keeps one application context open for the whole
test; Flask then reuses it for every test-client request, so `g` (where
Flask-Login caches the signed-in user and Flask-WTF the CSRF token) and the
database session leak from one request, and one client, to the next: a
second browser would look signed in as the first one. Security tests must
not pass for that reason, so they use this client.
"""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


class IsolatedClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with self.application.app_context():
            return super().open(*args, **kwargs)
