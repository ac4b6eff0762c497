"""Versioned documents (terms, privacy policy, consent items) and the acceptance evidence.

A published version never changes: the service refuses it and so do the ORM
guards below, so even a slip in future code cannot rewrite what users accepted.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, attributes, mapped_column, relationship

from webapp.database import Base, UTCDateTime

KINDS = ("terms", "privacy", "items")
# draft -> published (never back, never edited after)
STATES = ("draft", "published")


class DocumentVersion(Base):
    __tablename__ = "consent_document_versions"
    __table_args__ = (
        UniqueConstraint("kind", "version", name="uq_consent_document_versions_kind_version"),
        Index("ix_consent_document_versions_kind_state_effective", "kind", "state", "effective_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    version: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10), default="draft")
    # The Japan date it takes effect; effective_at is 00:00 JST that day, in UTC.
    effective_on: Mapped[date] = mapped_column(Date)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
    # Markdown; for consent items the optional preamble shown above the items.
    body: Mapped[str] = mapped_column(Text, default="")
    must_read_to_end: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    items: Mapped[list["ConsentItem"]] = relationship(
        back_populates="version_row", order_by="ConsentItem.position", cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def is_published(self) -> bool:
        return self.state == "published"


class ConsentItem(Base):
    """One statement a user ticks; `item_key` is stable across versions (the form's `item` value)."""

    __tablename__ = "consent_items"
    __table_args__ = (UniqueConstraint("version_id", "item_key", name="uq_consent_items_version_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("consent_document_versions.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # Space-separated organisation categories; empty: every user.
    categories: Mapped[str] = mapped_column(String(200), default="")

    version_row: Mapped[DocumentVersion] = relationship(back_populates="items")

    @property
    def category_set(self) -> frozenset[str]:
        return frozenset(self.categories.split())

    def applies_to(self, category: str) -> bool:
        return not self.categories or category in self.category_set


class ConsentAcceptance(Base):
    """Evidence: who accepted which version, the hash of the text shown, the boxes ticked, when, from where."""

    __tablename__ = "consent_acceptances"
    __table_args__ = (
        Index("ix_consent_acceptances_user_version", "user_id", "version_id", "accepted_at"),
        Index("ix_consent_acceptances_version_org", "version_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("consent_document_versions.id"))
    text_sha256: Mapped[str] = mapped_column(String(64))
    item_ids: Mapped[str] = mapped_column(Text, default="")  # space-separated, as ticked
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    @property
    def item_list(self) -> list[str]:
        return self.item_ids.split()


def _was_published(target: DocumentVersion) -> bool:
    history = attributes.get_history(target, "state")
    before = list(history.deleted) + list(history.unchanged)
    return "published" in before


def _refuse_published_change(_mapper: object, _connection: object, target: DocumentVersion) -> None:
    if _was_published(target):
        raise PermissionError(f"document version {target.id} is published and cannot change")


def _refuse_item_change(_mapper: object, connection: object, target: ConsentItem) -> None:
    state = connection.scalar(  # type: ignore[attr-defined]
        select(DocumentVersion.state).where(DocumentVersion.id == target.version_id))
    if state == "published":
        raise PermissionError(f"consent item {target.id} belongs to a published version")


def _refuse_evidence_change(_mapper: object, _connection: object, target: ConsentAcceptance) -> None:
    raise PermissionError(f"acceptance {target.id} is evidence and append-only")


event.listen(DocumentVersion, "before_update", _refuse_published_change)
event.listen(DocumentVersion, "before_delete", _refuse_published_change)
event.listen(ConsentItem, "before_insert", _refuse_item_change)
event.listen(ConsentItem, "before_update", _refuse_item_change)
event.listen(ConsentItem, "before_delete", _refuse_item_change)
event.listen(ConsentAcceptance, "before_update", _refuse_evidence_change)
event.listen(ConsentAcceptance, "before_delete", _refuse_evidence_change)
