"""Drafts, publishing and the publish notice mail.

A draft can be edited and previewed; publishing freezes it for good, records
it in the audit log and queues one notice mail per active user, all in one
transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import SYSTEM, Origin
from webapp.auth.models import User
from webapp.consent import acceptance, documents
from webapp.consent.documents import DocumentError
from webapp.consent.models import KINDS, ConsentItem, DocumentVersion
from webapp.consent.texts import PUBLIC_PATHS, kind_label
from webapp.database import change_if
from webapp.extensions import db
from webapp.mail import outbox

MAX_SUMMARY_CHARS = 1000


@dataclass(frozen=True)
class DraftInput:
    """What an administrator typed (web form) or gave on the command line, still unchecked."""

    kind: str
    version: str
    effective_on: str
    summary: str
    body: str
    must_read_to_end: bool = False


@dataclass(frozen=True)
class Published:
    version: DocumentVersion
    mails_queued: int


def effective_instant(day: date) -> datetime:
    """00:00 Japan time on the effective date."""
    return datetime.combine(day, time(0), tzinfo=clock.JST).astimezone(timezone.utc)


def _checked(data: DraftInput) -> tuple[str, str, date, str, str, tuple[documents.ItemSpec, ...]]:
    if data.kind not in KINDS:
        raise DocumentError("kind")
    version = documents.parse_version(data.version)
    effective_on = documents.parse_date(data.effective_on)
    summary = documents.clean_text(data.summary)
    if not summary or len(summary) > MAX_SUMMARY_CHARS:
        raise DocumentError("summary")
    items: tuple[documents.ItemSpec, ...] = ()
    if data.kind == "items":
        parsed = documents.parse_items(data.body)
        body, items = parsed.preamble, parsed.items
    else:
        body = documents.clean_text(data.body)
        if not body.strip():
            raise DocumentError("empty_body")
    return data.kind, version, effective_on, summary, body, items


def _version_taken(kind: str, version: str, except_id: int | None = None) -> bool:
    query = select(DocumentVersion.id).where(DocumentVersion.kind == kind, DocumentVersion.version == version)
    if except_id is not None:
        query = query.where(DocumentVersion.id != except_id)
    return db.session.scalar(query) is not None


def _fill(row: DocumentVersion, data: DraftInput) -> None:
    kind, version, effective_on, summary, body, items = _checked(data)
    if _version_taken(kind, version, row.id):
        raise DocumentError("duplicate_version", version=version)
    row.kind, row.version, row.summary, row.body = kind, version, summary, body
    row.effective_on, row.effective_at = effective_on, effective_instant(effective_on)
    row.must_read_to_end = bool(data.must_read_to_end)
    row.items = [ConsentItem(item_key=spec.key, position=position, text=spec.text, categories=" ".join(spec.categories))
                 for position, spec in enumerate(items, start=1)]


def save_draft(data: DraftInput, *, actor_id: int | None, origin: Origin, draft_id: int | None = None
               ) -> DocumentVersion:
    """Create a draft, or change one that is still a draft. Commits."""
    row = DocumentVersion(state="draft", created_at=clock.now(), created_by=actor_id) if draft_id is None \
        else draft(draft_id)
    try:
        _fill(row, data)
        db.session.add(row)
        db.session.flush()
    except DocumentError:
        db.session.rollback()
        raise
    audit.record("terms.draft_saved", origin=origin, actor_id=actor_id, target=f"{row.kind} {row.version}",
                 version_id=row.id)
    db.session.commit()
    return row


def draft(draft_id: int) -> DocumentVersion:
    row = db.session.get(DocumentVersion, draft_id)
    if row is None or row.state != "draft":
        raise DocumentError("not_draft")
    return row


def delete_draft(draft_id: int, *, actor_id: int | None, origin: Origin) -> None:
    row = draft(draft_id)
    audit.record("terms.draft_deleted", origin=origin, actor_id=actor_id, target=f"{row.kind} {row.version}")
    db.session.delete(row)
    db.session.commit()


def latest_published(kind: str) -> DocumentVersion | None:
    """The published version with the highest number (in force or scheduled)."""
    versions = published_versions(kind)
    return versions[0] if versions else None


def published_versions(kind: str) -> list[DocumentVersion]:
    """Every published version of a kind, highest version first."""
    rows = db.session.scalars(select(DocumentVersion).where(
        DocumentVersion.kind == kind, DocumentVersion.state == "published")).all()
    return sorted(rows, key=lambda r: documents.version_key(r.version), reverse=True)


def full_text(version: DocumentVersion) -> str:
    """The whole document as compared: for consent items every item, with its target categories."""
    if version.kind != "items":
        return version.body
    specs = [documents.ItemSpec(i.item_key, i.text, tuple(sorted(i.category_set))) for i in version.items]
    return documents.items_as_text(version.body, specs)


def _check_publishable(row: DocumentVersion) -> None:
    """Effective order must follow version order, or an older text could come back into force."""
    today = clock.now_jst().date()
    if row.effective_on < today:
        raise DocumentError("past_date", today=today.isoformat())
    latest = latest_published(row.kind)
    if latest is None:
        return
    if documents.version_key(row.version) <= documents.version_key(latest.version):
        raise DocumentError("not_newer", version=latest.version)
    if row.effective_on < latest.effective_on:
        raise DocumentError("before_latest", version=latest.version, date=latest.effective_on.isoformat())


def _publish(row: DocumentVersion, actor_id: int | None, origin: Origin, notify: bool) -> Published:
    _check_publishable(row)
    previous = latest_published(row.kind)
    db.session.flush()
    # Conditional: of two clicks on "publish" at once (on PostgreSQL both read a draft), one
    # publishes and mails every user; the other is told it is no longer a draft.
    if not change_if(db.session, row, DocumentVersion.state == "draft", state="published",
                     published_at=clock.now(), published_by=actor_id):
        raise DocumentError("not_draft")
    acceptance.note_published()
    queued = notify_active_users(row, previous) if notify else 0
    audit.record("terms.published", origin=origin, actor_id=actor_id, target=f"{row.kind} {row.version}",
                 version_id=row.id, effective_on=row.effective_on.isoformat(),
                 sha256=documents.sha256_text(full_text(row)), mails=queued)
    return Published(row, queued)


def publish_draft(draft_id: int, *, actor_id: int | None, origin: Origin) -> Published:
    """Freeze a draft and announce it. Commits; on refusal nothing changes."""
    row = draft(draft_id)
    try:
        result = _publish(row, actor_id, origin, notify=True)
    except DocumentError:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def publish_new(data: DraftInput, *, actor_id: int | None = None, origin: Origin = SYSTEM,
                notify: bool = True, commit: bool = True) -> Published:
    """Create and publish in one step (`portal terms publish`, demo data). All or nothing."""
    row = DocumentVersion(state="draft", created_at=clock.now(), created_by=actor_id)
    try:
        _fill(row, data)
        db.session.add(row)
        db.session.flush()
        result = _publish(row, actor_id, origin, notify)
    except DocumentError:
        db.session.rollback()
        raise
    if commit:
        db.session.commit()
    return result


def notify_active_users(row: DocumentVersion, previous: DocumentVersion | None) -> int:
    """One outbox mail per active user; the scheduler (or `portal mail flush`) delivers them."""
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    path = PUBLIC_PATHS[row.kind]
    compare_url = (f"{base}/terms/compare?kind={row.kind}&old={previous.version}&new={row.version}"
                   if previous is not None else None)
    users = db.session.scalars(select(User).where(User.status == "active").order_by(User.id)).all()
    with force_locale("ja"):  # the notice is the operator's formal announcement, in Japanese
        document = kind_label(row.kind)
        subject = _("[Sekisho] %(document)s version %(version)s has been published",
                    document=document, version=row.version)
        for user in users:
            outbox.enqueue(user.email, subject, "consent_published", user=user, document=document,
                           version=row, document_url=f"{base}{path}/{row.version}", compare_url=compare_url)
    return len(users)
