"""Opening reviews, who may see and sign them, and the sign-off.

Reviews are opened for the previous month by the scheduled job, the reminder command, or
the first visit to the list on or after the 1st (Japan time), whichever comes first;
opening is idempotent (the unique constraint and INSERT ... ON CONFLICT DO NOTHING), so
any number of processes may try at once. The portal operator's own organisation is not
reviewed. A review is signed off once: the conditional UPDATE lets one of two concurrent
sign-offs through, and the report is stored with it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.models import AuditEvent
from webapp.audit.service import Origin
from webapp.auth.models import User
from webapp.database import read_only
from webapp.extensions import db
from webapp.forms import text_problem
from webapp.orgs.models import Organisation
from webapp.review import report as reports
from webapp.review.models import AccessReview
from webapp.review.periods import Month, reviewable_month
from webapp.ui import format_jst

MAX_COMMENT = 2000
SHOWN = ("open", "signed", "all")
LIST_LIMIT = 300


class NotFound(LookupError):
    """No such review for this person (also when it belongs to another organisation)."""


class Forbidden(PermissionError):
    """The person sees the review but may not sign it."""


class Invalid(ValueError):
    """A refusal whose message is for the person who acted."""


class AlreadySigned(Invalid):
    """Someone signed the review first (a second sign-off, or the other of two clicks)."""


def due_days() -> int:
    return int(current_app.config["PORTAL_REVIEW_DUE_DAYS"])


def today() -> date:
    return clock.now_jst().date()


def state(review: AccessReview, on: date | None = None) -> str:
    if review.is_signed:
        return "signed"
    return "overdue" if (on or today()) > review.due_on else "due"


def open_reviews(on: date | None = None) -> int:
    """Open the review of the month before `on` (today in Japan) for every organisation that
    existed during that month; returns how many were new. Commits (on SQLite even the check
    holds the write lock until then)."""
    month = reviewable_month(on or today())
    have = select(AccessReview.organisation_id).where(AccessReview.month == str(month))
    missing = list(db.session.scalars(select(Organisation.id).where(
        Organisation.category != "operator", Organisation.created_at < month.end_utc(),
        Organisation.id.not_in(have)).order_by(Organisation.id)))
    if not missing:
        db.session.commit()
        return 0
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    now, due_on = clock.now(), month.due_on(due_days())
    table = AccessReview.__table__
    statement = dialect.insert(table).on_conflict_do_nothing(
        index_elements=["organisation_id", "month"]).returning(table.c.id)
    added = 0
    for organisation_id in missing:  # RETURNING, not rowcount: psycopg reports -1 for this statement
        added += len(db.session.execute(statement, {
            "organisation_id": organisation_id, "month": str(month), "due_on": due_on, "created_at": now,
            "comment": "", "report": "", "reminders": 0,
        }).all())
    db.session.commit()
    return added


def can_see_reviews(viewer: User) -> bool:
    return viewer.is_sysadmin or viewer.has_role("responsible")


def may_sign(viewer: User, review: AccessReview) -> bool:
    return (viewer.has_role("responsible") and viewer.status == "active"
            and viewer.organisation_id == review.organisation_id and not review.is_signed)


def visible(viewer: User, shown: str) -> list[AccessReview]:
    """The reviews this person may see, newest month first (system administrators: all)."""
    if not can_see_reviews(viewer):
        raise NotFound()
    open_reviews()
    query = (select(AccessReview).join(AccessReview.organisation)
             .order_by(AccessReview.month.desc(), Organisation.name, AccessReview.id))
    if shown == "open":
        query = query.where(AccessReview.signed_at.is_(None))
    elif shown == "signed":
        query = query.where(AccessReview.signed_at.is_not(None))
    if not viewer.is_sysadmin:
        query = query.where(AccessReview.organisation_id == viewer.organisation_id)
    return list(db.session.scalars(query.limit(LIST_LIMIT)))


def find(viewer: User, review_id: int) -> AccessReview:
    review = db.session.get(AccessReview, review_id)
    if review is None or not can_see_reviews(viewer):
        raise NotFound()
    if not viewer.is_sysadmin and review.organisation_id != viewer.organisation_id:
        raise NotFound()
    return review


def report_of(review: AccessReview) -> reports.Report:
    """As signed off, or counted now from the audit log (in a snapshot, outside the write lock)."""
    if review.is_signed and review.report:
        return reports.Report.from_json(review.report)
    with read_only(db.session):
        return reports.compute(review.organisation_id, Month.parse(review.month), clock.now())


def clean_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise Invalid(_l("Write the result of your review before signing it off."))
    problem = text_problem(comment, MAX_COMMENT, allow_newlines=True)
    if problem is not None:
        raise Invalid(problem)
    return comment


def _already_signed(review_id: int) -> AlreadySigned:
    db.session.rollback()
    review = db.session.get(AccessReview, review_id, populate_existing=True)
    assert review is not None and review.signed_at is not None
    signer = review.signed_by.name if review.signed_by else "?"
    return AlreadySigned(_l("This review was already signed off by %(name)s at %(when)s.",
                            name=signer, when=format_jst(review.signed_at)))


def sign_off(viewer: User, review_id: int, comment: str, origin: Origin) -> AccessReview:
    review = find(viewer, review_id)
    if review.is_signed:
        raise _already_signed(review.id)
    if not may_sign(viewer, review):
        raise Forbidden()
    comment = clean_comment(comment)
    report = report_of(review)  # the month is over: no entry can join it between here and the UPDATE
    now = clock.now()
    signed = db.session.execute(
        update(AccessReview).where(AccessReview.id == review.id, AccessReview.signed_at.is_(None))
        .values(signed_at=now, signed_by_id=viewer.id, comment=comment, report=report.to_json())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not signed:
        raise _already_signed(review.id)
    audit.record("review.signed", origin=origin, actor_id=viewer.id, organisation_id=review.organisation_id,
                 target=str(review.id), month=review.month, comment=comment, users=len(report.rows),
                 totals=asdict(report.totals))
    db.session.commit()
    return db.session.get(AccessReview, review.id, populate_existing=True)  # type: ignore[return-value]


@dataclass(frozen=True)
class PersonDetail:
    review: AccessReview
    person: User
    entries: list[AuditEvent]
    cut: bool  # more than reports.DETAIL_LIMIT entries: the newest are not shown


def person_detail(viewer: User, review_id: int, login_id: str, origin: Origin) -> PersonDetail:
    """What one of the organisation's people did in the review's month, entry by entry, for whoever
    may see the review; another organisation's person (or nobody) is NotFound. The reading is audited."""
    review = find(viewer, review_id)
    person = db.session.scalar(select(User).where(User.login_id == login_id[:40],
                                                  User.organisation_id == review.organisation_id))
    if person is None:
        raise NotFound()
    with read_only(db.session):
        entries = reports.entries_of(review.organisation_id, person.id, Month.parse(review.month))
    audit.record("review.person_viewed", origin=origin, actor_id=viewer.id, organisation_id=review.organisation_id,
                 target=person.login_id, review_id=review.id, month=review.month)
    db.session.commit()
    return PersonDetail(review, person, entries[:reports.DETAIL_LIMIT], len(entries) > reports.DETAIL_LIMIT)
