"""Who is dormant on a given day, and the sweep that warns and suspends them.

An account's last activity is its last sign-in, or its creation when it never
signed in, or the lifting of a suspension (its own or its organisation's) when that
came later. The people of a suspended organisation are left alone: they cannot sign in. Counting is in Japan's calendar days: dormant on the day that is
PORTAL_DORMANT_DAYS after the last activity, warned PORTAL_DORMANT_WARNING_DAYS
before. The sweep is idempotent (a warning is mailed once per dormancy period,
a suspension happens once), so the scheduler may run it as often as it likes
and cron may run `portal accounts sweep-dormant` as well.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp import clock
from webapp.alerts import service as alerts
from webapp.applications import notify, policy
from webapp.audit import service as audit
from webapp.auth.models import User
from webapp.auth.sessions import end_all_sessions
from webapp.clock import JST
from webapp.database import change_if
from webapp.extensions import db
from webapp.mail import outbox
from webapp.orgs.models import Organisation
from webapp.ui import format_jst


@dataclass(frozen=True)
class Dormant:
    user: User
    last_activity: datetime
    suspend_on: date


@dataclass
class SweepReport:
    as_of: date
    dry_run: bool
    suspended: list[Dormant] = field(default_factory=list)
    warned: list[Dormant] = field(default_factory=list)
    kept: list[Dormant] = field(default_factory=list)  # the last active system administrator


def last_activity(user: User) -> datetime:
    """The latest sign-in, creation, resumption or password set: activating an account long after
    it was created (a reissued link) is activity, or the next sweep suspends the person at once."""
    moments = [user.last_login_at or user.created_at, user.resumed_at, user.password_changed_at]
    return max(moment for moment in moments if moment is not None)


def _dormant_days() -> int:
    return int(current_app.config["PORTAL_DORMANT_DAYS"])


def _warning_days() -> int:
    return int(current_app.config["PORTAL_DORMANT_WARNING_DAYS"])


def assess(as_of: date) -> tuple[list[Dormant], list[Dormant]]:
    """(to suspend, to warn) on that day, oldest activity first; nothing is changed.

    Up to today, nobody is suspended who was never warned: when the sweeps did not run in the
    warning period (cron or the scheduler off for weeks), the overdue person is warned now and
    suspended the warning period later. A later day is a projection that assumes the daily
    sweeps in between warn on time."""
    to_suspend, to_warn = [], []
    projecting = as_of > clock.now_jst().date()
    warning = timedelta(days=_warning_days())
    users = db.session.scalars(select(User).join(User.organisation)
                               .where(User.status == "active", Organisation.status == "active").order_by(User.id))
    for user in users:
        activity = last_activity(user)
        entry = Dormant(user, activity, activity.astimezone(JST).date() + timedelta(days=_dormant_days()))
        already_warned = user.dormancy_warned_at is not None and user.dormancy_warned_at >= activity
        if already_warned:
            warned_on = user.dormancy_warned_at.astimezone(JST).date()
            if warned_on >= entry.suspend_on:  # warned when already overdue: the day that mail named
                entry = Dormant(user, activity, warned_on + warning)
        if as_of >= entry.suspend_on and (already_warned or projecting):
            to_suspend.append(entry)
        elif not already_warned and as_of >= entry.suspend_on - warning:
            overdue = as_of >= entry.suspend_on
            to_warn.append(Dormant(user, activity, as_of + warning) if overdue else entry)
    to_suspend.sort(key=lambda d: d.last_activity)
    to_warn.sort(key=lambda d: d.last_activity)
    return to_suspend, to_warn


class SweepAhead(ValueError):
    """A real sweep as of a later day would suspend people who were never warned and may still
    sign in before then: only a dry run may look ahead."""


def sweep(as_of: date | None = None, dry_run: bool = False) -> SweepReport:
    """Warn and suspend as of that day (today in Japan by default); a dry run changes nothing."""
    today = clock.now_jst().date()
    as_of = as_of or today
    if as_of > today and not dry_run:
        raise SweepAhead(as_of.isoformat())
    to_suspend, to_warn = assess(as_of)
    report = SweepReport(as_of, dry_run)
    active_sysadmins = {u.id for u in policy.active_sysadmins()}
    for entry in to_suspend:
        if entry.user.id in active_sysadmins and len(active_sysadmins) == 1:
            report.kept.append(entry)  # suspending it would leave nobody to resume anyone
            continue
        active_sysadmins.discard(entry.user.id)
        report.suspended.append(entry)
    report.warned = to_warn
    if dry_run:
        return report
    report.suspended = [entry for entry in report.suspended if _suspend(entry)]
    for entry in report.warned:
        _warn(entry)
    db.session.commit()
    outbox.deliver_committed()  # now, not at the scheduler's next mail run; failures stay queued
    return report


def _suspend(entry: Dormant) -> bool:
    """Suspends the account unless it was suspended or closed meanwhile (a second sweep, an
    application): then there is nothing to say, and the report does not claim it."""
    user = entry.user
    if not change_if(db.session, user, User.status == "active", status="suspended", suspended_by="dormancy"):
        return False
    ended = end_all_sessions(user.id)
    audit.record("account.suspended_dormant", organisation_id=user.organisation_id, target=user.login_id,
                 last_activity=entry.last_activity.isoformat(), days=_dormant_days(), ended_sessions=ended)
    notify.account_mail(user.email, user, _(
        "Your account has been suspended because it was not used for %(days)d days. "
        "Ask your organisation's administrator to apply for its resumption if you still need it.",
        days=_dormant_days()))
    alerts.raise_alert("account.dormant_suspended", alerts.in_both_languages(_l(
        "%(name)s (%(login_id)s, %(organisation)s) was suspended: no sign-in for %(days)d days (last activity %(when)s).",
        name=user.name, login_id=user.login_id, organisation=user.organisation.name, days=_dormant_days(),
        when=format_jst(entry.last_activity))), organisation_id=user.organisation_id, user_id=user.id)
    return True


def _warn(entry: Dormant) -> None:
    user = entry.user
    user.dormancy_warned_at = clock.now()
    audit.record("account.dormancy_warned", organisation_id=user.organisation_id, target=user.login_id,
                 last_activity=entry.last_activity.isoformat(), suspend_on=entry.suspend_on.isoformat())
    notify.account_mail(user.email, user, _(
        "Your account has not been used for a long time. Unless you sign in before %(date)s, "
        "it will be suspended.", date=entry.suspend_on.isoformat()))
