"""Mail to the people an application concerns: approvers, the applicant, the user.

Everything is queued in the caller's transaction (outbox.enqueue), so a
rolled-back approval sends nothing and a committed one loses nothing.
"""
from __future__ import annotations

from typing import Any, Iterable

from flask import current_app
from flask_babel import gettext as _

from webapp.applications import policy
from webapp.applications.labels import KIND_LABELS, STATE_LABELS
from webapp.applications.models import Application
from webapp.auth.models import User
from webapp.mail import outbox
from webapp.mail.outbox import in_mail_language


def application_url(application_id: int) -> str:
    # Built by hand: the expiry job runs without a request, where url_for cannot build external URLs.
    return f"{current_app.config['PORTAL_BASE_URL'].rstrip('/')}/applications/{application_id}"


def _unique(people: Iterable[User]) -> list[User]:
    seen: dict[int, User] = {}
    for person in people:
        seen.setdefault(person.id, person)
    return list(seen.values())


def _common(application: Application) -> dict[str, Any]:
    return {"application": application, "kind_label": str(KIND_LABELS[application.kind]),
            "url": application_url(application.id)}


@in_mail_language
def approvers_asked(application: Application, resubmitted: bool = False) -> int:
    people = _unique(policy.approvers_of(application))
    for person in people:
        outbox.enqueue(person.email, _("Application No. %(id)d awaits your decision", id=application.id),
                       "application_submitted", reader=person, resubmitted=resubmitted,
                       **_common(application))
    return len(people)


@in_mail_language
def _tell(people: Iterable[User], application: Application, reason: str = "") -> None:
    state = str(STATE_LABELS[application.state])
    for person in _unique(people):
        outbox.enqueue(person.email, _("Application No. %(id)d: %(state)s", id=application.id, state=state),
                       "application_update", reader=person, state_label=state, reason=reason,
                       **_common(application))


def applicant_told(application: Application, reason: str = "") -> None:
    _tell([application.applicant], application, reason)


def approvers_told(application: Application, reason: str = "", except_id: int | None = None) -> None:
    _tell([p for p in policy.approvers_of(application) if p.id != except_id], application, reason)


@in_mail_language
def account_mail(address: str, user: User, headline: str, reason: str = "", **extra: Any) -> None:
    outbox.enqueue(address, _("About your Sekisho account"), "account_notice",
                   user=user, headline=headline, reason=reason, **extra)


@in_mail_language
def resumed_headline() -> str:
    return _("Your account has been resumed. You can sign in again.")


@in_mail_language
def unlocked_headline() -> str:
    return _("Your account has been unlocked. You can sign in again.")


@in_mail_language
def account_changed(user: User, application: Application, old_email: str) -> None:
    headline = _("Your account details were changed by an approved application (No. %(id)d).", id=application.id)
    account_mail(user.email, user, headline, application=application)
    if old_email.lower() != user.email.lower():
        # The old address hears of it too: a hijacked change must not go unnoticed.
        account_mail(old_email, user, headline, application=application)


@in_mail_language
def account_status(user: User, application: Application) -> None:
    headlines = {
        "remove": _("Your account has been closed. You can no longer sign in."),
        "suspend": _("Your account has been suspended. You cannot sign in until it is resumed."),
        "resume": resumed_headline(),
        "unlock": unlocked_headline(),
    }
    account_mail(user.email, user, headlines[application.kind], application=application)


@in_mail_language
def suspended_now(user: User, actor: User, reason: str, sysadmins: Iterable[User]) -> None:
    account_mail(user.email, user, _("Your account has been suspended with immediate effect. "
                                      "Contact your organisation's responsible person."), reason)
    for admin in _unique(sysadmins):
        outbox.enqueue(admin.email, _("A user was suspended with immediate effect"), "account_suspended_report",
                       reader=admin, user=user, actor=actor, reason=reason)
