"""Periodic clean-up of sign-in bookkeeping (the scheduler runs it; it commits its own work)."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import delete, or_

from webapp import clock
from webapp.auth import ratelimit
from webapp.auth.models import PendingLogin
from webapp.extensions import db

# Finished pending logins are kept a day for support questions ("I never got the code").
PENDING_RETENTION = timedelta(days=1)


def prune_sign_in_records(_app: Flask) -> dict[str, int]:
    rate_events = ratelimit.prune()
    cutoff = clock.now() - PENDING_RETENTION
    pending = db.session.execute(
        delete(PendingLogin).where(PendingLogin.created_at < cutoff, or_(
            PendingLogin.expires_at < cutoff, PendingLogin.consumed_at.is_not(None),
            PendingLogin.voided_at.is_not(None)))
    ).rowcount or 0
    db.session.commit()
    return {"rate_events": rate_events, "pending_logins": pending}
