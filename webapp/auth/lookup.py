"""Loading a user on the sign-in and every-request paths, with statements built once.

Session.get() builds its SELECT (and the joined organisation) and that statement's cache
key on every call; on a fresh request the user is never in the identity map, so that
building was pure cost (about a third of loading the user).
"""
from __future__ import annotations

from sqlalchemy import bindparam, select

from webapp.auth.models import User
from webapp.extensions import db

_BY_ID = select(User).where(User.id == bindparam("user_id"))
_BY_LOGIN_ID = select(User).where(User.login_id == bindparam("login_id"))


def user_by_id(user_id: int) -> User | None:
    return db.session.scalar(_BY_ID, {"user_id": user_id})


def user_by_login_id(normalised_login_id: str) -> User | None:
    return db.session.scalar(_BY_LOGIN_ID, {"login_id": normalised_login_id})
