"""What a user must accept now, and recording that they did.

The gate asks `pending(user)` on every request, so it reads only ids and keys;
the consent page loads the full documents of what is pending.
"""
from __future__ import annotations

import calendar
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth import lookup
from webapp.consent import documents
from webapp.consent.models import KINDS, ConsentAcceptance, ConsentItem, DocumentVersion
from webapp.extensions import db

MAX_FORM_VALUES = 200


@dataclass(frozen=True)
class Requirement:
    """One current version a user must accept, and the `item` values that accepting it needs."""

    version_id: int
    kind: str
    box_ids: tuple[str, ...]


@dataclass(frozen=True)
class Shown:
    """A pending version as the consent page shows it."""

    version: DocumentVersion
    items: tuple[ConsentItem, ...]
    box_ids: tuple[str, ...]

    @property
    def text(self) -> str:
        """Exactly the text shown; its SHA-256 goes into the evidence."""
        if self.version.kind != "items":
            return self.version.body
        specs = [documents.ItemSpec(i.item_key, i.text, tuple(sorted(i.category_set))) for i in self.items]
        return documents.items_as_text(self.version.body, specs)


class ConsentRefused(Exception):
    """The submitted form does not accept exactly the current versions; nothing was stored."""

    def __init__(self, reason: str, missing: list[str] | None = None, unknown: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # outdated | missing | unknown
        self.missing = missing or []
        self.unknown = unknown or []


# Every request asks which versions are published (the gate, the upcoming notice). They change
# when an operator publishes, so the list is kept per process for at most CACHE_SECONDS: a
# publication in this process counts at once (cleared on its commit), one made by another
# process (PostgreSQL with several servers, `portal terms publish`) within that bound. Only the
# list of published versions is kept; what a user accepted is always read.
CACHE_SECONDS = 5.0
_CACHE = "sekisho.consent_published"
_CHANGED = "sekisho.consent_published_changed"


def _published() -> tuple[tuple[int, str, datetime], ...]:
    """(id, kind, effective_at) of every published version, in force order."""
    cached = current_app.extensions.get(_CACHE)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    rows = db.session.execute(
        select(DocumentVersion.id, DocumentVersion.kind, DocumentVersion.effective_at)
        .where(DocumentVersion.state == "published")
        .order_by(DocumentVersion.effective_at, DocumentVersion.id)
    ).all()
    value = tuple((version_id, kind, effective_at) for version_id, kind, effective_at in rows)
    current_app.extensions[_CACHE] = (time.monotonic() + CACHE_SECONDS, value)
    return value


def note_published() -> None:
    """Called by publishing: the cache is dropped when this transaction commits."""
    db.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_published(session: Session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        current_app.extensions.pop(_CACHE, None)


@event.listens_for(Session, "after_rollback")
def _keep_published(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def current_version_ids(now: datetime | None = None) -> dict[str, int]:
    """kind -> id of the version in force now (latest effective date, then latest published)."""
    now = now or clock.now()
    return {kind: version_id for version_id, kind, effective_at in _published() if effective_at <= now}


def kinds_not_in_force(now: datetime | None = None) -> list[str]:
    """Which documents (terms, privacy, items) have no version in force: the gate cannot ask for them."""
    in_force = current_version_ids(now)
    return [kind for kind in ("terms", "privacy", "items") if kind not in in_force]


def upcoming_versions(now: datetime | None = None) -> list[DocumentVersion]:
    """Published but not yet in force: announced, not enforced."""
    now = now or clock.now()
    if not any(effective_at > now for _id, _kind, effective_at in _published()):
        return []
    return list(db.session.scalars(
        select(DocumentVersion)
        .where(DocumentVersion.state == "published", DocumentVersion.effective_at > now)
        .order_by(DocumentVersion.effective_at, DocumentVersion.id)
    ))


def applicable_item_keys(version_id: int, category: str) -> tuple[str, ...]:
    rows = db.session.execute(
        select(ConsentItem.item_key, ConsentItem.categories)
        .where(ConsentItem.version_id == version_id).order_by(ConsentItem.position)
    ).all()
    return tuple(key for key, categories in rows if not categories or category in categories.split())


def requirements(user, now: datetime | None = None) -> list[Requirement]:
    current = current_version_ids(now)
    needed = []
    for kind in KINDS:
        if kind not in current:
            continue
        if kind == "items":
            keys = applicable_item_keys(current[kind], user.organisation.category)
            if keys:
                needed.append(Requirement(current[kind], kind, keys))
        else:
            needed.append(Requirement(current[kind], kind, (kind,)))
    return needed


def months_before(instant: datetime, months: int) -> datetime:
    """The same Japan day and time N calendar months earlier (day clamped to the month's end)."""
    local = instant.astimezone(clock.JST)
    month_index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    return local.replace(year=year, month=month, day=min(local.day, calendar.monthrange(year, month)[1]))


def pending(user, now: datetime | None = None) -> list[Requirement]:
    """Current versions this user has not accepted (or not within the renewal period).

    Runs on every request through the gate: one query for the versions in force, one for the
    items that apply, one for this user's acceptances of those versions.
    """
    now = now or clock.now()
    needed = requirements(user, now)
    if not needed:
        return []
    months = current_app.config["PORTAL_CONSENT_RENEWAL_MONTHS"]
    query = select(ConsentAcceptance.version_id, ConsentAcceptance.item_ids).where(
        ConsentAcceptance.user_id == user.id, ConsentAcceptance.version_id.in_([r.version_id for r in needed]))
    if months > 0:
        query = query.where(ConsentAcceptance.accepted_at > months_before(now, months))
    ticked: dict[int, list[set[str]]] = {}
    for version_id, item_ids in db.session.execute(query):
        ticked.setdefault(version_id, []).append(set(item_ids.split()))
    # An acceptance counts only if it covered every box this user must tick now.
    return [r for r in needed if not any(set(r.box_ids) <= got for got in ticked.get(r.version_id, []))]


def shown(requirement_list: list[Requirement]) -> list[Shown]:
    result = []
    for requirement in requirement_list:
        version = db.session.get(DocumentVersion, requirement.version_id)
        assert version is not None  # ids come from the query above in the same request
        items = tuple(i for i in version.items if i.item_key in requirement.box_ids)
        result.append(Shown(version, items, requirement.box_ids))
    return result


@dataclass
class Submission:
    """The consent form as posted: the version ids it showed and the boxes ticked."""

    version_ids: list[str] = field(default_factory=list)
    ticked: list[str] = field(default_factory=list)


def _validated(user, submission: Submission) -> list[Requirement]:
    if len(submission.version_ids) + len(submission.ticked) > MAX_FORM_VALUES:
        raise ConsentRefused("unknown")
    current = {str(r.version_id): r for r in requirements(user)}
    waiting = {str(r.version_id) for r in pending(user)}
    if not waiting and not submission.version_ids:
        return []  # all accepted already: this form was sent twice (a double click, two tabs)
    # Without version fields (a client that posts only the boxes SPEC §10 names) the form stands
    # for what is pending now; the boxes must still match it exactly.
    submitted = set(submission.version_ids) or waiting
    # A version id that is not in force now, or a pending one the form did not show: the page is stale.
    if not submitted or not submitted <= set(current) or not waiting <= submitted:
        raise ConsentRefused("outdated")
    chosen = [current[v] for v in current if v in submitted]
    known = {box for r in chosen for box in r.box_ids}
    unknown = sorted(set(submission.ticked) - known)
    if unknown:
        raise ConsentRefused("unknown", unknown=[u[:40] for u in unknown[:5]])
    missing = [box for r in chosen for box in r.box_ids if box not in submission.ticked]
    if missing:
        raise ConsentRefused("missing", missing=missing)
    # A version accepted meanwhile (the same form sent twice, or from two tabs) is not stored again.
    return [r for r in chosen if str(r.version_id) in waiting]


def accept(user, submission: Submission, origin: Origin) -> list[ConsentAcceptance]:
    """Store one evidence row per accepted version, or refuse the whole form. Commits.

    One form of a person at a time (their account's row is locked): the second of two sent at
    once sees what the first stored, and stores nothing again."""
    lookup.lock_account(user.id)
    try:
        chosen = _validated(user, submission)
    except ConsentRefused as refused:
        db.session.rollback()
        audit.record("consent.rejected", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                     reason=refused.reason, missing=refused.missing, unknown=refused.unknown)
        db.session.commit()
        raise
    if not chosen:
        db.session.commit()
        return []
    now = clock.now()
    pages = shown(chosen)
    rows = []
    for page in pages:
        row = ConsentAcceptance(
            user_id=user.id, organisation_id=user.organisation_id, version_id=page.version.id,
            text_sha256=documents.sha256_text(page.text), item_ids=" ".join(page.box_ids),
            accepted_at=now, ip=origin.ip[:64], user_agent=origin.user_agent[:300],
        )
        db.session.add(row)
        rows.append(row)
    audit.record("consent.accepted", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 versions=[f"{p.version.kind} {p.version.version}" for p in pages])
    db.session.commit()
    return rows


@dataclass(frozen=True)
class HistoryEntry:
    """One acceptance as the user's own history shows it: the statements ticked in words
    (the keys are what the form sent); empty for a terms or privacy document, whose one box
    stands for the whole text."""

    evidence: ConsentAcceptance
    version: DocumentVersion
    statements: list[str]


def history(user_id: int) -> list[HistoryEntry]:
    rows = db.session.execute(
        select(ConsentAcceptance, DocumentVersion)
        .join(DocumentVersion, DocumentVersion.id == ConsentAcceptance.version_id)
        .where(ConsentAcceptance.user_id == user_id)
        .order_by(ConsentAcceptance.accepted_at.desc(), ConsentAcceptance.id.desc())
    ).all()
    item_versions = {version.id for _evidence, version in rows if version.kind == "items"}
    texts = {(item.version_id, item.item_key): item.text for item in db.session.scalars(
        select(ConsentItem).where(ConsentItem.version_id.in_(item_versions)))} if item_versions else {}
    return [HistoryEntry(evidence, version, [texts.get((version.id, key), key) for key in evidence.item_list]
                         if version.kind == "items" else [])
            for evidence, version in rows]
