"""Who has and has not accepted a version, scoped to what the viewer may see, and its CSV export.

System administrators see every organisation (and may filter by one);
responsible persons and organisation administrators see only their own.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select

from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.listing import MAX_ID
from webapp.auth.models import User
from webapp.consent.models import ConsentAcceptance, ConsentItem, DocumentVersion
from webapp.consent.texts import kind_label
from webapp.extensions import db
from webapp.orgs.models import Organisation
from webapp.orgs.regions import CATEGORY_LABELS
from webapp.ui import format_jst

PAGE_SIZE = 100
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class OutOfScope(LookupError):
    """An organisation or version the viewer may not see: answered as 404."""


@dataclass(frozen=True)
class Scope:
    organisation_ids: frozenset[int] | None  # None: every organisation (system administrator, no filter)
    organisation: Organisation | None  # the chosen or own organisation, for the page heading


@dataclass(frozen=True)
class ReportRow:
    user: User
    accepted_at: datetime | None


@dataclass(frozen=True)
class ReportPage:
    rows: list[ReportRow]
    total: int
    accepted: int
    page: int
    pages: int


def scope_for(viewer: User, organisation_id: str | None) -> Scope:
    """A filter other than the viewer's own organisation is only for system administrators."""
    chosen = None
    if organisation_id:
        if (not organisation_id.isascii() or not organisation_id.isdigit() or len(organisation_id) > 10
                or int(organisation_id) > MAX_ID):
            raise OutOfScope(organisation_id)
        chosen = db.session.get(Organisation, int(organisation_id))
        if chosen is None or (not viewer.is_sysadmin and chosen.id != viewer.organisation_id):
            raise OutOfScope(organisation_id)
    if viewer.is_sysadmin:
        return Scope(frozenset({chosen.id}) if chosen else None, chosen)
    return Scope(frozenset({viewer.organisation_id}), viewer.organisation)


def organisations_for(viewer: User) -> list[Organisation]:
    if not viewer.is_sysadmin:
        return [viewer.organisation]
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def published_version(version_id: int) -> DocumentVersion:
    version = db.session.get(DocumentVersion, version_id)
    if version is None or version.state != "published":
        raise OutOfScope(version_id)
    return version


def _target_categories(version: DocumentVersion) -> set[str] | None:
    """Consent items concern only the categories they target; None: everyone."""
    if version.kind != "items":
        return None
    rows = db.session.scalars(select(ConsentItem.categories).where(ConsentItem.version_id == version.id)).all()
    if any(not categories for categories in rows):
        return None
    return {c for categories in rows for c in categories.split()}


def _users_in_scope(version: DocumentVersion, scope: Scope) -> Select:
    query = select(User).join(Organisation, Organisation.id == User.organisation_id).where(User.status == "active")
    if scope.organisation_ids is not None:
        query = query.where(User.organisation_id.in_(scope.organisation_ids))
    categories = _target_categories(version)
    if categories is not None:
        query = query.where(Organisation.category.in_(categories))
    return query


def _renewal_cutoff() -> datetime | None:
    """Acceptances at or before this no longer count (PORTAL_CONSENT_RENEWAL_MONTHS), as at the gate:
    the report said "accepted" of people the gate was sending back to accept again."""
    from flask import current_app

    from webapp import clock
    from webapp.consent.acceptance import months_before

    months = current_app.config["PORTAL_CONSENT_RENEWAL_MONTHS"]
    return months_before(clock.now(), months) if months > 0 else None


def _boxes_required_now(version: DocumentVersion) -> dict[str, frozenset[str]] | None:
    """For a version of items: the boxes each organisation category must tick today. An
    organisation whose category changed owes the items aimed at its new one, as at the gate."""
    if version.kind != "items":
        return None
    rows = db.session.execute(select(ConsentItem.item_key, ConsentItem.categories)
                              .where(ConsentItem.version_id == version.id)).all()
    return {category: frozenset(key for key, categories in rows if not categories or category in categories.split())
            for category in CATEGORY_LABELS}


def _covers_boxes_required_now(version: DocumentVersion) -> ColumnElement[bool] | None:
    required = _boxes_required_now(version)
    if required is None:
        return None
    ticked = literal(" ") + ConsentAcceptance.item_ids + literal(" ")
    return or_(*(and_(Organisation.category == category,
                      *(ticked.contains(f" {key} ", autoescape=True) for key in sorted(keys)))
                 for category, keys in required.items()))


def _latest_acceptance(version: DocumentVersion):
    query = (select(ConsentAcceptance.user_id, func.max(ConsentAcceptance.accepted_at).label("at"))
             .where(ConsentAcceptance.version_id == version.id))
    covers = _covers_boxes_required_now(version)
    if covers is not None:
        query = (query.join(User, User.id == ConsentAcceptance.user_id)
                 .join(Organisation, Organisation.id == User.organisation_id).where(covers))
    cutoff = _renewal_cutoff()
    if cutoff is not None:
        query = query.where(ConsentAcceptance.accepted_at > cutoff)
    return query.group_by(ConsentAcceptance.user_id).subquery()


def _with_latest(version: DocumentVersion, scope: Scope):
    latest = _latest_acceptance(version)
    return _users_in_scope(version, scope).add_columns(latest.c.at).outerjoin(latest, latest.c.user_id == User.id), latest


def counts(version: DocumentVersion, scope: Scope) -> tuple[int, int]:
    """(accepted, total) among the active users the version concerns."""
    base, latest = _with_latest(version, scope)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    accepted = db.session.scalar(select(func.count()).select_from(
        base.where(latest.c.at.is_not(None)).subquery())) or 0
    return accepted, total


def version_report(version: DocumentVersion, scope: Scope, status: str = "", page: int = 1) -> ReportPage:
    accepted, total = counts(version, scope)
    base, latest = _with_latest(version, scope)
    if status == "accepted":
        base = base.where(latest.c.at.is_not(None))
    elif status == "pending":
        base = base.where(latest.c.at.is_(None))
    shown_total = {"accepted": accepted, "pending": total - accepted}.get(status, total)
    pages = max(1, -(-shown_total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        base.order_by(Organisation.name, User.login_id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return ReportPage([ReportRow(user, at) for user, at in rows], total, accepted, page, pages)


def summary(scope: Scope) -> list[tuple[DocumentVersion, int, int]]:
    """Every published version with (accepted, total) in the scope, newest first."""
    versions = db.session.scalars(select(DocumentVersion).where(DocumentVersion.state == "published")
                                  .order_by(DocumentVersion.effective_at.desc(), DocumentVersion.id.desc())).all()
    return [(version, *counts(version, scope)) for version in versions]


def neutralise(value: object) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _header() -> list[str]:
    return [_("Organisation"), _("User ID"), _("Name"), _("Department"), _("Account status"), _("Consent"),
            _("Accepted at (Japan time)"), _("Document"), _("Version"), _("SHA-256 of the text shown"),
            _("Items ticked"), _("IP address"), _("Browser (user agent)")]


def _evidence(version: DocumentVersion, scope: Scope) -> Iterable[tuple[ConsentAcceptance, User]]:
    query = (select(ConsentAcceptance, User).join(User, User.id == ConsentAcceptance.user_id)
             .join(Organisation, Organisation.id == ConsentAcceptance.organisation_id)
             .where(ConsentAcceptance.version_id == version.id))
    if scope.organisation_ids is not None:
        query = query.where(ConsentAcceptance.organisation_id.in_(scope.organisation_ids))
    return db.session.execute(query.order_by(Organisation.name, User.login_id, ConsentAcceptance.accepted_at)).all()


def csv_lines(version: DocumentVersion, scope: Scope) -> Iterator[list[str]]:
    """Every acceptance recorded (any account status) and every active user still to accept."""
    document = kind_label(version.kind)
    yield _header()
    accepted_users = set()
    cutoff = _renewal_cutoff()
    required = _boxes_required_now(version)
    for evidence, user in _evidence(version, scope):
        lapsed = cutoff is not None and evidence.accepted_at <= cutoff
        short = required is not None and not required[user.organisation.category] <= set(evidence.item_list)
        if not lapsed and not short:
            accepted_users.add(user.id)
        state = (_("Accepted, renewal due") if lapsed else
                 _("Accepted, items added since") if short else _("Accepted"))
        yield [user.organisation.name, user.login_id, user.name, user.department, user.status, state,
               format_jst(evidence.accepted_at, "%Y-%m-%d %H:%M:%S"), document, version.version,
               evidence.text_sha256, evidence.item_ids, evidence.ip, evidence.user_agent]
    for user in db.session.scalars(_users_in_scope(version, scope).order_by(Organisation.name, User.login_id)):
        if user.id not in accepted_users:
            yield [user.organisation.name, user.login_id, user.name, user.department, user.status,
                   _("Not accepted"), "", document, version.version, "", "", "", ""]


def export_csv(version: DocumentVersion, scope: Scope, *, viewer: User, origin: Origin) -> str:
    """UTF-8 with BOM (Excel opens Japanese correctly), formula cells neutralised. Audited."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    count = -1
    for line in csv_lines(version, scope):
        writer.writerow([neutralise(cell) for cell in line])
        count += 1
    audit.record("consent.report_exported", origin=origin, actor_id=viewer.id,
                 organisation_id=viewer.organisation_id, target=f"{version.kind} {version.version}",
                 organisations=sorted(scope.organisation_ids) if scope.organisation_ids else "all", rows=count)
    db.session.commit()
    return "\ufeff" + buffer.getvalue()
