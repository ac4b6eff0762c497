"""The one place that reads the time, so tests can move it (clock.advance())."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app

JST = ZoneInfo("Asia/Tokyo")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FrozenClock:
    """A clock that only moves when told to; used by tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(timezone.utc)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def now() -> datetime:
    """Current instant (aware, UTC) from the application's clock."""
    return current_app.extensions["sekisho.clock"].now()


def now_jst() -> datetime:
    return now().astimezone(JST)
