"""Viewing and exporting facility records: scope, cap, audit, and the bulk-export detector.

Every page shown and every export is audited with the facility IDs and the fields it
showed, so the monthly review and an investigation can tell who saw what.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

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
from webapp.records.fields import formatter
from webapp.records.queries import RecordFilter
from webapp.records.scope import Scope

# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class TooMany(ValueError):
    """The export would exceed the cap; the message says how to narrow it."""


class Stopped(PermissionError):
    """The bulk-export detector suspended the account: no file is given."""


@dataclass(frozen=True)
class Export:
    filename: str
    body: bytes


def view(user: User, scope: Scope, flt: RecordFilter, origin: Origin) -> Page[Any]:
    # Read in a snapshot without SQLite's write lock, then append the audit entry in a short
    # transaction of its own: concurrent readers no longer queue behind each other's queries.
    with read_only(db.session):
        page = queries.page_of(scope, flt)
    audit.record("records.viewed", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 target=f"page {page.page}", filter=flt.described(), shown=len(page.items),
                 ids=[r.facility_id for r in page.items], fields=list(scope.fields))
    db.session.commit()
    return page


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export(user: User, scope: Scope, flt: RecordFilter, origin: Origin) -> Export:
    """The filtered records as CSV (UTF-8 with BOM for Excel), or TooMany beyond the cap."""
    cap = current_app.config["PORTAL_RECORDS_EXPORT_MAX"]
    matching = queries.count(scope, flt)
    if matching > cap:
        raise TooMany(_("%(n)d records match; one export holds at most %(cap)d. Narrow the search and "
                        "export again.", n=matching, cap=cap))
    if _watch_bulk_export(user, origin, matching):
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
        writer.writerow([safe_cell(cell) for cell in cells(record)])
    audit.record("records.exported", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 target=f"{len(rows)} records", filter=flt.described(), shown=len(rows),
                 ids=[r.facility_id for r in rows], fields=list(scope.fields))
    db.session.commit()
    stamp = clock.now_jst().strftime("%Y%m%d-%H%M%S")
    return Export(filename=f"facility-records-{stamp}.csv", body=out.getvalue().encode("utf-8"))


def _watch_bulk_export(user: User, origin: Origin, rows: int) -> bool:
    """SPEC §7 bulk export: too many exports, or too many records exported, in a short window
    (this one included). Raises an alert; True when the account is suspended (PORTAL_ALERT_SUSPEND),
    now or by an earlier alert of the same burst."""
    config = current_app.config
    since = clock.now() - timedelta(minutes=config["PORTAL_BULK_EXPORT_WINDOW_MINUTES"])
    earlier = db.session.execute(select(AuditEvent.details).where(
        AuditEvent.kind == "records.exported", AuditEvent.actor_id == user.id, AuditEvent.at >= since)).scalars().all()
    exports = len(earlier) + 1
    records = sum(_shown(details) for details in earlier) + rows
    if exports <= config["PORTAL_BULK_EXPORT_MAX_EXPORTS"] and records <= config["PORTAL_BULK_EXPORT_MAX_RECORDS"]:
        return False
    alerts.raise_alert("records.bulk_export", alerts.in_both_languages(_l(
        "%(name)s (%(login_id)s) asked for %(exports)d exports of %(records)d records in all within %(minutes)d "
        "minutes (this one included).",
        name=user.name, login_id=user.login_id, records=records, exports=exports,
        minutes=config["PORTAL_BULK_EXPORT_WINDOW_MINUTES"])),
        organisation_id=user.organisation_id, user_id=user.id, ip=origin.ip, origin=origin, exports=exports, records=records)
    return user.status == "suspended"


def _shown(details: str) -> int:
    try:
        return int(json.loads(details).get("shown", 0))
    except (ValueError, TypeError, AttributeError):
        return 0

