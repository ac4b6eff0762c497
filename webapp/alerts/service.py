"""Raising alerts (inside the detector's transaction), who may see them, and their states.

An alert goes by mail to every active system administrator and, when it concerns an
organisation, to its responsible people. The same alert (kind, organisation, user,
address) is not raised again while one is still open or acknowledged and younger than
REPEAT_AFTER: a burst of failures makes one alert, not one per failure.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp import clock
from webapp.alerts.labels import KIND_LABELS
from webapp.alerts.models import Alert
from webapp.applications import policy
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth.models import User
from webapp.auth.sessions import end_all_sessions
from webapp.database import change_if
from webapp.extensions import db
from webapp.forms import about
from webapp.mail import outbox
from webapp.mail.links import portal_url

REPEAT_AFTER = timedelta(hours=1)
PAGE_SIZE = 50
MAX_COMMENT = 2000


class Invalid(ValueError):
    """A refusal whose message is for the person who acted."""


class NotFound(LookupError):
    """No such alert for this person (also when it belongs to another organisation)."""


class AboutThemselves(Invalid):
    """The person an alert is about may read it but not settle it."""


def may_handle(viewer: User, alert: Alert) -> bool:
    """Whoever an alert is about (a responsible person who also exports records, say) does not
    close it: another responsible person or a system administrator does, with what they found."""
    return alert.user_id != viewer.id


def may_acknowledge(viewer: User, alert: Alert) -> bool:
    """As may_handle; but when nobody else could (the only system administrator), they may mark it
    seen. Closing stays with someone else: whoever holds that account must not be able to hide
    the alert raised about it (another system administrator: `portal create-sysadmin`)."""
    if may_handle(viewer, alert):
        return True
    return not [person for person in _readers(alert.organisation_id) if person.id != viewer.id]


def raise_alert(kind: str, summary: Summary | str, *, organisation_id: int | None = None, user_id: int | None = None,
                ip: str = "", origin: Origin | None = None, mail_sysadmins: bool = True, each_time: bool = False,
                quietly: bool = False, **details: Any) -> Alert | None:
    """Add the alert and its mail to the current transaction; the caller commits.

    The summary is written by the detector in both languages (see in_both_languages) and stored;
    the audit entry and the mail carry the Japanese one. `origin` is the request that tripped the
    detector: its audit entries then carry that address and browser, with the person as actor,
    so that searching the log by either finds them. `mail_sysadmins=False` for an organisation's
    share of an alert the system administrators were already mailed (they still see it listed).
    `each_time`: every occurrence is its own alert (each names something the others do not).
    `quietly`: the answer to the request that tripped it must not show it by its timing: the mails
    leave with the next mail run, not before the answer (such a kind must not suspend either:
    config.py refuses it in PORTAL_ALERT_SUSPEND)."""
    if isinstance(summary, str):
        summary = Summary(summary, summary)
    now = clock.now()
    repeat = None if each_time else db.session.scalar(select(Alert.id).where(
        Alert.kind == kind, Alert.state != "closed", Alert.raised_at >= now - REPEAT_AFTER,
        Alert.organisation_id.is_(None) if organisation_id is None else Alert.organisation_id == organisation_id,
        Alert.user_id.is_(None) if user_id is None else Alert.user_id == user_id,
        Alert.ip == ip[:64],
    ).limit(1))
    if repeat is not None:
        return None
    trail = {"origin": origin, "actor_id": user_id} if origin is not None else {}
    suspended = user_id is not None and kind in suspending_kinds() and _suspend(user_id, kind, summary, trail)
    if suspended:
        summary = _with_suspension(summary)
        details["suspended"] = True
    alert = Alert(kind=kind, organisation_id=organisation_id, user_id=user_id, ip=ip[:64], summary=summary.ja[:300],
                  summary_en=summary.en[:300],
                  details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str), raised_at=now)
    db.session.add(alert)
    db.session.flush()
    audit.record("alert.raised", organisation_id=organisation_id, target=str(alert.id), alert_kind=kind,
                 summary=summary.ja[:300], ip=ip[:64], **trail)
    with force_locale("ja"):  # whatever language the request that tripped the detector asked for
        for reader in _readers(organisation_id, mail_sysadmins):
            outbox.enqueue(reader.email, _("[Sekisho] Alert: %(kind)s", kind=KIND_LABELS.get(kind, kind)), "alert_raised",
                           with_response=not quietly, reader=reader, alert=alert, alerts_url=portal_url("alerts.index"))
    return alert


def suspending_kinds() -> set[str]:
    """Alert kinds that also suspend the account at once (PORTAL_ALERT_SUSPEND)."""
    return {k.strip() for k in current_app.config["PORTAL_ALERT_SUSPEND"].split(",") if k.strip()}


def _suspend(user_id: int, kind: str, summary: Summary, trail: dict[str, Any]) -> bool:
    """Stop the account and its sessions within the detector's transaction; audited, and the
    person told by mail (the owner of a stolen account learns of it). False when it was not
    stopped: a system administrator, or suspended meanwhile by another detector or person."""
    user = db.session.get(User, user_id)
    if user is None or user.status != "active" or user.is_sysadmin:  # never lock the operators out by a rule
        return False
    if not change_if(db.session, user, User.status == "active", status="suspended", suspended_by="detector"):
        return False
    ended = end_all_sessions(user.id)
    audit.record("account.suspended_by_detector", organisation_id=user.organisation_id, target=user.login_id,
                 detector=kind, ended_sessions=ended, **trail)
    with force_locale("ja"):
        outbox.enqueue(user.email, _("About your Sekisho account"), "account_notice", user=user, reason="",
                       headline=_("Your account has been suspended because of this: %(summary)s To use Sekisho "
                                  "again, ask your organisation's administrator to apply for its resumption.",
                                  summary=summary.ja))
    return True


def _with_suspension(summary: Summary) -> Summary:
    said = _l("The account has been suspended (PORTAL_ALERT_SUSPEND); an approved resumption application lifts it.")
    both = in_both_languages(said)
    return Summary(f"{summary.ja} {both.ja}", f"{summary.en} {both.en}")


@dataclass(frozen=True)
class Summary:
    """A detector's summary, written once in each language: the people who handle alerts read it
    long after the request that raised it, in the language of their own pages."""

    ja: str
    en: str


def in_both_languages(message: Any) -> Summary:
    """A lazy_gettext string with its variables, rendered in Japanese and in English."""
    with force_locale("ja"):
        ja = str(message)
    with force_locale("en"):
        en = str(message)
    return Summary(ja, en)


def _readers(organisation_id: int | None, sysadmins: bool = True) -> list[User]:
    """The system administrators and, for an organisation's alert, its responsible people."""
    people = policy.active_sysadmins() if sysadmins else []
    if organisation_id is not None:
        people += policy.eligible_responsible(organisation_id, 0, None)
    return list({person.id: person for person in people}.values())


def can_see_alerts(viewer: User) -> bool:
    return viewer.is_sysadmin or viewer.has_role("responsible")


@dataclass(frozen=True)
class AlertPage:
    alerts: list[Alert]
    number: int
    has_older: bool


def visible(viewer: User, states: tuple[str, ...], page: int = 1) -> AlertPage:
    """Newest first, PAGE_SIZE a page; the older ones are a page further, never cut off."""
    if not can_see_alerts(viewer):
        raise NotFound()
    query = select(Alert).where(Alert.state.in_(states)).order_by(Alert.raised_at.desc(), Alert.id.desc())
    if not viewer.is_sysadmin:
        query = query.where(Alert.organisation_id == viewer.organisation_id)
    rows = list(db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).unique())
    return AlertPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def _find(viewer: User, alert_id: int) -> Alert:
    alert = db.session.get(Alert, alert_id)
    if alert is None or not can_see_alerts(viewer):
        raise NotFound()
    if not viewer.is_sysadmin and alert.organisation_id != viewer.organisation_id:
        raise NotFound()
    return alert


def _find_to_handle(viewer: User, alert_id: int, closing: bool) -> Alert:
    alert = _find(viewer, alert_id)
    if not (may_handle(viewer, alert) if closing else may_acknowledge(viewer, alert)):
        if may_acknowledge(viewer, alert):  # the only one who could: closing needs someone else
            raise AboutThemselves(_l("This alert is about your own account and nobody else can handle it: you may "
                                     "mark it seen; closing it needs another system administrator (portal "
                                     "create-sysadmin)."))
        raise AboutThemselves(_l("This alert is about your own account: another responsible person or a system "
                                 "administrator acknowledges and closes it."))
    return alert


def acknowledge(viewer: User, alert_id: int, origin: Origin) -> Alert:
    alert = _find_to_handle(viewer, alert_id, closing=False)
    if not change_if(db.session, alert, Alert.state == "open", state="acknowledged",
                     acknowledged_at=clock.now(), acknowledged_by_id=viewer.id):
        raise Invalid(_l("Only an open alert can be acknowledged."))
    audit.record("alert.acknowledged", origin=origin, actor_id=viewer.id, organisation_id=alert.organisation_id,
                 target=str(alert.id))
    db.session.commit()
    return alert


def close(viewer: User, alert_id: int, comment: str, origin: Origin) -> Alert:
    alert = _find_to_handle(viewer, alert_id, closing=True)
    if alert.state == "closed":
        raise Invalid(_l("This alert is already closed."))
    if not comment:
        raise Invalid(about("comment", _l("Say what was found or done before closing the alert.")))
    if len(comment) > MAX_COMMENT:
        raise Invalid(about("comment", _l("Please enter at most %(n)d characters.", n=MAX_COMMENT)))
    if not change_if(db.session, alert, Alert.state != "closed", state="closed", closed_at=clock.now(),
                     closed_by_id=viewer.id, close_comment=comment):
        raise Invalid(_l("This alert is already closed."))
    audit.record("alert.closed", origin=origin, actor_id=viewer.id, organisation_id=alert.organisation_id,
                 target=str(alert.id), comment=comment)
    if not viewer.is_sysadmin:
        # The organisation closed what was raised about it: the system administrators, who handle
        # alerts (SPEC §1), read what it found, since the alert leaves their open list.
        with force_locale("ja"):
            for reader in policy.active_sysadmins():
                outbox.enqueue(reader.email, _("[Sekisho] Alert closed: %(kind)s", kind=KIND_LABELS.get(alert.kind, alert.kind)),
                               "alert_closed", reader=reader, alert=alert, closer=viewer,
                               alerts_url=portal_url("alerts.index", show="closed"))
    db.session.commit()
    return alert
