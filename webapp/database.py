"""SQLAlchemy 2.x engine and session per application, plus shared column types."""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from flask import Flask, current_app, has_request_context
from sqlalchemy import DateTime, create_engine, event, text, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class DatabaseFileLost(Exception):
    """The SQLite file this process opened was removed or replaced under it (a clean-up deleted
    it, a restore moved a backup to its name). SQLite would go on writing into the
    removed file, lost at the next start, or open an empty one in its place: nothing is read or
    written until the portal is restarted on the restored file."""

    def __init__(self, path: str, how: str) -> None:
        super().__init__(f"the database file {path} was {how} while the portal was running; "
                         "restore it and restart the portal")
        self.how = how  # "removed" or "replaced"


class _DatabaseFile:
    """The file the engine opened, known by device and inode: the name may lead elsewhere later."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.opened: tuple[int, int] | None = None
        self.reported = False

    def remember(self) -> None:
        if self.opened is None:
            found = os.stat(self.path)
            self.opened = (found.st_dev, found.st_ino)

    def check(self) -> None:
        if self.opened is None:
            return
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            self._lost("removed")
        else:
            if (found.st_dev, found.st_ino) != self.opened:
                self._lost("replaced")

    def writable(self) -> bool:
        """Whether this account may write the file: its mode, an immutable flag, a read-only mount
        (a full or failing disk is only found by writing)."""
        return os.access(self.path, os.W_OK)

    def _lost(self, how: str) -> None:
        lost = DatabaseFileLost(self.path, how)
        if not self.reported:  # once: every request after it would repeat the same line
            self.reported = True
            log.error("%s", lost)
        raise lost


def _watch_file(engine: Engine) -> _DatabaseFile | None:
    """Watch the file of a file-based SQLite engine; None for other databases, memory and URI forms."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    database_file = _DatabaseFile(os.path.abspath(database))

    @event.listens_for(engine, "connect")
    def on_connect(*_args: Any) -> None:  # after the pragmas: the file exists now
        database_file.remember()  # the first connection's file is the one the portal started on

    @event.listens_for(engine, "do_connect")
    def before_connecting(*_args: Any) -> None:
        # SQLite would create a new, empty database under the name of a removed one.
        database_file.check()

    @event.listens_for(engine, "checkout")
    def on_checkout(*_args: Any) -> None:
        # A pooled connection still has the removed file open: what it wrote would be lost. Requests
        # have checked once at their start (Database.check_file); the scheduler and commands do here.
        if not has_request_context():
            database_file.check()

    return database_file


def _configure_sqlite(engine: Engine, busy_seconds: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is off so that BEGIN IMMEDIATE
        # below is the only BEGIN: writers queue on busy_timeout instead of
        # failing when a read transaction tries to upgrade (SQLITE_BUSY_SNAPSHOT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Straight to the driver: every request opens a transaction or two, and SQLAlchemy's
        # statement path (cursor, result, events) costs many times what SQLite needs for BEGIN.
        connection.connection.dbapi_connection.execute("BEGIN" if _READ_ONLY.get() else "BEGIN IMMEDIATE")


# Set inside read_only(): transactions begin deferred on SQLite, a snapshot without the write lock.
_READ_ONLY: ContextVar[bool] = ContextVar("sekisho_read_only", default=False)


@contextmanager
def read_only(session: Session) -> Iterator[None]:
    """Run a long read (a search over millions of rows) in its own snapshot, without holding
    SQLite's write lock, which every other transaction takes at BEGIN: other requests go on
    meanwhile. Ends the session's current transaction first; nothing inside may write."""
    session.commit()
    token = _READ_ONLY.set(True)
    try:
        yield
        session.commit()  # keeps what was loaded (expire_on_commit=False)
    except BaseException:
        session.rollback()
        raise
    finally:
        _READ_ONLY.reset(token)


def _create_private_file(url: str) -> None:
    """A new SQLite database is readable by its owner only (SQLite gives the -wal and -shm files
    the same mode): it holds password hashes, personal data and the audit log, and the default
    umask would let every local account of the server read it. An existing file keeps its mode."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists() or not path.parent.is_dir():
        return  # a missing folder stays an error: a typo in the URL is not a new, empty installation
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # another process created it meanwhile
        pass


def make_engine(url: str, busy_seconds: int = 15) -> Engine:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from webapp.config import ConfigError

    try:
        backend = make_url(url).get_backend_name()
        if backend not in {"sqlite", "postgresql"}:
            raise ValueError(f"{backend} is not supported")
        return _make_engine(url, busy_seconds)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as wrong:
        raise ConfigError(f"PORTAL_DATABASE_URL is not a database address this portal can use ({wrong}); "
                          "use sqlite:///PATH or postgresql://USER@HOST/NAME") from None


def _make_engine(url: str, busy_seconds: int) -> Engine:
    if url.startswith("sqlite"):
        _create_private_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_seconds})
        _configure_sqlite(engine, busy_seconds)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    # A server that stops answering (a failover, a dropped network) must not hold a request, and a
    # waitress thread with it, for the minutes TCP would wait: connecting and unacknowledged
    # traffic give up after the same wait as a lock.
    given = make_url(url).query  # what the URL sets itself stays as it says
    waits = {"connect_timeout": busy_seconds, "tcp_user_timeout": busy_seconds * 1000}
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         connect_args={k: v for k, v in waits.items() if k not in given})


def is_busy(error: BaseException | None) -> bool:
    """Another writer held the database longer than the wait allows (SQLite's busy timeout,
    PORTAL_DATABASE_BUSY_SECONDS; PostgreSQL's lock timeout): worth a retry in a moment."""
    # SQLAlchemy wraps the driver's error, except at BEGIN (on_begin calls the driver itself).
    found = error.orig if isinstance(error, OperationalError) else error
    if not any(cls.__name__ == "OperationalError" for cls in type(found).__mro__):
        return False
    text = str(found).lower()
    return "database is locked" in text or "lock timeout" in text


def is_unwritable(error: BaseException | None) -> bool:
    """SQLite could not write: the file, its folder or its mount is read-only, or the disk is full
    or failing. Not a fault of the request, and no retry in a moment helps: its operator's is."""
    found = error.orig if isinstance(error, OperationalError) else error  # raw at BEGIN, as in is_busy
    if not any(cls.__name__ == "OperationalError" for cls in type(found).__mro__):
        return False
    text = str(found).lower()
    return "readonly database" in text or "disk i/o error" in text or "database or disk is full" in text


def write_refusal(engine: Engine) -> BaseException | None:
    """The error SQLite gives when this process tries to change its database, or None when it can.
    A read-only file is opened read-only without a word and even BEGIN IMMEDIATE succeeds on it:
    only a change finds out, here one rolled back at once. A database that another writer holds
    is no refusal (it is writable a moment later)."""
    if engine.dialect.name != "sqlite":
        return None
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE sekisho_write_check (x INTEGER)")
            connection.rollback()
    except Exception as refused:
        if is_unwritable(refused):
            return refused
        if is_busy(refused):
            return None
        raise
    return None


def is_unreachable(error: BaseException | None) -> bool:
    """The database server refused or lost the connection (down, restarting, out of reach): worth
    a retry later, not a fault of the request. Told by the error itself, never by connecting again
    (a server that does not answer would hold the request a second time)."""
    if not isinstance(error, (OperationalError, InterfaceError)):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate:  # PostgreSQL: connection exceptions, and shutting down or starting up
        return sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03"}
    text = str(error.orig).lower()
    # psycopg's failures to connect carry no SQLSTATE; a wrong password or database name is a
    # setting to correct, not an outage (the usual error page, and the log says which).
    if not text.startswith(("connection failed", "connection timeout", "failed to resolve host")):
        return False
    return not any(setting in text for setting in ("authentication", "does not exist", "pg_hba.conf", "ssl"))


class PinnedSession(Session):
    """A session that keeps one pooled connection from its first statement until it is closed
    (at the end of each request or app context), instead of checking one out and back in for
    each of the request's transactions: SQLAlchemy's pool and connection bookkeeping cost
    more than SQLite's BEGIN and COMMIT. Each transaction still begins and commits on it."""

    def __init__(self, engine: Engine, **options: Any) -> None:
        super().__init__(**options)
        self._engine = engine
        self._pinned: Connection | None = None

    def get_bind(self, *args: Any, **kwargs: Any) -> Connection:  # type: ignore[override]
        if self._pinned is None or self._pinned.closed or self._pinned.invalidated:
            self._pinned = self._engine.connect()
        return self._pinned

    def close(self) -> None:
        super().close()
        pinned, self._pinned = self._pinned, None
        if pinned is not None:
            pinned.close()


class _State:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.file = _watch_file(engine)
        self.session = scoped_session(sessionmaker(class_=PinnedSession, engine=engine, expire_on_commit=False))


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
# Advisory lock ids: what runs one at a time on PostgreSQL (SQLite's BEGIN IMMEDIATE already
# runs every writing transaction one at a time).
AUDIT_CHAIN_LOCK = 7_355_608
APPLICATIONS_LOCK = 7_355_609
NOTICES_LOCK = 7_355_610
SIGN_IN_ADDRESS_LOCKS = 7_355_611  # shifted left by 32 bits, a hash of the address below
HOURS_CLOSURES_LOCK = 7_355_620


def one_at_a_time(session: Session, lock_id: int) -> None:
    """Wait for, then hold until this transaction ends, the lock of that work on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_ADVISORY_LOCK, {"k": lock_id})


def change_if(session: Session, row: Any, *conditions: Any, **values: Any) -> bool:
    """UPDATE `row` with `values` only while `conditions` hold, in one statement. Of two requests
    changing the same row at once (PostgreSQL runs them side by side), the second finds the
    condition false and gets False instead of overwriting the first one's change. The loaded
    object gets the new values without being marked dirty."""
    entity = type(row)
    changed = session.execute(
        update(entity).where(entity.id == row.id, *conditions).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        for name, value in values.items():
            set_committed_value(row, name, value)
    return bool(changed)


class Database:
    """Per-app engine and thread-scoped session, found through current_app."""

    def init_app(self, app: Flask) -> None:
        state = _State(make_engine(app.config["PORTAL_DATABASE_URL"], app.config["PORTAL_DATABASE_BUSY_SECONDS"]))
        app.extensions["sekisho.db"] = state

        @app.teardown_appcontext
        def remove_session(_exc: BaseException | None) -> None:
            state.session.remove()

    @staticmethod
    def _state() -> _State:
        return current_app.extensions["sekisho.db"]

    @property
    def session(self) -> Session:
        return self._state().session()  # type: ignore[return-value]

    @property
    def engine(self) -> Engine:
        return self._state().engine

    def check_file(self) -> None:
        """Raise DatabaseFileLost when the SQLite file was removed or replaced since the portal
        opened it. Each request calls it once before anything else: one stat(), no query."""
        database_file = self._state().file
        if database_file is not None:
            database_file.check()

    def file_read_only(self) -> bool:
        """The SQLite file cannot be written by this account (a permission, an immutable file)."""
        database_file = self._state().file
        return database_file is not None and not database_file.writable()

    def reopen_connections(self) -> None:
        """After the database could not be written: a connection SQLite opened on a read-only file
        stays read-only when the file is writable again. The next requests open new ones, so that
        the operator's fix works without a restart (those in use are closed when given back)."""
        self._state().engine.dispose()

    def create_all(self) -> None:
        import webapp.models  # noqa: F401  (registers every table)

        Base.metadata.create_all(self.engine)
