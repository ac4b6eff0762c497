"""The log's head (last entry's id and hash), kept outside the database in instance/.

The chain shows an entry changed or removed in the middle; it cannot show that the newest
entries were cut off, or that someone with the database's rights rewrote every entry from
one on and hashed them anew. The anchor can: the entry it names must still be there, with
that hash. The scheduler moves it forward (and raises an alert when it finds it broken);
`portal audit verify` checks the whole chain against it and moves it to what it checked.

The file also names the log's first entry: a database restored from a backup or another
database under the same instance folder is told apart from a log that was cut.
"""
from __future__ import annotations

import fcntl
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from flask import current_app
from sqlalchemy import bindparam, select

from webapp.audit.models import AuditEvent
from webapp.extensions import db

FILE_NAME = "audit-anchor.json"
_HEAD = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_FIRST = select(AuditEvent.hash).order_by(AuditEvent.id).limit(1)
_HASH_OF = select(AuditEvent.hash).where(AuditEvent.id == bindparam("entry_id"))


@dataclass(frozen=True)
class Anchor:
    entry_id: int
    hash: str
    first_hash: str = ""  # the log's first entry: which log this anchor belongs to


class AnchorUnreadable(Exception):
    """The file is there but garbled: never silently start over (that would forget the head)."""


class AnchorBroken(Exception):
    """The entry the anchor names is gone or differs: the log was cut or rewritten."""


class OtherLog(Exception):
    """The anchor names another log's first entry: a restored backup or another database."""


def file_path() -> Path:
    return Path(current_app.instance_path) / FILE_NAME


def read() -> Anchor | None:
    try:
        stored = json.loads(file_path().read_text(encoding="utf-8"))
        return Anchor(int(stored["entry_id"]), str(stored["hash"]), str(stored.get("first_hash", "")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as unreadable:
        raise AnchorUnreadable(f"{file_path()} cannot be read ({unreadable}); it names the log's last known "
                               "entry: make it readable to the portal's account or restore it") from None


def check_same_log(anchor: Anchor | None) -> None:
    """OtherLog when the database's first entry is not the anchor's."""
    if anchor is not None and anchor.first_hash and db.session.scalar(_FIRST) not in (None, anchor.first_hash):
        raise OtherLog(f"{file_path()} names another first entry than this audit log's: either the log was rewritten "
                       "from its first entry, or the database was replaced (an older backup restored, "
                       "PORTAL_DATABASE_URL changed); only in the second case remove the file")


@contextmanager
def _locked() -> Iterator[None]:
    """One process at a time reads, compares and writes the file (the scheduler, a command)."""
    path = file_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Read-only suffices for flock, so whichever account made the file, the other can lock it.
    descriptor = os.open(path.with_suffix(".lock"), os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def move_to(entry_id: int, entry_hash: str) -> Anchor:
    """Record this entry (a verify reached it), only ever forward."""
    with _locked():
        current = read()
        if current is not None and current.entry_id >= entry_id:
            return current
        anchor = Anchor(entry_id, entry_hash, (current.first_hash if current else "") or db.session.scalar(_FIRST) or "")
        db.session.rollback()
        _write(anchor)
        return anchor


def move_to_head() -> Anchor | None:
    """Record the newest entry, only ever forward and only while the recorded one is still as
    it was (AnchorBroken otherwise: the anchor then stays where it shows the damage)."""
    with _locked():
        current = read()
        try:
            check_same_log(current)
            if current is not None and db.session.scalar(_HASH_OF, {"entry_id": current.entry_id}) != current.hash:
                raise AnchorBroken(current.entry_id)
            head = db.session.execute(_HEAD).first()
            first = db.session.scalar(_FIRST) or ""
        finally:
            db.session.rollback()
        if head is None or (current is not None and current.entry_id >= head.id):
            return current
        anchor = Anchor(head.id, head.hash, (current.first_hash if current else "") or first)
        _write(anchor)
        return anchor


def _write(anchor: Anchor) -> None:
    path = file_path()
    handle, partial = tempfile.mkstemp(prefix=f".{FILE_NAME}.", dir=path.parent)
    try:
        # Readable by the portal's account whoever ran the command: nothing in it is secret.
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"entry_id": anchor.entry_id, "hash": anchor.hash, "first_hash": anchor.first_hash}, out)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
