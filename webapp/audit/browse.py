"""The system administrator's reading of the audit log, itself recorded in the log."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from webapp.audit import queries
from webapp.audit.service import Origin, record
from webapp.auth.models import User
from webapp.database import read_only
from webapp.extensions import db
from webapp.orgs.models import Organisation


@dataclass
class LogView:
    page: queries.AuditPage
    organisations: Sequence[Organisation] = field(default_factory=list)  # the filter form's choices
    kinds: list[str] = field(default_factory=list)


def browse(viewer: User, flt: queries.AuditFilter, origin: Origin, *, scan_rows: int = queries.TEXT_SCAN_ROWS,
           with_form: bool = True) -> LogView:
    """A page of the log for `viewer` (and the filter form's choices when asked). The search
    reads a snapshot without holding the write lock; the view is then appended to the log,
    with its filters."""
    with read_only(db.session):
        view = LogView(queries.search(flt, scan_rows))
        if with_form:
            view.organisations, view.kinds = queries.organisations(), queries.known_kinds()
    record("audit.viewed", origin=origin, actor_id=viewer.id, organisation_id=viewer.organisation_id,
           target="audit_events", filters=flt.described(), shown=len(view.page.rows))
    db.session.commit()
    return view
