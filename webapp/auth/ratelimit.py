"""Counted failures per client address, kept in the database so every process sees them.

A password sprayer tries one common password against many IDs: per-account
lockout never fires, so the count that stops them is per address, whatever
ID each try named. Wrong one-time codes count as well. An IPv6 client is counted by its
/64, the block one subscriber line or host is given: counting single addresses would let
anyone with such a block try 2**64 addresses' worth.

A password is checked outside any transaction (argon2 must not hold SQLite's write lock), so its
failure is written well after the check: tries sent at once would all pass it. Each password
check therefore reserves its place in the count when it passes the check, in the same
transaction; the reservation becomes its failure, or is dropped when the password is right. One
left behind by a crash stops counting with the window, as a failure does.
"""
from __future__ import annotations

import ipaddress
import zlib
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, insert, select, update

from webapp import clock, database
from webapp.alerts import service as alerts
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.audit.models import AuditEvent
from webapp.auth.models import RateEvent, User
from webapp.orgs.models import Organisation
from webapp.extensions import db

FAILURE_PREFIX = "login-failure:"
ATTEMPT_PREFIX = "login-attempt:"  # a password check under way, counted like a failure
ORGANISATIONS_TOLD = 5  # of one burst, the organisations whose responsible people get its alert
FAILURES_READ = 20_000  # of the window's failed sign-ins, to find the organisations a burst tried


class TooManyAttempts(Exception):
    """This address failed too often; it must wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def client_network(ip: str) -> str:
    """The address for IPv4, its /64 for IPv6 (an IPv4-mapped one counts as IPv4)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _ip_key(origin: Origin) -> str:
    return FAILURE_PREFIX + client_network(origin.ip)


def _attempt_key(origin: Origin) -> str:
    return ATTEMPT_PREFIX + client_network(origin.ip)


def _address_lock(origin: Origin) -> int:
    """This address's advisory lock: one id per network (a shared hash only makes two wait)."""
    return database.SIGN_IN_ADDRESS_LOCKS << 32 | zlib.crc32(client_network(origin.ip).encode())


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["PORTAL_IP_FAILURE_WINDOW_SECONDS"])


# Run before every password check: built once.
_RECENT_FAILURES = select(func.count()).where(RateEvent.key == bindparam("key"), RateEvent.at >= bindparam("since"))
_COUNTED = (RateEvent.key.in_([bindparam("failure_key"), bindparam("attempt_key")]), RateEvent.at >= bindparam("since"))
_RECENT_COUNTED = select(func.count()).where(*_COUNTED)
_OLDEST_COUNTED = select(func.min(RateEvent.at)).where(*_COUNTED)
_RATE_EVENTS = RateEvent.__table__
_RESERVE = insert(_RATE_EVENTS)
_TURN_INTO_FAILURE = update(_RATE_EVENTS).where(
    _RATE_EVENTS.c.id == bindparam("attempt_id"), _RATE_EVENTS.c.key == bindparam("attempt_key"))
_DROP_ATTEMPT = delete(_RATE_EVENTS).where(
    _RATE_EVENTS.c.id == bindparam("attempt_id"), _RATE_EVENTS.c.key == bindparam("attempt_key"))


def recent_failures(origin: Origin) -> int:
    since = clock.now() - _window()
    return db.session.scalar(_RECENT_FAILURES, {"key": _ip_key(origin), "since": since}) or 0


def check_ip_allowed(origin: Origin, device: User | None = None) -> None:
    """Refuse before any password is hashed, so a blocked sprayer costs the server almost nothing.

    Failures and password checks under way count. The address's tries pass this one at a time
    until the transaction ends (SQLite's BEGIN IMMEDIATE; an advisory lock on PostgreSQL), so a
    failure or reservation the caller writes in it is seen by the next.

    `device`: the account whose device cookie this browser carries for the ID it tries
    (devices.py): not refused, so that one address shared by a company's staff is not closed to
    all of them; its tries still count for the address."""
    database.one_at_a_time(db.session, _address_lock(origin))
    limit = current_app.config["PORTAL_IP_FAILURE_LIMIT"]
    since = clock.now() - _window()
    keys = {"failure_key": _ip_key(origin), "attempt_key": _attempt_key(origin), "since": since}
    if (db.session.scalar(_RECENT_COUNTED, keys) or 0) < limit:
        return
    if device is not None:
        audit.record("login.limit_passed_by_device", origin=origin, actor_id=device.id,
                     organisation_id=device.organisation_id, target=device.login_id)
        return
    oldest = db.session.scalar(_OLDEST_COUNTED, keys)
    retry_after = max(1, int(((oldest or clock.now()) + _window() - clock.now()).total_seconds()) + 1)
    audit.record("login.rate_limited", origin=origin, retry_after=retry_after)
    failures = recent_failures(origin)
    if failures >= limit:  # checks under way are no burst yet: the one whose failure completes it alerts
        _burst_alert(origin, failures, since)
    db.session.commit()
    raise TooManyAttempts(retry_after)


def begin_attempt(origin: Origin, device: User | None = None) -> int:
    """check_ip_allowed, then this try's place in the count (in the caller's transaction, which
    must commit it before hashing): end it with note_failure or end_attempt."""
    check_ip_allowed(origin, device)
    return db.session.execute(_RESERVE, {"key": _attempt_key(origin), "at": clock.now()}).inserted_primary_key[0]


def end_attempt(origin: Origin, attempt: int) -> None:
    """The password was right: its place is free again (commits with the caller's transaction)."""
    db.session.execute(_DROP_ATTEMPT, {"attempt_id": attempt, "attempt_key": _attempt_key(origin)})


def _burst_alert(origin: Origin, failures: int, since: datetime) -> None:
    """Spraying or a failure burst (SPEC §7): one alert per burst, not one per refused try."""
    network = client_network(origin.ip)
    minutes = max(1, int(_window().total_seconds() // 60))
    raised = alerts.raise_alert("login.failure_burst", alerts.in_both_languages(_l(
        "%(n)d failed sign-ins from %(ip)s within %(minutes)d minutes; further tries from it are refused for now.",
        n=failures, ip=network, minutes=minutes)), ip=network, origin=origin, failures=failures)
    if raised is not None:
        _tell_the_organisations_tried(network, since, origin, minutes)


_DAY = timedelta(hours=24)


def _tell_the_organisations_tried(network: str, since: datetime, origin: Origin, minutes: int) -> None:
    """The burst named accounts of these organisations: their responsible people hear of it too
    (a sprayer tries the IDs of many). Read from the failures' audit entries, at burst time only."""
    # Compared as networks, not as text (an IPv4-mapped or differently written address is the same
    # client); at most a bounded window of the newest failures is read.
    tried: dict[int, int] = {}
    for ip, organisation_id in db.session.execute(select(AuditEvent.ip, AuditEvent.organisation_id).where(
            AuditEvent.kind == "login.failed", AuditEvent.at >= since, AuditEvent.organisation_id.is_not(None))
            .order_by(AuditEvent.at.desc()).limit(FAILURES_READ)):
        if client_network(ip) == network:
            tried[organisation_id] = tried.get(organisation_id, 0) + 1
    # The most tried few: a sprayer naming the IDs of every organisation must not make an alert each.
    most_tried = sorted(tried.items(), key=lambda item: (-item[1], item[0]))[:ORGANISATIONS_TOLD]
    for organisation_id, count in most_tried:
        organisation = db.session.get(Organisation, organisation_id)
        alerts.raise_alert("login.failure_burst", alerts.in_both_languages(_l(
            "%(n)d failed sign-ins from %(ip)s within %(minutes)d minutes named accounts of %(organisation)s; "
            "further tries from it are refused for now.", n=count, ip=network, minutes=minutes,
            organisation=organisation.name if organisation else "?")),
            organisation_id=organisation_id, ip=network, origin=origin, mail_sysadmins=False, failures=count)


def note_failure(origin: Origin, attempt: int | None = None) -> None:
    """Count a failed password or code from this address (commits with the caller's transaction);
    `attempt`, from begin_attempt, becomes the failure."""
    now = clock.now()
    turned = attempt is not None and db.session.execute(_TURN_INTO_FAILURE, {
        "attempt_id": attempt, "attempt_key": _attempt_key(origin), "key": _ip_key(origin), "at": now}).rowcount
    if not turned:  # none reserved, or pruned meanwhile: the failure counts all the same
        db.session.add(RateEvent(key=_ip_key(origin), at=now))
    # The burst is alerted when it reaches the limit, not at the next try (which a sprayer that
    # stops there, or moves on to another address, never makes).
    if recent_failures(origin) >= current_app.config["PORTAL_IP_FAILURE_LIMIT"]:
        _burst_alert(origin, recent_failures(origin), now - _window())
    _watch_the_day(origin, now)


def _watch_the_day(origin: Origin, now: datetime) -> None:
    """Slow spraying keeps every window under the limit, for good: its failures of the day raise
    an alert (once an hour while they go on). Counted on the failure path only."""
    threshold = current_app.config["PORTAL_IP_FAILURE_DAILY_ALERT"]
    if threshold <= 0:
        return
    failures = db.session.scalar(_RECENT_FAILURES, {"key": _ip_key(origin), "since": now - _DAY}) or 0
    if failures < threshold:
        return
    network = client_network(origin.ip)
    alerts.raise_alert("login.failures_sustained", alerts.in_both_languages(_l(
        "%(n)d failed sign-ins from %(ip)s within 24 hours: possibly slow password spraying.",
        n=failures, ip=network)), ip=network, origin=origin, failures=failures)


def prune(older_than: timedelta | None = None) -> int:
    """Drop events no window looks at any more (the table would otherwise only grow)."""
    keep = max(older_than or timedelta(0), _window(), _DAY if current_app.config["PORTAL_IP_FAILURE_DAILY_ALERT"] > 0
               else timedelta(hours=1))
    cutoff = clock.now() - keep
    return db.session.execute(delete(RateEvent).where(RateEvent.at < cutoff)).rowcount or 0
