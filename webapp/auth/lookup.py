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
# The account's row alone: FOR UPDATE cannot reach the outer joins that loading a User brings.
_LOCK = select(User.__table__.c.id).where(User.__table__.c.id == bindparam("user_id")).with_for_update()


def user_by_id(user_id: int) -> User | None:
    return db.session.scalar(_BY_ID, {"user_id": user_id})


def lock_account(user_id: int) -> None:
    """Hold the account's row until the transaction ends: changes of one person's sign-in state
    (a right password, a password change, a consent form) then happen one at a time on
    PostgreSQL too (SQLite's BEGIN IMMEDIATE already runs writers one after another)."""
    db.session.execute(_LOCK, {"user_id": user_id})


def user_by_login_id(normalised_login_id: str) -> User | None:
    return db.session.scalar(_BY_LOGIN_ID, {"login_id": normalised_login_id})
