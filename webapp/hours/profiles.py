"""Custom weekly profiles: the text an operator types, the JSON stored, the HoursProfile built.

Kept apart from service.py because it is pure (no database), so the parsing
rules are easy to read and to test.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import time

from flask_babel import gettext as _

from webapp.hours.calendar import MIDNIGHT, PROFILES, HoursProfile, Window
from webapp.hours.errors import InvalidProfile

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_-]{1,39}")
# Monday first, as calendar.HoursProfile.weekly counts.
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DASH = re.compile(r"\s*[-~〜–—]\s*")
_WINDOW = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
_SEPARATORS = re.compile(r"[,、;\s]+")


def normalise_name(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def check_custom_name(name: str) -> str:
    """A usable new name: short ASCII (it appears in URLs, the CLI and config), not a built-in."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidProfile(_("A profile name is 2 to 40 characters: lower-case letters, digits, "
                               "'-' or '_', starting with a letter."), ("name",))
    if name in PROFILES:
        raise InvalidProfile(_("The name %(name)s belongs to a built-in profile; choose another name.",
                               name=name), ("name",))
    return name


def _parse_time(hour: str, minute: str, *, is_end: bool, fields: tuple[str, ...] = ()) -> time:
    h, m = int(hour), int(minute)
    if is_end and (h, m) == (24, 0):
        return MIDNIGHT  # calendar.py reads a midnight end as 24:00
    if h > 23 or m > 59:
        raise InvalidProfile(_("%(value)s is not a time of day.", value=f"{hour}:{minute}"), fields)
    return time(h, m)


def parse_day_windows(text: str, day_label: str, field: str = "") -> list[Window]:
    """'09:00-12:00, 13:00-18:00' -> windows; empty text means closed all day. `field`: the
    form's input of that day (mon ... sun), which a refusal is about."""
    fields = (field,) if field else ()
    cleaned = _DASH.sub("-", unicodedata.normalize("NFKC", text or "").strip())
    windows: list[Window] = []
    for part in filter(None, _SEPARATORS.split(cleaned)):
        match = _WINDOW.fullmatch(part)
        if not match:
            raise InvalidProfile(_("%(day)s: write the hours as 09:00-18:00 (several separated by commas).",
                                   day=day_label), fields)
        windows.append((_parse_time(*match.group(1, 2), is_end=False, fields=fields),
                        _parse_time(*match.group(3, 4), is_end=True, fields=fields)))
    return windows


def build_profile(name: str, windows: Mapping[int, list[Window]], *, closes_on_holidays: bool,
                  observes_year_end: bool) -> HoursProfile:
    if not any(windows.values()):
        raise InvalidProfile(_("A profile must be open on at least one day of the week."), WEEKDAY_KEYS)
    try:
        return HoursProfile.from_weekly(name, windows, closes_on_holidays=closes_on_holidays,
                                        observes_year_end=observes_year_end)
    except ValueError:
        wrong = tuple(WEEKDAY_KEYS[day] for day, day_windows in windows.items() if not _valid_day(day, day_windows))
        raise InvalidProfile(_("The hours of a day must each end after they start, be in order and "
                               "not overlap."), wrong) from None


def _valid_day(day: int, windows: list[Window]) -> bool:
    try:
        HoursProfile.from_weekly("check", {day: windows})
    except ValueError:
        return False
    return True


def _hhmm(moment: time, *, is_end: bool) -> str:
    return "24:00" if is_end and moment == MIDNIGHT else moment.strftime("%H:%M")


def windows_to_json(windows: Mapping[int, list[Window]]) -> str:
    return json.dumps({str(day): [[_hhmm(s, is_end=False), _hhmm(e, is_end=True)] for s, e in spans]
                       for day, spans in sorted(windows.items()) if spans}, separators=(",", ":"))


def windows_from_json(text: str) -> dict[int, list[Window]]:
    raw = json.loads(text)
    return {int(day): [(_parse_time(*s.split(":"), is_end=False), _parse_time(*e.split(":"), is_end=True))
                       for s, e in spans] for day, spans in raw.items()}


def describe_windows(windows: Mapping[int, list[Window]]) -> dict[str, str]:
    """weekday key -> '09:00-18:00, ...' (empty when closed), for forms and listings."""
    return {key: ", ".join(f"{_hhmm(s, is_end=False)}-{_hhmm(e, is_end=True)}" for s, e in windows.get(i, []))
            for i, key in enumerate(WEEKDAY_KEYS)}
