"""Server-side sessions: the cookie carries a random token, everything else stays in the database.

Storing only SHA-256(token) means a copied database does not yield live cookies,
and deleting the row kills the session everywhere at once (logout, suspension,
closing time), which a signed-cookie session cannot do.
"""
from __future__ import annotations

import hashlib
import logging
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import bindparam, delete, event, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from werkzeug.datastructures import CallbackDict

from webapp import agents, clock
from webapp.audit import service as audit
from webapp.auth import hooks, lookup
from webapp.auth.models import PendingLogin, ServerSession, User
from webapp.database import DatabaseFileLost, is_busy, is_unreachable, is_unwritable
from webapp.extensions import db
from webapp.web import client_address

log = logging.getLogger(__name__)
_LAST_SEEN_RESOLUTION = timedelta(seconds=30)
_TABLE = ServerSession.__table__

# Every request runs some of these: built once, because building a statement (and its cache
# key) costs SQLAlchemy more than SQLite takes to run it.
_SELECT_BY_ID = select(_TABLE).where(_TABLE.c.id == bindparam("sid"))
_DELETE_BY_ID = delete(_TABLE).where(_TABLE.c.id == bindparam("sid"))
_INSERT = insert(_TABLE)
# The columns to SET are the parameters given when executing (id too, when the row moves).
_UPDATE_ROW = update(_TABLE).where(_TABLE.c.id == bindparam("row_sid"))
_PENDING = PendingLogin.__table__
_VOID_USER_PENDING = update(_PENDING).where(
    _PENDING.c.user_id == bindparam("owner_id"), _PENDING.c.voided_at.is_(None), _PENDING.c.consumed_at.is_(None),
).values(voided_at=bindparam("voided_at")).returning(_PENDING.c.attempts)
_WRITTEN_MARK = "sekisho.session_written"  # dropped by a rollback: what was written is gone
# Why a signed-in session was ended, for the person at that browser (end_all_sessions(note=...)):
# the row stays, signed out, holding only the note under _LEFT_NOTE until the browser comes back
# (it then gets a fresh anonymous session holding the note under ENDED_NOTE) or it is pruned.
ENDED_NOTE = "ended_note"
_LEFT_NOTE = "_ended"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class PortalSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, initial: dict[str, Any] | None = None, token: str | None = None,
                 last_seen_at: datetime | None = None, holder: User | None = None) -> None:
        def on_update(_self: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.modified = False
        self.rotated = False
        self.ended = False
        # What this request knows of the row: whether one exists under sid, when it was last
        # seen and the data last written, so that an unchanged session costs no statement.
        self.stored = token is not None
        self.last_seen_at = last_seen_at
        self.written: str | None = None
        # Keeps the holder's row (read by open_session) in the identity map for the user loader.
        self.holder = holder
        # Set by regenerate(): the id the row still has until this transaction's next write moves it.
        self.moved_from: str | None = None
        # Why the row could not be read ("busy", "unreachable", "lost", "unwritable"): the request answers
        # 503, writes nothing.
        self.unavailable: str | None = None
        # (user id, origin) when this request's cookie was a signed-in session of another browser.
        self.taken_elsewhere: tuple[int, audit.Origin] | None = None

    @property
    def sid(self) -> str | None:
        return _hash(self.token) if self.token else None

    def payload(self) -> str:
        data = dict(self)
        data.pop("_expired", None)
        return json.dumps(data, ensure_ascii=False)


def cookie_name(app: Flask) -> str:
    return "sekisho_session" if app.config["PORTAL_ENV"] == "development" else "__Host-sekisho"


def _expired(record: Row[Any], app: Flask) -> str | None:
    now = clock.now()
    if now - record.last_seen_at >= timedelta(minutes=app.config["PORTAL_SESSION_IDLE_MINUTES"]):
        return "idle"
    if now - record.created_at >= timedelta(hours=app.config["PORTAL_SESSION_ABSOLUTE_HOURS"]):
        return "absolute"
    return None


def _holder_unavailable(record: Row[Any]) -> tuple[str | None, User | None]:
    """A suspended, closed or removed user (or a suspended organisation) loses every session
    on its next request, even if whoever suspended it did not end the sessions."""
    if record.user_id is None:
        return None, None
    user = lookup.user_by_id(record.user_id)
    if user is None or user.status != "active":
        return "account_unavailable", user
    if not user.organisation.is_active:
        return "organisation_suspended", user
    return None, user


def _another_browser(signed_in_with: str, now: str) -> bool:
    """The cookie came from another browser than the one that signed in ("Chrome", "Firefox",
    curl): copied or stolen. Not its version, which an update and relaunch changes, nor the system
    it names, which "desktop site" switches (an iPad's Safari says macOS then)."""
    return agents.browser_of(signed_in_with) != agents.browser_of(now)


def _data_of(record: Row[Any]) -> dict[str, Any]:
    try:
        data = json.loads(record.data)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _note_left(record: Row[Any], note: Any, origin: audit.Origin) -> PortalSession:
    """The browser of a session ended with a note is back: the row goes (its token never works
    again) and a fresh anonymous session carries the note to the pages that tell of it. Only to
    the browser that held the session: the note speaks for its person (hours: no alarm mail)."""
    db.session.execute(_DELETE_BY_ID, {"sid": record.id})
    db.session.commit()
    fresh = PortalSession({} if _another_browser(record.user_agent, origin.user_agent) else {ENDED_NOTE: note})
    fresh["_expired"] = "ended"
    return fresh


class ServerSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> PortalSession:
        token = request.cookies.get(cookie_name(app))
        try:
            db.check_file()  # before anything of the request reads or writes (webapp.database)
            if not token or len(token) > 100:
                return PortalSession()
            return self._read(app, token, audit.Origin(ip=client_address(request.remote_addr or ""),
                                                       user_agent=request.headers.get("User-Agent", "")[:300]))
        except Exception as error:
            if is_busy(error):
                reason = "busy"
            elif is_unreachable(error):
                reason = "unreachable"
            elif isinstance(error, DatabaseFileLost):
                reason = "lost"
            elif is_unwritable(error):
                reason = "unwritable"
            else:
                raise
            try:
                db.session.rollback()
            except Exception:  # the connection went with the server
                db.session.close()
            unavailable = PortalSession()
            unavailable.unavailable = reason  # the first before-request hook answers 503 (errors/)
            return unavailable

    def _read(self, app: Flask, token: str, origin: audit.Origin) -> PortalSession:
        record = db.session.execute(_SELECT_BY_ID, {"sid": _hash(token)}).first()
        if record is None:
            return PortalSession()
        data = None
        if record.user_id is None:  # signed out: a login page's session, or one ended with a note
            data = _data_of(record)
            if _LEFT_NOTE in data:
                return _note_left(record, data[_LEFT_NOTE], origin)
        holder = None
        reason = _expired(record, app)
        if not reason:
            reason, holder = _holder_unavailable(record)
        if not reason and record.authenticated_at is not None and _another_browser(record.user_agent, origin.user_agent):
            reason = "browser_changed"
        if reason:
            # Of parallel requests with this cookie (PostgreSQL runs them side by side), the one
            # that deletes the row tells of it: one audit entry, one alert.
            ended = db.session.execute(_DELETE_BY_ID, {"sid": record.id}).rowcount
            if ended and record.user_id is not None:
                audit.record(
                    "session.expired" if reason in {"idle", "absolute"} else "session.ended",
                    actor_id=record.user_id,
                    # So that the organisation's filter of the log finds them too (a review).
                    organisation_id=db.session.scalar(select(User.organisation_id).where(User.id == record.user_id)),
                    origin=audit.Origin(ip=record.ip, user_agent=record.user_agent),
                    reason=reason, **({"used_from": origin.ip, "used_by": origin.user_agent}
                                      if reason == "browser_changed" else {}),
                )
            db.session.commit()
            fresh = PortalSession()
            fresh["_expired"] = reason
            if ended and reason == "browser_changed":
                fresh.taken_elsewhere = (record.user_id, origin)  # told once the session is open
            return fresh
        return PortalSession(_data_of(record) if data is None else data, token,
                             last_seen_at=record.last_seen_at, holder=holder)

    def save_session(self, app: Flask, session: PortalSession, response: Response) -> None:  # type: ignore[override]
        if session.unavailable:
            return
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
        changed = session.modified or session.rotated
        recently_seen = session.last_seen_at is not None and now - session.last_seen_at < _LAST_SEEN_RESOLUTION
        if not changed and recently_seen and session.stored:
            return  # nothing to write
        data = session.payload() if changed else None
        written = session.written if db.session.info.get(_WRITTEN_MARK) else None
        try:
            if not (data is not None and data == written and recently_seen and session.stored):
                if not _write(session, data, now):
                    db.session.commit()
                    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
                    return
            # else: regenerate / mark_authenticated wrote this very data in the request's transaction
            db.session.commit()
        except Exception as error:
            if is_unwritable(error):
                # The commit may have been the request's own (sign-in marks the session in it), and a
                # page whose session was not stored has a form that cannot be sent: the answer is the
                # 503 that says why. Raising here would log a traceback for what is one line.
                from webapp.errors.handlers import answer_unwritable

                db.session.rollback()
                answer_unwritable(response, error)
                return
            if not is_busy(error):
                raise
            # The request's own change is committed; only this write-back (a message for the next
            # page, the time last seen) is lost. The answer stands; the cookie stays as it was.
            db.session.rollback()
            log.warning("session not saved, the database is busy: %s", error)
            return
        if session.rotated:
            response.set_cookie(name, session.token, path="/", secure=secure, httponly=True, samesite="Lax")


def _update_row(session: PortalSession, values: dict[str, Any]) -> bool:
    """SET values on the session's row in one conditional UPDATE, moving it to the new id first
    if regenerate() asked for that. False when there is no row (ended meanwhile, or never stored)."""
    row_sid = session.moved_from or (session.sid if session.stored else None)
    if row_sid is None:
        return False
    params = {"row_sid": row_sid, **values}
    if session.moved_from:
        params["id"] = session.sid
    db.session.flush()
    updated = bool(db.session.execute(_UPDATE_ROW, params).rowcount)
    session.moved_from = None
    session.stored = updated
    return updated


def _write(session: PortalSession, data: str | None, now: datetime) -> bool:
    """One conditional statement; False when the row was ended while this request ran (logout
    elsewhere, suspension, "end the others"): writing it back would revive a revoked session."""
    values: dict[str, Any] = {"last_seen_at": now}
    if data is not None:
        values["data"] = data
    if not _update_row(session, values):
        if not session.rotated:
            return False
        db.session.execute(_INSERT, {"id": session.sid, "created_at": now, "last_seen_at": now,
                                     "data": data or "{}"})
    session.stored, session.last_seen_at = True, now
    return True


@event.listens_for(Session, "after_rollback")
def _forget_written(session: Session) -> None:
    session.info.pop(_WRITTEN_MARK, None)


def regenerate(session: PortalSession) -> None:
    """Give the session a new token (after the password and after the code): fixation defence.

    The row moves to the new id with this transaction's next write of the session (write_now,
    mark_authenticated or, at the latest, save_session): one UPDATE, and the old id stops
    working when that commits."""
    if session.stored and not session.moved_from:
        session.moved_from = session.sid
    session.token = secrets.token_urlsafe(32)
    session.rotated = True
    session.modified = True
    session.stored = False


def write_now(session: PortalSession) -> None:
    """Write the session's data in the current transaction (save_session then has nothing to do)."""
    now = clock.now()
    data = session.payload()
    if _update_row(session, {"data": data, "last_seen_at": now}):
        session.last_seen_at, session.written = now, data
        db.session.info[_WRITTEN_MARK] = True


def mark_authenticated(session: PortalSession, user_id: int, ip: str, user_agent: str) -> None:
    """The second factor passed: bind the (already rotated) session to the user, its data
    written in the same transaction (save_session then has nothing left to do)."""
    now = clock.now()
    if ENDED_NOTE in session:  # told of an earlier session; the new one starts without it
        del session[ENDED_NOTE]
    data = session.payload()
    values = {"user_id": user_id, "authenticated_at": now, "created_at": now,  # absolute lifetime from sign-in
              "ip": ip[:64], "user_agent": user_agent[:300], "data": data, "last_seen_at": now}
    if not _update_row(session, values):
        db.session.execute(_INSERT, {"id": session.sid, **values})
    session.stored, session.last_seen_at, session.written = True, now, data
    db.session.info[_WRITTEN_MARK] = True


def end_session(session: PortalSession) -> None:
    for sid in {session.sid, session.moved_from} - {None}:
        db.session.execute(_DELETE_BY_ID, {"sid": sid})
    session.moved_from = None
    session.stored = False
    session.clear()
    session.token = None
    session.ended = True


def void_sign_ins_in_progress(user_id: int) -> list[int]:
    """Void the user's sign-ins past the password but not yet the code; returns the wrong-code
    counts they had. When the password is set or the sessions end, whoever entered the password
    (the code mail says to change it) must not finish with the code after all."""
    return list(db.session.execute(_VOID_USER_PENDING, {"owner_id": user_id, "voided_at": clock.now()}).scalars())


def end_all_sessions(user_id: int, except_sid: str | None = None, note: dict[str, Any] | None = None) -> int:
    """End every session of a user at once (logout everywhere, suspension, removal), and the
    sign-ins in progress.

    With a note (why, for the person: closing time), each row is signed out instead of deleted
    and keeps only the note, so that its browser can be told on its next request even when no
    request of it saw the end (the scheduler). Seen "now", it lasts the idle timeout."""
    void_sign_ins_in_progress(user_id)
    if note is None:
        query = delete(ServerSession).where(ServerSession.user_id == user_id)
    else:
        query = update(ServerSession).where(ServerSession.user_id == user_id).values(
            user_id=None, authenticated_at=None, last_seen_at=clock.now(),
            data=json.dumps({_LEFT_NOTE: note}, ensure_ascii=False))
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
        update(ServerSession).where(ServerSession.user_id == user_id, ServerSession.id == sid).values(
            user_id=None, authenticated_at=None, last_seen_at=clock.now(),
            data=json.dumps({_LEFT_NOTE: ended_elsewhere_note(user_id)}, ensure_ascii=False))
    )
    return bool(result.rowcount)


def held_by_someone_else(user_id: int, sid: str) -> bool:
    """A live session of another person: naming it is a probe, not a session that ended meanwhile."""
    return db.session.scalar(select(ServerSession.id).where(ServerSession.id == sid,
                                                            ServerSession.user_id != user_id)) is not None


def prune_expired(app: Flask) -> int:
    """Drop sessions past the idle timeout (anonymous ones pile up from the login page)."""
    cutoff = clock.now() - timedelta(minutes=app.config["PORTAL_SESSION_IDLE_MINUTES"])
    return db.session.execute(delete(ServerSession).where(ServerSession.last_seen_at < cutoff)).rowcount or 0


# --- what a person does with their sessions: change, audit entry, one commit ---

def complete_sign_in(session: PortalSession, user: User, origin: audit.Origin, method: str) -> None:
    mark_authenticated(session, user.id, origin.ip, origin.user_agent)
    audit.record("login.succeeded", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 method=method)
    for observer in hooks.SIGNED_IN:
        observer(user, session.sid or "", origin)
    db.session.commit()


def sign_out(session: PortalSession, user: User | None, origin: audit.Origin) -> None:
    """End this browser's session; audited when someone was signed in."""
    if user is not None:
        audit.record("logout", origin=origin, actor_id=user.id, organisation_id=user.organisation_id)
    end_session(session)
    db.session.commit()


def end_others(session: PortalSession, user: User, origin: audit.Origin) -> int:
    return end_sessions_but(user, session.sid, origin)


def ended_elsewhere_note(user_id: int) -> dict[str, Any]:
    """For the browsers whose sessions the person ended from another one: if it was not them,
    the page that follows says so, and that the password should be changed."""
    return {"reason": "ended_elsewhere", "user": user_id, "at": clock.now().isoformat()}


def end_sessions_but(user: User, kept_sid: str | None, origin: audit.Origin) -> int:
    """End the user's sessions but the one they are using, audited; commits."""
    ended = end_all_sessions(user.id, except_sid=kept_sid, note=ended_elsewhere_note(user.id))
    audit.record("session.ended_others", origin=origin, actor_id=user.id,
                 organisation_id=user.organisation_id, ended=ended)
    db.session.commit()
    return ended


def end_other(session: PortalSession, user: User, sid: str, origin: audit.Origin) -> bool:
    """End one of the user's other sessions (never this one, never someone else's)."""
    if sid == session.sid or not end_session_by_id(user.id, sid):
        return False
    audit.record("session.ended", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 target=sid[:12], reason="ended_by_user")
    db.session.commit()
    return True


def tell_of_a_session_taken_elsewhere(session: PortalSession) -> None:
    """Run by an early request hook: the observers (the alert and its mails render templates,
    which read the session) cannot run while open_session is still reading it."""
    if session.taken_elsewhere is None:
        return
    user_id, origin = session.taken_elsewhere
    session.taken_elsewhere = None
    for observer in hooks.SESSION_ELSEWHERE:
        observer(user_id, origin)
    db.session.commit()
