"""Settings a system administrator changes on screen (the `system_settings` table).

Any feature may keep a namespaced key here ("hours.system_profile", ...);
the caller records the audit entry and commits, with the change it makes.
"""
from __future__ import annotations

from webapp import clock
from webapp.extensions import db
from webapp.hours.models import SystemSetting


def get_setting(key: str) -> str | None:
    record = db.session.get(SystemSetting, key)
    return record.value if record is not None else None


def set_setting(key: str, value: str, actor_id: int | None) -> str | None:
    """Store ``value`` under ``key``; returns the previous value (None when unset)."""
    record = db.session.get(SystemSetting, key)
    previous = record.value if record is not None else None
    if record is None:
        record = SystemSetting(key=key, value=value, updated_at=clock.now(), updated_by=actor_id)
        db.session.add(record)
    else:
        record.value, record.updated_at, record.updated_by = value, clock.now(), actor_id
    db.session.flush()
    return previous
