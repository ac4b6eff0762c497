"""Writing and verifying the audit chain.

Each entry's hash covers its own fields and the previous entry's hash, so an
edited or deleted row breaks the chain from that point on.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterator

from types import SimpleNamespace

from sqlalchemy import Integer, cast, event, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from webapp import clock
from webapp.audit.models import AuditEvent
from webapp.audit.anchor import Anchor
from webapp.database import AUDIT_CHAIN_LOCK, one_at_a_time
from webapp.extensions import db

GENESIS = "0" * 64
# Built once (sign-in writes three entries): building costs more than running on SQLite.
_LAST_HASH_QUERY = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_APPEND = insert(AuditEvent.__table__)


@dataclass(frozen=True)
class Origin:
    """Where a request came from; routes build it, services pass it on."""

    ip: str = ""
    user_agent: str = ""


SYSTEM = Origin(ip="", user_agent="system")

# The hash of the entry this transaction appended last. The chain's lock (SQLite's write
# lock, taken by BEGIN IMMEDIATE; the advisory lock on PostgreSQL) is held from the first
# append to the end of the transaction, so no other entry can come between: the next
# append of the same transaction need not read the table again.
_LAST_HASH = "sekisho.audit_last_hash"


@event.listens_for(Session, "after_transaction_end")
def _forget_last_hash(session: Session, transaction: Any) -> None:
    # The outermost transaction, or a savepoint (a rolled-back one may have held the last
    # entry); not the subtransaction each flush opens and closes.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_LAST_HASH, None)


def _digest(prev_hash: str, entry: AuditEvent | SimpleNamespace) -> str:
    payload = json.dumps(
        [
            entry.at.isoformat(),
            entry.kind,
            entry.actor_id,
            entry.organisation_id,
            entry.ip,
            entry.user_agent,
            entry.target,
            entry.details,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def record(
    kind: str,
    *,
    origin: Origin = SYSTEM,
    actor_id: int | None = None,
    organisation_id: int | None = None,
    target: str = "",
    **details: Any,
) -> None:
    """Add an entry to the current transaction; it commits with the change it describes."""
    session = db.session
    prev_hash = session.info.get(_LAST_HASH) if session.in_transaction() else None
    if prev_hash is None:
        one_at_a_time(session, AUDIT_CHAIN_LOCK)
        prev_hash = session.scalar(_LAST_HASH_QUERY) or GENESIS
    entry = SimpleNamespace(
        at=clock.now(),
        kind=kind,
        actor_id=actor_id,
        organisation_id=organisation_id,
        ip=origin.ip[:64],
        user_agent=origin.user_agent[:300],
        target=str(target)[:200],
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
        prev_hash=prev_hash,
    )
    entry.hash = _digest(prev_hash, entry)
    session.execute(_APPEND, vars(entry))
    session.info[_LAST_HASH] = entry.hash


def records_shown() -> Any:
    """The `shown` number in an entry's JSON details (records a view or an export gave), as SQL
    on either database: summed in the query, not read back entry by entry."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(AuditEvent.details, postgresql.JSON)["shown"].as_integer()
    return cast(func.json_extract(AuditEvent.details, "$.shown"), Integer)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    # The anchor's entry is gone (the log was cut) or differs (rewritten and hashed anew).
    anchor_missing: int | None = None
    anchor_differs: int | None = None
    last: tuple[int, str] | None = None  # the last entry checked (id, hash): what a clean walk vouches for

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None and self.anchor_missing is None and self.anchor_differs is None


def _in_order(batch: int = 5000) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        db.session.expunge_all()


def verify_chain(anchor: Anchor | None = None) -> ChainReport:
    """Walk the chain from the first entry; with an anchor, its entry must be reached with its hash."""
    prev_hash = GENESIS
    checked = 0
    last: tuple[int, str] | None = None
    for entry in _in_order():
        if entry.prev_hash != prev_hash or _digest(prev_hash, entry) != entry.hash:
            return ChainReport(checked=checked, first_broken_id=entry.id)
        if anchor is not None and entry.id >= anchor.entry_id:
            if entry.id > anchor.entry_id or entry.hash != anchor.hash:
                return ChainReport(checked=checked, first_broken_id=None, anchor_differs=anchor.entry_id)
            anchor = None  # reached as recorded
        prev_hash = entry.hash
        checked += 1
        last = (entry.id, entry.hash)
    if anchor is not None:
        return ChainReport(checked=checked, first_broken_id=None, anchor_missing=anchor.entry_id)
    return ChainReport(checked=checked, first_broken_id=None, last=last)
