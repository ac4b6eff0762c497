from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import Base, UTCDateTime

NOTICE_KINDS = ("maintenance", "terms", "closure", "general")


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # An organisation category (orgs.regions.CATEGORY_LABELS) or None for everyone.
    audience: Mapped[str | None] = mapped_column(String(20), default=None)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class NoticeRead(Base):
    """Who has read which notice: what is not here is shown as unread."""

    __tablename__ = "notice_reads"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
