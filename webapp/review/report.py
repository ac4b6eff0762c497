"""What an organisation's users did in a month, counted from the audit log.

One grouped query over the organisation's entries of the month (the (organisation_id, at)
index bounds it), then the organisation's users: every active account that existed during
the month, and any other account (suspended, closed) that did something in it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from webapp.audit import service as audit
from webapp.audit.models import AuditEvent
from webapp.auth.models import User
from webapp.extensions import db
from webapp.review.periods import Month

REPORT_VERSION = 1

# Audit kind -> the counter it adds to; `shown` in the entry's details counts records.
COUNTED_KINDS = {
    "login.succeeded": "sign_ins",
    "login.failed": "failed_sign_ins",  # wrong password, locked, suspended (known accounts only)
    "login.code_failed": "failed_sign_ins",  # a wrong one-time code
    "records.viewed": "pages_viewed",
    "records.exported": "exports",
    "records.export_refused": "exports_refused",
}
RECORD_COUNTERS = {"records.viewed": "records_shown", "records.exported": "records_exported"}


@dataclass
class Counts:
    sign_ins: int = 0
    failed_sign_ins: int = 0
    pages_viewed: int = 0
    records_shown: int = 0
    exports: int = 0
    records_exported: int = 0
    exports_refused: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


@dataclass
class UserActivity:
    user_id: int
    login_id: str
    name: str
    department: str
    roles: list[str]
    status: str
    counts: Counts = field(default_factory=Counts)
    last_sign_in: datetime | None = None


@dataclass
class Report:
    month: str
    computed_at: datetime
    rows: list[UserActivity]
    totals: Counts

    def to_json(self) -> str:
        def plain(row: UserActivity) -> dict[str, Any]:
            data = asdict(row)
            data["last_sign_in"] = row.last_sign_in.isoformat() if row.last_sign_in else None
            return data

        return json.dumps({"version": REPORT_VERSION, "month": self.month, "computed_at": self.computed_at.isoformat(),
                           "rows": [plain(r) for r in self.rows], "totals": asdict(self.totals)},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        rows = [UserActivity(**{**r, "counts": Counts(**r["counts"]),
                                "last_sign_in": datetime.fromisoformat(r["last_sign_in"]) if r["last_sign_in"] else None})
                for r in data["rows"]]
        return cls(data["month"], datetime.fromisoformat(data["computed_at"]), rows, Counts(**data["totals"]))


def _activity(organisation_id: int, month: Month) -> dict[int, tuple[Counts, datetime | None]]:
    records = audit.records_shown()
    query = (
        select(AuditEvent.actor_id, AuditEvent.kind, func.count(), func.max(AuditEvent.at), func.sum(records))
        .where(AuditEvent.organisation_id == organisation_id,
               AuditEvent.at >= month.start_utc(), AuditEvent.at < month.end_utc(),
               AuditEvent.kind.in_(list(COUNTED_KINDS)), AuditEvent.actor_id.is_not(None))
        .group_by(AuditEvent.actor_id, AuditEvent.kind)
    )
    found: dict[int, tuple[Counts, datetime | None]] = {}
    for actor_id, kind, count, last_at, records_total in db.session.execute(query):
        counts, last_sign_in = found.get(actor_id, (Counts(), None))
        attribute = COUNTED_KINDS[kind]
        setattr(counts, attribute, getattr(counts, attribute) + count)
        if kind in RECORD_COUNTERS:
            setattr(counts, RECORD_COUNTERS[kind], getattr(counts, RECORD_COUNTERS[kind]) + int(records_total or 0))
        if kind == "login.succeeded":
            last_sign_in = last_at
        found[actor_id] = (counts, last_sign_in)
    return found


def compute(organisation_id: int, month: Month, now: datetime) -> Report:
    activity = _activity(organisation_id, month)
    people = db.session.scalars(
        select(User).where(User.organisation_id == organisation_id, or_(
            User.id.in_(list(activity)),
            and_(User.status == "active", User.created_at < month.end_utc()),
        )).order_by(User.login_id)
    )
    rows, totals = [], Counts()
    for person in people:
        counts, last_sign_in = activity.get(person.id, (Counts(), None))
        totals.add(counts)
        rows.append(UserActivity(person.id, person.login_id, person.name, person.department,
                                 sorted(person.role_set), person.status, counts, last_sign_in))
    return Report(str(month), now, rows, totals)


DETAIL_LIMIT = 1000


def entries_of(organisation_id: int, user_id: int, month: Month) -> list[AuditEvent]:
    """One person's counted entries of the month, oldest first: when, from where, with which
    browser, what was viewed or exported (at most DETAIL_LIMIT + 1: the caller says when cut)."""
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.organisation_id == organisation_id, AuditEvent.actor_id == user_id,
               AuditEvent.at >= month.start_utc(), AuditEvent.at < month.end_utc(),
               AuditEvent.kind.in_(list(COUNTED_KINDS)))
        .order_by(AuditEvent.at, AuditEvent.id)
        .limit(DETAIL_LIMIT + 1)))
