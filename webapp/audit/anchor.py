"""The log's head (last entry's id and hash), kept outside the database in instance/.

The chain shows an entry changed or removed in the middle; it cannot show that the newest
entries were cut off, or that someone with the database's rights rewrote every entry from
one on and hashed them anew. The anchor can: the entry it names must still be there, with
that hash. The scheduler moves it forward (and raises an alert when it finds it broken);
`portal audit verify` checks the whole chain against it.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import bindparam, select

from webapp.audit.models import AuditEvent
from webapp.extensions import db

FILE_NAME = "audit-anchor.json"
_HEAD = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_HASH_OF = select(AuditEvent.hash).where(AuditEvent.id == bindparam("entry_id"))


@dataclass(frozen=True)
class Anchor:
    entry_id: int
    hash: str


def _path() -> Path:
    return Path(current_app.instance_path) / FILE_NAME


def read() -> Anchor | None:
    try:
        stored = json.loads(_path().read_text(encoding="utf-8"))
        return Anchor(int(stored["entry_id"]), str(stored["hash"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as unreadable:
        raise AnchorUnreadable(f"{_path()} cannot be read ({unreadable}); it names the log's last known "
                               "entry: restore it, or remove it to start anew") from None


class AnchorUnreadable(Exception):
    """The file is there but garbled: never silently start over (that would forget the head)."""


class AnchorBroken(Exception):
    """The entry the anchor names is gone or differs: the log was cut or rewritten."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(entry_id)
        self.entry_id = entry_id


def move_to_head() -> Anchor | None:
    """Record the newest entry, only ever forward and only while the recorded one is still as
    it was (AnchorBroken otherwise: the anchor then stays where it shows the damage)."""
    current = read()
    if current is not None and db.session.scalar(_HASH_OF, {"entry_id": current.entry_id}) != current.hash:
        db.session.rollback()
        raise AnchorBroken(current.entry_id)
    head = db.session.execute(_HEAD).first()
    db.session.rollback()
    if head is None or (current is not None and current.entry_id >= head.id):
        return current
    anchor = Anchor(head.id, head.hash)
    path = _path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{FILE_NAME}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"entry_id": anchor.entry_id, "hash": anchor.hash}, out)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return anchor
