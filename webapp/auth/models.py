from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.database import Base, UTCDateTime
from webapp.orgs.models import Organisation

ROLES = ("operator", "org_admin", "responsible", "sysadmin")
# pending: issued, not yet activated; closed: removed (history kept, never deleted).
USER_STATUSES = ("pending", "active", "suspended", "closed")


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), index=True)
    emergency_phone: Mapped[str] = mapped_column(String(40), default="")
    roles: Mapped[str] = mapped_column(String(100), default="operator")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    hours_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    mfa_method: Mapped[str] = mapped_column(String(10), default="email")  # email | totp
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_last_counter: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When the warning before a dormancy suspension was mailed; a later sign-in starts a new period.
    dormancy_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When a suspension of the account or of its organisation was lifted: nobody could sign in
    # before, so dormancy counts from here, not from a sign-in that was impossible meanwhile.
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Who stopped a suspended account: "organisation" (its application or responsible person),
    # "sysadmin", "detector" or "dormancy". Lifting a sysadmin's or a detector's needs a sysadmin.
    suspended_by: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    @property
    def is_sysadmin(self) -> bool:
        return "sysadmin" in self.role_set

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def can_sign_in(self) -> bool:
        return (
            self.status == "active"
            and not self.is_locked
            and self.password_hash is not None
            and self.organisation.is_active
        )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.status == "active"


class PasswordHistory(Base):
    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ActivationToken(Base):
    """One-time link to set a password: first activation or a reissue."""

    __tablename__ = "activation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default="activate")  # activate | reissue
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ServerSession(Base):
    """A browser session; the cookie holds only a random token whose SHA-256 is the id."""

    __tablename__ = "server_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    authenticated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class PendingLogin(Base):
    """A login whose password was right and whose second factor is awaited."""

    __tablename__ = "pending_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(String(10), default="email")
    code_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    code_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The outbox mail with the current code: a mail queued for an older code, or for a sign-in
    # replaced, used or voided, is not sent when the relay comes back (service.live_code_mails).
    code_mail_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    resends: Mapped[int] = mapped_column(Integer, default=0)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")


class RateEvent(Base):
    """Counted events (e.g. failed logins per IP) shared by every process through the database."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
