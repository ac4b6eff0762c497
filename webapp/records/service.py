"""Viewing and exporting facility records: scope, cap, audit, and the bulk-export detector.

Every page shown and every export is audited with the facility IDs and the fields it
showed, so the monthly review and an investigation can tell who saw what.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webapp import clock
from webapp.alerts import service as alerts
from webapp.applications.queries import Page
from webapp.audit import service as audit
from webapp.audit.models import AuditEvent
from webapp.audit.service import Origin
from webapp.auth.models import User
from webapp.database import read_only
from webapp.extensions import db
from webapp.records import queries
from webapp.records.fields import formatter, guarded
from webapp.records.queries import RecordFilter
from webapp.records.scope import Scope

# The audit entries whose `shown` records the bulk-export detector counts.
GIVEN_KINDS = ("records.viewed", "records.exported")


class TooMany(ValueError):
    """The export would exceed the cap; the message says how to narrow it."""


class Stopped(PermissionError):
    """The bulk-export detector suspended the account: no file or page is given."""


@dataclass(frozen=True)
class Export:
    filename: str
    body: bytes


def view(user: User, scope: Scope, flt: RecordFilter, origin: Origin) -> Page[Any]:
    # Read in a snapshot without SQLite's write lock, then append the audit entry in a short
    # transaction of its own: concurrent readers no longer queue behind each other's queries.
    with read_only(db.session):
        page = queries.page_of(scope, flt)
        given = _given_in_window(user)
    if _watch_bulk_export(user, origin, given.with_page(len(page.items))):
        audit.record("records.view_refused", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                     target=f"page {page.page}", filter=flt.described(), reason="bulk export")
        db.session.commit()
        raise Stopped(_("Your account was suspended after too many records were shown. Your responsible person "
                        "has been told."))
    audit.record("records.viewed", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 target=f"page {page.page}", filter=flt.described(), shown=len(page.items),
                 ids=[r.facility_id for r in page.items], fields=list(scope.fields))
    db.session.commit()
    return page


def export(user: User, scope: Scope, flt: RecordFilter, origin: Origin) -> Export:
    """The filtered records as CSV (UTF-8 with BOM for Excel), or TooMany beyond the cap."""
    cap = current_app.config["PORTAL_RECORDS_EXPORT_MAX"]
    matching = queries.count(scope, flt)
    if matching > cap:
        raise TooMany(_("%(n)d records match; one export holds at most %(cap)d. Narrow the search and "
                        "export again.", n=matching, cap=cap))
    if _watch_bulk_export(user, origin, _given_in_window(user).with_export(matching)):
        audit.record("records.export_refused", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                     target=f"{matching} records", filter=flt.described(), reason="bulk export")
        db.session.commit()
        raise Stopped(_("Your account was suspended after too many exports. Your responsible person has been told."))
    fields = queries.visible_fields(scope)
    with read_only(db.session):
        rows = queries.export_rows(scope, flt, cap)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(f.label) for f in fields])
    cells = formatter(fields)
    for record in rows:
        writer.writerow([guarded(cell) for cell in cells(record)])
    audit.record("records.exported", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 target=f"{len(rows)} records", filter=flt.described(), shown=len(rows),
                 ids=[r.facility_id for r in rows], fields=list(scope.fields))
    db.session.commit()
    stamp = clock.now_jst().strftime("%Y%m%d-%H%M%S")
    return Export(filename=f"facility-records-{stamp}.csv", body=out.getvalue().encode("utf-8"))


@dataclass(frozen=True)
class Given:
    """What one person was given in the detector's window: list pages and the records on them,
    exports and the records in them."""

    pages: int = 0
    viewed: int = 0
    exports: int = 0
    exported: int = 0

    @property
    def records(self) -> int:
        return self.viewed + self.exported

    def with_page(self, shown: int) -> Given:
        return Given(self.pages + 1, self.viewed + shown, self.exports, self.exported)

    def with_export(self, rows: int) -> Given:
        return Given(self.pages, self.viewed, self.exports + 1, self.exported + rows)


def _given_in_window(user: User) -> Given:
    """One grouped query over the person's entries of the window (the (actor_id, at) index bounds
    it), summing the `shown` each view and export recorded: no page is read again."""
    since = clock.now() - timedelta(minutes=current_app.config["PORTAL_BULK_EXPORT_WINDOW_MINUTES"])
    found = {kind: (count, int(records or 0)) for kind, count, records in db.session.execute(
        select(AuditEvent.kind, func.count(), func.sum(audit.records_shown()))
        .where(AuditEvent.actor_id == user.id, AuditEvent.at >= since, AuditEvent.kind.in_(GIVEN_KINDS))
        .group_by(AuditEvent.kind))}
    pages, viewed = found.get("records.viewed", (0, 0))
    exports, exported = found.get("records.exported", (0, 0))
    return Given(pages, viewed, exports, exported)


def _watch_bulk_export(user: User, origin: Origin, given: Given) -> bool:
    """SPEC §7 bulk export: too many exports, or too many records exported or shown on list pages,
    in a short window (this request included): paging through every record gives as much as
    exporting them. Raises an alert (once a burst: raise_alert does not repeat an open one); True
    when the account is suspended (PORTAL_ALERT_SUSPEND), now or by an earlier alert of the burst."""
    config = current_app.config
    if (given.exports <= config["PORTAL_BULK_EXPORT_MAX_EXPORTS"]
            and given.records <= config["PORTAL_BULK_EXPORT_MAX_RECORDS"]):
        return False
    minutes = config["PORTAL_BULK_EXPORT_WINDOW_MINUTES"]
    if given.pages:
        summary = _l("%(name)s (%(login_id)s) received %(records)d facility records within %(minutes)d minutes "
                     "(this request included): %(viewed)d on %(pages)d list pages and %(exported)d in %(exports)d "
                     "exports.", name=user.name, login_id=user.login_id, records=given.records, minutes=minutes,
                     viewed=given.viewed, pages=given.pages, exported=given.exported, exports=given.exports)
    else:
        summary = _l("%(name)s (%(login_id)s) asked for %(exports)d exports of %(records)d records in all within "
                     "%(minutes)d minutes (this one included).", name=user.name, login_id=user.login_id,
                     records=given.records, exports=given.exports, minutes=minutes)
    alerts.raise_alert("records.bulk_export", alerts.in_both_languages(summary),
                       organisation_id=user.organisation_id, user_id=user.id, ip=origin.ip, origin=origin,
                       exports=given.exports, records=given.records, pages=given.pages, viewed=given.viewed)
    return user.status == "suspended"
