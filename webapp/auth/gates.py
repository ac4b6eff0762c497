"""The signed-in gate and Flask-Login's user loader."""
from __future__ import annotations

from typing import Any

from flask import Flask, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from webapp.auth.models import User
from webapp.extensions import db, login_manager
from webapp.guard import add_gate
from webapp.web import redirect_to


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not getattr(session, "sid", None):
        return None
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or user.status != "active" or not user.organisation.is_active:
        return None
    return user


def require_signed_in(user: Any) -> BaseResponse | None:
    if user.is_authenticated:
        return None
    target = request.full_path if request.method == "GET" else None
    next_arg = {"next": target.rstrip("?")} if target and not request.headers.get("HX-Request") else {}
    return redirect_to(url_for("auth.login", **next_arg))


def install(app: Flask) -> None:
    add_gate(app, "signed_in", require_signed_in)
