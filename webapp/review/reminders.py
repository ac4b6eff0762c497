"""Reminding unsigned reviews: at most once a day per review, escalated when overdue.

The responsible people of the organisation are mailed while a review is due; once it is
overdue (or when the organisation has no responsible person who could sign) the system
administrators are mailed as well. Each person gets one mail per run listing every review
that concerns them. Marking a review reminded is a conditional UPDATE, so the scheduler of
several processes and cron may all run it on the same day and it still mails once.
Reviews of a suspended organisation are not reminded: nobody there can sign in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from webapp.applications import policy
from webapp.audit import service as audit
from webapp.auth.models import User
from webapp.extensions import db
from webapp.mail import outbox
from webapp.mail.links import portal_url
from webapp.orgs.models import Organisation
from webapp.review import service
from webapp.review.models import AccessReview
from webapp.review.periods import Month


@dataclass(frozen=True)
class Reminded:
    review: AccessReview
    overdue: bool
    recipients: list[User]


@dataclass
class ReminderReport:
    as_of: date
    opened: int = 0
    reminded: list[Reminded] = field(default_factory=list)


def review_url(review_id: int) -> str:
    return portal_url("reviews.show", review_id=review_id)


def _unsigned_not_reminded(as_of: date) -> list[AccessReview]:
    reviews = db.session.scalars(
        select(AccessReview).join(AccessReview.organisation)
        .where(AccessReview.signed_at.is_(None), Organisation.status == "active",
               or_(AccessReview.last_reminded_on.is_(None), AccessReview.last_reminded_on < as_of))
        .order_by(AccessReview.month, Organisation.name, AccessReview.id))
    # Only months that are over on that day (an --as-of in the past leaves later ones alone).
    return [r for r in reviews if Month.parse(r.month).next().first_day <= as_of]


def _claim(review: AccessReview, as_of: date) -> bool:
    """Mark the review reminded on that day; False when another run did it first."""
    return bool(db.session.execute(
        update(AccessReview).where(AccessReview.id == review.id, or_(
            AccessReview.last_reminded_on.is_(None), AccessReview.last_reminded_on < as_of))
        .values(last_reminded_on=as_of, reminders=AccessReview.reminders + 1)
        .execution_options(synchronize_session=False)
    ).rowcount)


def _recipients(review: AccessReview, overdue: bool, sysadmins: list[User]) -> list[User]:
    people = policy.eligible_responsible(review.organisation_id, 0, None)
    if overdue or not people:
        people = people + sysadmins
    return list({person.id: person for person in people}.values())


def remind(as_of: date | None = None) -> ReminderReport:
    """Open last month's reviews, then remind every unsigned one not yet reminded on that day."""
    as_of = as_of or service.today()
    report = ReminderReport(as_of, opened=service.open_reviews(as_of))
    sysadmins = policy.active_sysadmins()
    for review in _unsigned_not_reminded(as_of):
        if not _claim(review, as_of):
            continue
        overdue = as_of > review.due_on
        recipients = _recipients(review, overdue, sysadmins)
        audit.record("review.reminded", organisation_id=review.organisation_id, target=str(review.id),
                     month=review.month, due_on=review.due_on.isoformat(), overdue=overdue,
                     recipients=[person.login_id for person in recipients])
        report.reminded.append(Reminded(review, overdue, recipients))
    _mail(report)
    db.session.commit()
    outbox.deliver_committed()  # now, not at the scheduler's next mail run; failures stay queued
    return report


def _mail(report: ReminderReport) -> None:
    """One mail per person, listing every review that concerns them."""
    per_person: dict[int, tuple[User, list[Reminded]]] = {}
    for item in report.reminded:
        for person in item.recipients:
            per_person.setdefault(person.id, (person, []))[1].append(item)
    with force_locale("ja"):  # the operators' language, whoever runs the command
        for person, items in per_person.values():
            overdue = any(item.overdue for item in items)
            subject = (_("Sekisho: an access review is overdue") if overdue
                       else _("Sekisho: an access review awaits your sign-off"))
            outbox.enqueue(person.email, subject, "review_reminder", reader=person, as_of=report.as_of,
                           items=[{"review": i.review, "overdue": i.overdue, "url": review_url(i.review.id),
                                   "responsible": person.organisation_id == i.review.organisation_id}
                                  for i in items])
