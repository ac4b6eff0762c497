from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.database import Base, UTCDateTime
from webapp.orgs.models import Organisation

if TYPE_CHECKING:
    from webapp.auth.models import User

ALERT_STATES = ("open", "acknowledged", "closed")


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    # Whose alert it is: the organisation's responsible people see it; system administrators see all.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True, default=None)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    ip: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(String(300))  # Japanese (the mail and the audit entry carry it)
    summary_en: Mapped[str] = mapped_column(String(300), default="", server_default="")

    def summary_for(self, locale: str) -> str:
        """The summary in the reader's language (alerts raised before 0010 have Japanese only)."""
        return self.summary_en if locale == "en" and self.summary_en else self.summary
    details: Mapped[str] = mapped_column(Text, default="{}")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    close_comment: Mapped[str] = mapped_column(Text, default="")

    # Shown on the alerts page: whose alert it is and who handled it (read with the page's query).
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    acknowledged_by: Mapped["User | None"] = relationship(foreign_keys=[acknowledged_by_id], lazy="joined")
    closed_by: Mapped["User | None"] = relationship(foreign_keys=[closed_by_id], lazy="joined")
