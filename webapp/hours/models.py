"""Business-hours data the operator changes at run time (SPEC §5).

The rules themselves live in calendar.py; these tables only hold the
operator's choices: ad-hoc closures, custom weekly profiles and the
system-wide profile (in the shared key/value `system_settings` table).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import Base, UTCDateTime


class SystemSetting(Base):
    """A setting a system administrator changes on screen, overriding PORTAL_* defaults.

    Generic on purpose so other features can keep their own keys here
    (namespaced, e.g. ``hours.system_profile``); see hours/system_settings.py.
    """

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class HoursClosure(Base):
    """An ad-hoc closure (maintenance, 利用の停止); cancelled ones are kept for the record."""

    __tablename__ = "hours_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class CustomHoursProfile(Base):
    """Weekly windows an operator defines without code (calendar.HoursProfile.from_weekly).

    ``windows`` is JSON: ``{"0": [["09:00", "18:00"]], ...}`` with 0 = Monday
    and "24:00" for a window that runs to midnight.
    """

    __tablename__ = "hours_custom_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    windows: Mapped[str] = mapped_column(Text)
    closes_on_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    observes_year_end: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
