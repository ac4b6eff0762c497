"""Server-side sessions: the cookie carries a random token, everything else stays in the database.

Storing only SHA-256(token) means a copied database does not yield live cookies,
and deleting the row kills the session everywhere at once (logout, suspension,
closing time), which a signed-cookie session cannot do.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, select
from werkzeug.datastructures import CallbackDict

from webapp import clock
from webapp.audit import service as audit
from webapp.auth.models import ServerSession, User
from webapp.extensions import db

_LAST_SEEN_RESOLUTION = timedelta(seconds=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class PortalSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, initial: dict[str, Any] | None = None, token: str | None = None) -> None:
        def on_update(_self: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.modified = False
        self.rotated = False
        self.ended = False

    @property
    def sid(self) -> str | None:
        return _hash(self.token) if self.token else None


def cookie_name(app: Flask) -> str:
    return "sekisho_session" if app.config["PORTAL_ENV"] == "development" else "__Host-sekisho"


def _expired(record: ServerSession, app: Flask) -> str | None:
    now = clock.now()
    if now - record.last_seen_at >= timedelta(minutes=app.config["PORTAL_SESSION_IDLE_MINUTES"]):
        return "idle"
    if now - record.created_at >= timedelta(hours=app.config["PORTAL_SESSION_ABSOLUTE_HOURS"]):
        return "absolute"
    return None


def _holder_unavailable(record: ServerSession) -> str | None:
    """A suspended, closed or removed user (or a suspended organisation) loses every session
    on its next request, even if whoever suspended it did not end the sessions."""
    if record.user_id is None:
        return None
    user = db.session.get(User, record.user_id)
    if user is None or user.status != "active":
        return "account_unavailable"
    if not user.organisation.is_active:
        return "organisation_suspended"
    return None


class ServerSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> PortalSession:
        token = request.cookies.get(cookie_name(app))
        if not token or len(token) > 100:
            return PortalSession()
        record = db.session.get(ServerSession, _hash(token))
        if record is None:
            return PortalSession()
        reason = _expired(record, app) or _holder_unavailable(record)
        if reason:
            if record.user_id is not None:
                audit.record(
                    "session.expired" if reason in {"idle", "absolute"} else "session.ended",
                    actor_id=record.user_id,
                    origin=audit.Origin(ip=record.ip, user_agent=record.user_agent),
                    reason=reason,
                )
            db.session.delete(record)
            db.session.commit()
            fresh = PortalSession()
            fresh["_expired"] = reason
            return fresh
        try:
            data = json.loads(record.data)
        except ValueError:
            data = {}
        return PortalSession(data, token)

    def save_session(self, app: Flask, session: PortalSession, response: Response) -> None:  # type: ignore[override]
        name = cookie_name(app)
        secure = app.config["PORTAL_ENV"] != "development"
        if session.ended:
            if not session:
                response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
                return
            session.ended = False  # written to after the end (a flash message): a fresh anonymous session
        if not session.token:
            if not session or set(session.keys()) <= {"_expired"}:
                return
            session.token = secrets.token_urlsafe(32)
            session.rotated = True
        now = clock.now()
        known = db.session.get(ServerSession, session.sid)
        if known is not None and not (session.modified or session.rotated) and (
                now - known.last_seen_at < _LAST_SEEN_RESOLUTION):
            return  # nothing to write
        # Read the row again (not the identity map's copy): it may have been ended meanwhile.
        record = db.session.get(ServerSession, session.sid, populate_existing=True)
        if record is None and not session.rotated:
            # Ended while this request ran (logout elsewhere, suspension, "end the others"):
            # writing it back would bring a revoked session to life again.
            db.session.commit()
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
            return
        if record is None:
            record = ServerSession(id=session.sid, created_at=now, last_seen_at=now, data="{}")
            db.session.add(record)
        payload = dict(session)
        payload.pop("_expired", None)
        if session.modified or session.rotated:
            record.data = json.dumps(payload, ensure_ascii=False)
        if session.modified or session.rotated or now - record.last_seen_at >= _LAST_SEEN_RESOLUTION:
            record.last_seen_at = now
        db.session.commit()
        if session.rotated:
            response.set_cookie(name, session.token, path="/", secure=secure, httponly=True, samesite="Lax")


def regenerate(session: PortalSession) -> None:
    """Give the session a new token (after the password and after the code): fixation defence."""
    old_sid = session.sid
    session.token = secrets.token_urlsafe(32)
    session.rotated = True
    session.modified = True
    if old_sid:
        record = db.session.get(ServerSession, old_sid)
        if record is not None:
            data = dict(session)
            replacement = ServerSession(
                id=session.sid,
                user_id=record.user_id,
                data=json.dumps(data, ensure_ascii=False),
                created_at=record.created_at,
                last_seen_at=clock.now(),
                authenticated_at=record.authenticated_at,
                ip=record.ip,
                user_agent=record.user_agent,
            )
            db.session.delete(record)
            db.session.flush()
            db.session.add(replacement)


def mark_authenticated(session: PortalSession, user_id: int, ip: str, user_agent: str) -> None:
    """The second factor passed: bind the (already rotated) session to the user."""
    now = clock.now()
    record = db.session.get(ServerSession, session.sid)
    if record is None:
        record = ServerSession(id=session.sid, created_at=now, last_seen_at=now, data="{}")
        db.session.add(record)
    record.user_id = user_id
    record.authenticated_at = now
    record.created_at = now  # the absolute lifetime counts from sign-in
    record.ip = ip[:64]
    record.user_agent = user_agent[:300]
    db.session.flush()


def end_session(session: PortalSession) -> None:
    if session.sid:
        db.session.execute(delete(ServerSession).where(ServerSession.id == session.sid))
    session.clear()
    session.token = None
    session.ended = True


def end_all_sessions(user_id: int, except_sid: str | None = None) -> int:
    """End every session of a user at once (logout everywhere, suspension, removal)."""
    query = delete(ServerSession).where(ServerSession.user_id == user_id)
    if except_sid:
        query = query.where(ServerSession.id != except_sid)
    return db.session.execute(query).rowcount or 0


def active_sessions(user_id: int) -> list[ServerSession]:
    return list(
        db.session.scalars(
            select(ServerSession)
            .where(ServerSession.user_id == user_id, ServerSession.authenticated_at.is_not(None))
            .order_by(ServerSession.last_seen_at.desc())
        )
    )


def end_session_by_id(user_id: int, sid: str) -> bool:
    result = db.session.execute(
        delete(ServerSession).where(ServerSession.user_id == user_id, ServerSession.id == sid)
    )
    return bool(result.rowcount)


def prune_expired(app: Flask) -> int:
    """Drop sessions past the idle timeout (anonymous ones pile up from the login page)."""
    cutoff = clock.now() - timedelta(minutes=app.config["PORTAL_SESSION_IDLE_MINUTES"])
    return db.session.execute(delete(ServerSession).where(ServerSession.last_seen_at < cutoff)).rowcount or 0
