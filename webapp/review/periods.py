"""Review months in Japan's calendar: pure, no application needed.

A month's activity is everything from 00:00 JST on its first day up to (not including)
00:00 JST on the next month's first day. Its review becomes due on that next first day and
must be signed off by the Nth day of that month (PORTAL_REVIEW_DUE_DAYS).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from webapp.clock import JST

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def containing(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start_utc(self) -> datetime:
        """00:00 JST on the first day, as the aware UTC instant the audit log stores."""
        return datetime(self.year, self.month, 1, tzinfo=JST).astimezone(timezone.utc)

    def end_utc(self) -> datetime:
        """The first instant after the month (exclusive bound)."""
        return self.next().start_utc()

    def due_on(self, due_days: int) -> date:
        """The last day on which the sign-off is on time: the Nth day of the following month."""
        return self.next().first_day.replace(day=due_days)


def reviewable_month(today: date) -> Month:
    """The month whose review becomes due on `today`'s month's first day: the previous one."""
    return Month.containing(today).previous()
