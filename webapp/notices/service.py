"""Posting notices and reading them; who sees what is decided here, never in a template."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth.models import User
from webapp.database import NOTICES_LOCK, one_at_a_time
from webapp.extensions import db
from webapp.forms import about
from webapp.notices.models import NOTICE_KINDS, Notice, NoticeRead
from webapp.orgs.regions import CATEGORY_LABELS

SHOWN_ON_DASHBOARD = 10
SAME_POST_WITHIN = timedelta(minutes=10)


class Invalid(ValueError):
    """A refusal whose message is for the person who filled in the form."""


class NotFound(LookupError):
    """No such notice for this user (also when it exists but is meant for others)."""


@dataclass(frozen=True)
class ShownNotice:
    notice: Row[Any]  # id, kind, title, body, posted_at
    unread: bool


# Who sees a notice: everyone, or the organisations of its audience category; nobody once withdrawn.
_VISIBLE_TO_CATEGORY = and_(Notice.withdrawn_at.is_(None),
                            or_(Notice.audience.is_(None), Notice.audience == bindparam("category")))
# Every dashboard runs this: built once, because building the statement cost SQLAlchemy more
# than the database takes to run it; plain rows, because ORM loading costs as much again.
_NEWEST_FOR_READER = (
    select(Notice.id, Notice.kind, Notice.title, Notice.body, Notice.posted_at, NoticeRead.read_at)
    .outerjoin(NoticeRead, and_(NoticeRead.notice_id == Notice.id, NoticeRead.user_id == bindparam("reader_id")))
    .where(_VISIBLE_TO_CATEGORY)
    .order_by(Notice.posted_at.desc(), Notice.id.desc())
    .limit(bindparam("limit"))
)


def post(actor: User, kind: str, title: str, body: str, audience: str, origin: Origin) -> Notice:
    if not actor.is_sysadmin:
        raise NotFound()
    if kind not in NOTICE_KINDS:
        raise Invalid(about("kind", _l("Choose the kind of notice.")))
    if audience and audience not in CATEGORY_LABELS:
        raise Invalid(about("audience", _l("Choose who the notice is for.")))
    if not title:
        raise Invalid(about("title", _l("Enter a title.")))
    if not body:
        raise Invalid(about("body", _l("Enter the text of the notice.")))
    one_at_a_time(db.session, NOTICES_LOCK)
    same = db.session.scalar(select(Notice).where(
        Notice.posted_by_id == actor.id, Notice.kind == kind, Notice.title == title, Notice.body == body,
        Notice.audience.is_(None) if not audience else Notice.audience == audience,
        Notice.posted_at >= clock.now() - SAME_POST_WITHIN, Notice.withdrawn_at.is_(None)).limit(1))
    if same is not None:  # the form sent twice (a double click, a reload): posted once
        db.session.commit()
        return same
    notice = Notice(kind=kind, title=title, body=body, audience=audience or None, posted_at=clock.now(),
                    posted_by_id=actor.id)
    db.session.add(notice)
    db.session.flush()
    audit.record("notice.posted", origin=origin, actor_id=actor.id, organisation_id=actor.organisation_id,
                 target=str(notice.id), notice_kind=kind, audience=audience or "everyone", title=title)
    db.session.commit()
    return notice


def for_user(user: User, limit: int = SHOWN_ON_DASHBOARD) -> list[ShownNotice]:
    """Newest first, each with whether this user has read it."""
    rows = db.session.execute(_NEWEST_FOR_READER, {
        "reader_id": user.id, "category": user.organisation.category, "limit": limit,
    })
    return [ShownNotice(row, row.read_at is None) for row in rows]


LISTED = 200  # the notices page: every notice a person could still need, newest first


def unread_count(user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count()).select_from(Notice)
        .outerjoin(NoticeRead, and_(NoticeRead.notice_id == Notice.id, NoticeRead.user_id == user.id))
        .where(_VISIBLE_TO_CATEGORY, NoticeRead.read_at.is_(None)), {"category": user.organisation.category}) or 0


def withdraw(actor: User, notice_id: int, reason: str, origin: Origin) -> None:
    """A notice posted to the wrong audience, or wrong: it disappears for everyone; the audit
    entry keeps what it said and why it was withdrawn."""
    if not actor.is_sysadmin:
        raise NotFound()
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.withdrawn_at is not None:
        raise NotFound()
    if not reason:
        raise Invalid(about("reason", _l("Give the reason for withdrawing the notice.")))
    if len(reason) > 2000:
        raise Invalid(about("reason", _l("Please enter at most %(n)d characters.", n=2000)))
    audit.record("notice.withdrawn", origin=origin, actor_id=actor.id, organisation_id=actor.organisation_id,
                 target=str(notice.id), title=notice.title, body=notice.body[:1000],
                 audience=notice.audience or "everyone", reason=reason)
    # Kept, marked, rather than deleted: SQLite would give its number to the next notice, and a
    # reader's stale "mark as read" of this one would then mark that one read unseen.
    notice.withdrawn_at = clock.now()
    db.session.commit()


def all_posted() -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.withdrawn_at.is_(None))
                                   .order_by(Notice.posted_at.desc(), Notice.id.desc())))


def mark_read(user: User, notice_id: int) -> None:
    """Idempotent; a notice meant for another category reads as missing."""
    found = db.session.scalar(select(Notice.id).where(Notice.id == notice_id, _VISIBLE_TO_CATEGORY),
                              {"category": user.organisation.category})
    if found is None:
        raise NotFound()
    exists = db.session.scalar(select(NoticeRead.notice_id).where(
        NoticeRead.notice_id == notice_id, NoticeRead.user_id == user.id))
    if exists is None:
        db.session.add(NoticeRead(notice_id=notice_id, user_id=user.id, read_at=clock.now()))
        try:
            db.session.commit()
        except IntegrityError:  # two clicks at once: the other one recorded it
            db.session.rollback()
