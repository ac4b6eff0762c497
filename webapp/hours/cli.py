"""`portal hours status|calendar|end-sessions` (SPEC §10): thin over the service.

Operators script these, so the output is stable and machine-readable
(calendar.format_status_line / format_month) and every refusal is one line
on stderr with exit code 2.
"""
from __future__ import annotations

import re
import sys
import unicodedata
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp import clock
from webapp.hours import calendar, service
from webapp.hours.calendar import JST, HoursProfile, UnknownProfile

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# Beyond these years the question is a typo, and the 400-day search would overflow datetime.
YEARS = range(1900, 3000)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def parse_instant(text: str) -> datetime:
    """ISO 8601; without an offset the time is Japan time (never the server's zone)."""
    try:
        parsed = datetime.fromisoformat(unicodedata.normalize("NFKC", text).strip())
    except ValueError:
        raise ValueError(f"malformed instant {text!r}: use ISO 8601, e.g. 2025-02-11T09:00 "
                         "(Japan time) or 2025-02-11T00:00:00+00:00") from None
    if parsed.year not in YEARS:
        raise ValueError(f"instant {text!r} is out of range (years {YEARS.start}-{YEARS.stop - 1})")
    return parsed.replace(tzinfo=JST) if parsed.tzinfo is None else parsed


def _profile(name: str | None) -> HoursProfile:
    chosen = name if name is not None else service.system_profile_name()
    try:
        return service.resolve_profile(chosen)
    except UnknownProfile:
        _fail(f"unknown profile {chosen!r}: choose one of {', '.join(service.profile_names())}")
        raise  # unreachable: _fail exits


def _overridden_setting() -> tuple[str, str] | None:
    """(stored, configured) when PORTAL_HOURS_PROFILE is set but the admin screen's choice, which
    wins (README, Configuration), differs from it."""
    config = current_app.config
    stored, configured = service.stored_system_profile(), config["PORTAL_HOURS_PROFILE"]
    if stored is None or stored == configured or not config["PORTAL_HOURS_PROFILE_GIVEN"]:
        return None
    return stored, configured


def _note_overridden_setting(asked: str | None) -> None:
    """An operator who sets PORTAL_HOURS_PROFILE expects the answer for it: say when the admin
    screen's choice answered instead. After the answer and on standard error, so the first line
    stays the answer and the lines scripts read stay as they are."""
    if asked is None and (overridden := _overridden_setting()):
        click.echo(f"note: profile {overridden[0]} applies, chosen by a system administrator at /admin/hours, "
                   f"which wins over PORTAL_HOURS_PROFILE={overridden[1]}; ask about another with --profile",
                   err=True)


def profile_doubts(production: bool) -> list[str]:
    """What `portal init` and `portal serve` warn about the system-wide profile."""
    config = current_app.config
    found = []
    if overridden := _overridden_setting():
        found.append(f"PORTAL_HOURS_PROFILE={overridden[1]} is not in effect: the business-hours profile a system "
                     f"administrator chose at /admin/hours ({overridden[0]}) wins over it; change the profile "
                     "there (PORTAL_HOURS_PROFILE counts only until one is chosen)")
    stored = service.stored_system_profile()
    if production and (stored or config["PORTAL_HOURS_PROFILE"]) == "always":
        if stored:
            source, remedy = "chosen at /admin/hours", "choose another there"
        else:
            given = config["PORTAL_HOURS_PROFILE_GIVEN"]
            source = "from PORTAL_HOURS_PROFILE" if given else "PORTAL_HOURS_PROFILE is unset"
            remedy = "set PORTAL_HOURS_PROFILE=renewable or capacity, or choose a profile at /admin/hours"
        found.append(f"the business-hours profile is always ({source}): the portal is open at every hour, which "
                     f"is meant for test and maintenance installations; {remedy}")
    return found


@click.group("hours")
def hours_group() -> None:
    """Business hours (機能提供時間) in Japan time."""


@hours_group.command("status")
@click.option("--at", "at", metavar="ISO-DATETIME", help="Instant to ask about (default: now; no offset = Japan time).")
@click.option("--profile", metavar="P", help="Profile name (default: the system-wide profile).")
@with_appcontext
def status_command(at: str | None, profile: str | None) -> None:
    """Print open/closed, the reason and the next change."""
    try:
        instant = parse_instant(at) if at is not None else clock.now()
    except ValueError as exc:
        _fail(str(exc))
        return
    resolved = _profile(profile)
    click.echo(calendar.format_status_line(service.status_of_profile(resolved, instant)))
    _note_overridden_setting(profile)


@hours_group.command("calendar")
@click.argument("month", metavar="YYYY-MM")
@click.option("--profile", metavar="P", help="Profile name (default: the system-wide profile).")
@with_appcontext
def calendar_command(month: str, profile: str | None) -> None:
    """Print one month, a line per day, with holidays and closures."""
    match = _MONTH.fullmatch(month.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) not in YEARS:
        _fail(f"malformed month {month!r}: use YYYY-MM, e.g. 2025-02 (years {YEARS.start}-{YEARS.stop - 1})")
        return
    year, number = int(match.group(1)), int(match.group(2))
    resolved = _profile(profile)
    first = datetime(year, number, 1, tzinfo=JST)
    closures = service.calendar_closures(first, days=32)
    click.echo(calendar.format_month(year, number, resolved, closures, service.year_end_days()))
    _note_overridden_setting(profile)


@hours_group.command("end-sessions")
@with_appcontext
def end_sessions_command() -> None:
    """End the sessions of users whose hours are over (for cron; the scheduler does it too)."""
    from webapp.hours.enforcement import end_sessions_outside_hours

    click.echo(f"ended {end_sessions_outside_hours()} sessions")
