"""Business hours for real people: whose profile applies, which closures exist, admin changes.

The rules are in calendar.py (pure). This module adds what lives in the
database (the system-wide choice, custom profiles, ad-hoc closures) and the
operator's changes, each committed with its audit entry.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Union

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth.models import User
from webapp.database import HOURS_CLOSURES_LOCK, one_at_a_time
from webapp.extensions import db
from webapp.hours import calendar, profiles
from webapp.hours.calendar import PROFILES, HoursProfile, Status, UnknownProfile, Window
from webapp.hours.errors import ClosureNotFound, InvalidClosure, InvalidProfile
from webapp.hours.models import CustomHoursProfile, HoursClosure
from webapp.hours.system_settings import get_setting, set_setting
from webapp.orgs.models import Organisation

log = logging.getLogger(__name__)

SYSTEM_PROFILE_KEY = "hours.system_profile"
UPCOMING_CLOSURE_DAYS = 14  # closures announced on the login page this far ahead
CLOSURE_MAX_DAYS = 366
REASON_MAX_LENGTH = 200

BUILT_IN_LABELS = {
    "renewable": _l("Renewable energy: business days 9:00-21:00"),
    "capacity": _l("Capacity market: business days and every Tuesday 9:00-18:00"),
    "always": _l("Always open (test and maintenance installations)"),
}

Subject = Union[User, Organisation, None]


# --- profiles --------------------------------------------------------------

def custom_profiles() -> list[CustomHoursProfile]:
    return list(db.session.scalars(select(CustomHoursProfile).order_by(CustomHoursProfile.name)))


def profile_names() -> list[str]:
    """Built-ins first (in their defined order), then the operator's custom profiles."""
    return [*PROFILES, *(p.name for p in custom_profiles())]


def _custom_record(name: str) -> CustomHoursProfile | None:
    # A name no profile could have never reaches the database (PostgreSQL refuses NUL in text).
    if not name or len(name) > 40 or "\x00" in name:
        return None
    return db.session.scalar(select(CustomHoursProfile).where(CustomHoursProfile.name == name))


def resolve_profile(name: str) -> HoursProfile:
    """A built-in or custom profile by name; UnknownProfile otherwise."""
    if name in PROFILES:
        return PROFILES[name]
    record = _custom_record(name) if name and len(name) <= 40 else None
    if record is None:
        raise UnknownProfile(f"unknown business-hours profile {name!r}")
    return HoursProfile.from_weekly(record.name, profiles.windows_from_json(record.windows),
                                    closes_on_holidays=record.closes_on_holidays,
                                    observes_year_end=record.observes_year_end)


def is_known_profile(name: str) -> bool:
    try:
        resolve_profile(name)
    except UnknownProfile:
        return False
    return True


def profile_label(name: str) -> str:
    return str(BUILT_IN_LABELS[name]) if name in BUILT_IN_LABELS else _("%(name)s (custom)", name=name)


def profile_choices(include_system_default: bool = False) -> list[tuple[str, str]]:
    """(value, label) pairs for a <select>, e.g. the organisation form's hours_profile.

    With ``include_system_default`` the first choice is "" = follow the
    system-wide profile (store None in Organisation.hours_profile for it).
    """
    choices = [(name, profile_label(name)) for name in profile_names()]
    if include_system_default:
        system = system_profile_name()
        choices.insert(0, ("", _("System-wide profile (now: %(name)s)", name=profile_label(system))))
    return choices


# The system-wide profile and the closures change a few times a year but are asked on every
# request (gate, banner, login notices, dashboard). They are kept per process for at most
# CACHE_SECONDS: a change made in this process counts at once (the writers below clear the
# cache), one made by another process (PostgreSQL, several servers, the CLI) within that bound.
CACHE_SECONDS = 5.0
_CACHE = "sekisho.hours_cache"


@dataclass(frozen=True)
class ClosureView:
    """A closure as read for display and status: immutable, shared between requests."""

    id: int
    start_at: datetime
    end_at: datetime
    reason: str
    created_by: int | None
    created_at: datetime
    cancelled_at: datetime | None
    cancelled_by: int | None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class _ProcessCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        with self.lock:
            entry = self.entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, key: str, value: Any) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic() + CACHE_SECONDS, value)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _cache() -> _ProcessCache:
    extensions = current_app.extensions
    cache = extensions.get(_CACHE)
    if cache is None:
        cache = extensions.setdefault(_CACHE, _ProcessCache())
    return cache


def forget_cached() -> None:
    """After a change: this process reads again at once (others within CACHE_SECONDS)."""
    _cache().clear()


def system_profile_name() -> str:
    """The admin screen's choice; PORTAL_HOURS_PROFILE until one is stored (README, Configuration)."""
    cache = _cache()
    name = cache.get("system_profile")
    if name is None:
        name = _system_profile_name()
        cache.put("system_profile", name)
    return name


def _system_profile_name() -> str:
    return stored_system_profile() or current_app.config["PORTAL_HOURS_PROFILE"]


def stored_system_profile() -> str | None:
    """The profile a system administrator chose at /admin/hours, while it still exists (uncached)."""
    stored = get_setting(SYSTEM_PROFILE_KEY)
    return stored if stored and is_known_profile(stored) else None


def effective_profile_name(subject: Subject) -> str:
    """The organisation's own profile if it has one, else the system-wide one.

    System administrators belong to the operator organisation, so they follow
    its profile (normally the system-wide one).
    """
    organisation = subject.organisation if isinstance(subject, User) else subject
    chosen = organisation.hours_profile if organisation is not None else None
    if chosen:
        if is_known_profile(chosen):
            return chosen
        log.warning("organisation %s has unknown hours profile %r; using the system profile",
                    organisation.id, chosen)  # type: ignore[union-attr]
    return system_profile_name()


def year_end_days() -> frozenset[tuple[int, int]]:
    return current_app.config["YEAR_END_DAYS"]


# --- closures and status ---------------------------------------------------

def closures_overlapping(start: datetime, end: datetime,
                         read_from: datetime | None = None, read_to: datetime | None = None) -> list[ClosureView]:
    """Active closures overlapping [start, end), soonest first; read_from/read_to widen what is
    read (and cached) so that the other questions of this and the next requests need no query."""
    cache = _cache()
    window = cache.get("closures")
    if window is None or not (window[0] <= start and end <= window[1]):
        low, high = min(start, read_from or start), max(end, read_to or end)
        rows = db.session.scalars(
            select(HoursClosure)
            .where(HoursClosure.cancelled_at.is_(None), HoursClosure.start_at < high, HoursClosure.end_at > low)
            .order_by(HoursClosure.start_at)
        )
        window = (low, high, tuple(ClosureView(c.id, c.start_at, c.end_at, c.reason, c.created_by, c.created_at,
                                               c.cancelled_at, c.cancelled_by) for c in rows))
        cache.put("closures", window)
    # Everything overlapping [start, end) overlaps the window read.
    return [c for c in window[2] if c.start_at < end and c.end_at > start]


def calendar_closures(since: datetime, days: int = calendar.SEARCH_DAYS + 1) -> list[calendar.Closure]:
    """Active closures from ``since`` on, as the pure calendar takes them."""
    return [calendar.Closure(c.start_at, c.end_at, c.reason)
            for c in closures_overlapping(since, since + timedelta(days=days), since,
                                          since + timedelta(days=calendar.SEARCH_DAYS + 2))]


def status_of_profile(profile: str | HoursProfile, instant: datetime | None = None) -> Status:
    instant = instant or clock.now()
    resolved = resolve_profile(profile) if isinstance(profile, str) else profile
    return calendar.status_at(instant, resolved, calendar_closures(instant - timedelta(days=1)),
                              year_end_days())


def status_for(subject: Subject, instant: datetime | None = None) -> Status:
    """Open or closed for this user's (or organisation's) effective profile, and why."""
    return status_of_profile(effective_profile_name(subject), instant)


def upcoming_closures(days: int = UPCOMING_CLOSURE_DAYS, instant: datetime | None = None) -> list[ClosureView]:
    """Closures not over yet that start within ``days``: what the login page and notices announce."""
    instant = instant or clock.now()
    # Read as wide as the status does: one query per request serves both.
    return closures_overlapping(instant, instant + timedelta(days=days), instant - timedelta(days=1),
                                instant + timedelta(days=calendar.SEARCH_DAYS + 2))


def list_closures(instant: datetime | None = None) -> list[HoursClosure]:
    """For the admin screen: every closure not yet over, cancelled ones included, soonest first."""
    instant = instant or clock.now()
    return list(db.session.scalars(
        select(HoursClosure).where(HoursClosure.end_at > instant).order_by(HoursClosure.start_at)))


# --- operator changes ------------------------------------------------------

def _check_closure(start: datetime, end: datetime, reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidClosure(_("Enter the reason for the closure; it is shown to every user."), ("reason",))
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidClosure(_("The reason may be at most %(n)d characters.", n=REASON_MAX_LENGTH), ("reason",))
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidClosure(_("The start and end must be Japan date and time."))
    if end <= start:
        raise InvalidClosure(_("The end of the closure must be after its start."))
    if end <= clock.now():
        raise InvalidClosure(_("This period is already over; enter a closure that ends in the future."), ("end",))
    if end - start > timedelta(days=CLOSURE_MAX_DAYS):
        raise InvalidClosure(_("A closure may last at most %(n)d days.", n=CLOSURE_MAX_DAYS))
    return reason


def create_closure(start: datetime, end: datetime, reason: str, actor: User, origin: Origin) -> HoursClosure:
    reason = _check_closure(start, end, reason)
    one_at_a_time(db.session, HOURS_CLOSURES_LOCK)
    same = db.session.scalar(select(HoursClosure).where(
        HoursClosure.start_at == start, HoursClosure.end_at == end, HoursClosure.reason == reason,
        HoursClosure.cancelled_at.is_(None)).limit(1))
    if same is not None:  # the form sent twice (a double click, a reload): the login page would list it twice
        db.session.commit()
        return same
    closure = HoursClosure(start_at=start, end_at=end, reason=reason, created_by=actor.id,
                           created_at=clock.now())
    db.session.add(closure)
    db.session.flush()
    audit.record("hours.closure_created", origin=origin, actor_id=actor.id,
                 organisation_id=actor.organisation_id, target=f"closure:{closure.id}",
                 start=_jst_text(start), end=_jst_text(end), reason=reason)
    db.session.commit()
    forget_cached()
    return closure


def cancel_closure(closure_id: int, actor: User, origin: Origin) -> HoursClosure:
    """Cancel once: a second click (or a concurrent one) finds nothing left to cancel."""
    now = clock.now()
    result = db.session.execute(
        update(HoursClosure)
        .where(HoursClosure.id == closure_id, HoursClosure.cancelled_at.is_(None))
        .values(cancelled_at=now, cancelled_by=actor.id)
    )
    if not result.rowcount:
        db.session.rollback()
        raise ClosureNotFound(_("That closure does not exist or has already been cancelled."))
    closure = db.session.get(HoursClosure, closure_id, populate_existing=True)
    assert closure is not None
    audit.record("hours.closure_cancelled", origin=origin, actor_id=actor.id,
                 organisation_id=actor.organisation_id, target=f"closure:{closure_id}",
                 start=_jst_text(closure.start_at), end=_jst_text(closure.end_at), reason=closure.reason)
    db.session.commit()
    forget_cached()
    return closure


def set_system_profile(name: str, actor: User, origin: Origin) -> None:
    if not is_known_profile(name):
        raise InvalidProfile(_("Choose one of the listed profiles."), ("profile",))
    previous = system_profile_name()
    set_setting(SYSTEM_PROFILE_KEY, name, actor.id)
    audit.record("hours.system_profile_set", origin=origin, actor_id=actor.id,
                 organisation_id=actor.organisation_id, target=name, previous=previous)
    db.session.commit()
    forget_cached()


def define_custom_profile(name: str, windows: dict[int, list[Window]], *, closes_on_holidays: bool,
                          observes_year_end: bool, actor: User, origin: Origin) -> CustomHoursProfile:
    """Create a custom profile, or redefine one of the same name (organisations using it follow)."""
    name = profiles.check_custom_name(profiles.normalise_name(name))
    profiles.build_profile(name, windows, closes_on_holidays=closes_on_holidays,
                           observes_year_end=observes_year_end)
    now, encoded = clock.now(), profiles.windows_to_json(windows)
    record = _custom_record(name)
    kind = "hours.custom_profile_changed" if record else "hours.custom_profile_created"
    if record is None:
        record = CustomHoursProfile(name=name, created_by=actor.id, created_at=now, windows=encoded)
        db.session.add(record)
    record.windows, record.updated_at = encoded, now
    record.closes_on_holidays, record.observes_year_end = closes_on_holidays, observes_year_end
    db.session.flush()
    audit.record(kind, origin=origin, actor_id=actor.id, organisation_id=actor.organisation_id, target=name,
                 windows=encoded, closes_on_holidays=closes_on_holidays, observes_year_end=observes_year_end)
    db.session.commit()
    forget_cached()
    return record


def _jst_text(instant: datetime) -> str:
    return instant.astimezone(calendar.JST).isoformat(timespec="minutes")


def describe(record: CustomHoursProfile) -> dict[str, Any]:
    """A custom profile for listings: its weekday windows as text."""
    return {"name": record.name, "days": profiles.describe_windows(profiles.windows_from_json(record.windows)),
            "closes_on_holidays": record.closes_on_holidays, "observes_year_end": record.observes_year_end}
