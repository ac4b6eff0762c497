from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import Base, UTCDateTime

# Category codes are data the rest of the portal keys on; labels are translated in templates.
CATEGORIES = ("operator", "certified", "grid", "scheme", "municipality")
ORG_STATUSES = ("active", "suspended")


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    # Supply area for grid operators, prefecture for municipalities, empty when the scope is all.
    area: Mapped[str] = mapped_column(String(40), default="")
    hours_profile: Mapped[str | None] = mapped_column(String(40), default=None)
    status: Mapped[str] = mapped_column(String(20), default="active")
    security_manager_name: Mapped[str] = mapped_column(String(200), default="")
    security_manager_contact: Mapped[str] = mapped_column(String(200), default="")
    require_totp: Mapped[bool] = mapped_column(Boolean, default=False)
    allowed_networks: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.status == "active"
