"""The scheduler's check of the log against its anchor: moved forward, or an alert, once per damage."""
from __future__ import annotations

import json
import logging

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.audit import anchor
from webapp.extensions import db

log = logging.getLogger(__name__)


def watch_anchor(_app: Flask) -> anchor.Anchor | None:
    from webapp.alerts import service as alerts  # alerts write to this audit log: imported when run

    try:
        return anchor.move_to_head()
    except (anchor.AnchorBroken, anchor.OtherLog):
        recorded = anchor.read()
        if recorded is None or _already_raised(recorded):  # once per damage, not again after it is closed
            return None
        alerts.raise_alert("audit.log_altered", alerts.in_both_languages(_l(
            "Audit log entry %(id)d is gone or differs from the one recorded outside the database: the log was cut "
            "or rewritten. Run `portal audit verify` and compare with a backup.", id=recorded.entry_id)),
            entry_id=recorded.entry_id, entry_hash=recorded.hash)
        db.session.commit()
        return None
    except anchor.AnchorUnreadable as unusable:
        log.error("%s", unusable)
        return None


def _already_raised(recorded: anchor.Anchor) -> bool:
    from webapp.alerts.models import Alert

    raised = db.session.scalars(select(Alert.details).where(Alert.kind == "audit.log_altered")).all()
    return any(json.loads(details).get("entry_hash") == recorded.hash for details in raised)
