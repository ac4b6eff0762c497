from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.database import Base, UTCDateTime
from webapp.orgs.models import Organisation


class AccessReview(Base):
    """One organisation's review of one month (Japan time), signed off once by a responsible person."""

    __tablename__ = "access_reviews"
    # One review per organisation and month, however many processes create it at once.
    __table_args__ = (UniqueConstraint("organisation_id", "month", name="uq_access_reviews_organisation_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Japan time
    # Fixed when the review is opened: changing PORTAL_REVIEW_DUE_DAYS later moves no deadline.
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    # The counts as they were signed off (JSON): later audit entries cannot change what was approved.
    report: Mapped[str] = mapped_column(Text, default="")
    last_reminded_on: Mapped[date | None] = mapped_column(Date, default=None)  # a day in Japan
    reminders: Mapped[int] = mapped_column(Integer, default=0)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    signed_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[signed_by_id])

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
