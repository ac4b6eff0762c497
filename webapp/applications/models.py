"""Applications (申請) and their own timeline.

An application is the only way an organisation's user accounts change: the
organisation's administrator files it, someone else approves it, and the
approval executes the change in the same transaction.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.database import Base, UTCDateTime
from webapp.orgs.models import Organisation

KINDS = ("add", "change", "remove", "suspend", "resume", "unlock", "reissue")
# submitted 申請中, approved 完了, returned 差戻し, rejected 却下, withdrawn 取下げ, expired 期限切れ
STATES = ("submitted", "approved", "returned", "rejected", "withdrawn", "expired")
# Still open: a returned application can be fixed and resubmitted, so it still blocks conflicting ones.
OPEN_STATES = ("submitted", "returned")
DECISIONS = {"approve": "approved", "return": "returned", "reject": "rejected"}
# Roles an application may grant; sysadmin is never granted through an organisation's application.
GRANTABLE_ROLES = ("operator", "org_admin", "responsible")
# Holding these decides who files and who approves, so changing them needs a system administrator.
GOVERNING_ROLES = frozenset({"org_admin", "responsible"})


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_org_state", "organisation_id", "state"),
        Index("ix_applications_state_expires", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    # What the person concerned is called, for lists and search (the target's name, or the new user's).
    subject_name: Mapped[str] = mapped_column(String(200), default="")
    subject_email: Mapped[str] = mapped_column(String(254), default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")
    before: Mapped[str] = mapped_column(Text, default="{}")
    note: Mapped[str] = mapped_column(Text, default="")
    natural_person: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    requires_sysadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id], lazy="joined")
    target: Mapped[User | None] = relationship(foreign_keys=[target_user_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def proposed(self) -> dict[str, Any]:
        return json.loads(self.payload or "{}")

    @property
    def snapshot(self) -> dict[str, Any]:
        return json.loads(self.before or "{}")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ApplicationEvent(Base):
    """One line of an application's timeline: who did what, when, and why."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)  # None: the system (expiry)
    transition: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship(lazy="joined")
