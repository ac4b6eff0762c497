"""Queue mail inside the caller's transaction; deliver after commit, retry with back-off."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, Sequence

from flask import current_app, render_template
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session

from webapp import clock
from webapp.extensions import db
from webapp.mail import smtp
from webapp.mail.models import OutboxMail

_NEW_IDS = "sekisho.new_mail_ids"
_COMMITTED_IDS = "sekisho.committed_mail_ids"
_ITEMS = "sekisho.mail_items"  # id -> QueuedMail queued by this session

# A code mail is queued and marked sent on every sign-in: built once.
_TABLE = OutboxMail.__table__
_INSERT = insert(_TABLE)
_RECORD_ATTEMPT = update(_TABLE).where(_TABLE.c.id == bindparam("mail_id"), _TABLE.c.state == "queued")


# Mail whose body is a credential (a one-time code, an activation or reissue link): once the
# relay has it, the copy in the database is blanked, so that the database or a backup of it does
# not hand out sign-ins. The development outbox keeps them: its page is where codes are read.
SECRET_TEMPLATES = frozenset({"login_code", "activation"})
DELIVERED_SECRET = "(removed after delivery: it held a one-time code or a link)"


@dataclass
class QueuedMail:
    """What this request queued, kept so that it can be sent without reading it back."""

    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str
    template: str = ""
    attempts: int = 0


def enqueue(recipient: str, subject: str, template: str, *, with_response: bool = True, **context: Any) -> QueuedMail:
    """Render mail/<template>.txt and .html and add them to the current transaction.

    The request delivers what it queued before it answers, unless `with_response` is False:
    then the scheduler's next mail run (or `portal mail flush`) does, so that the answer takes
    no longer for having queued it (a lockout must not show by its timing which IDs exist)."""
    now = clock.now()
    item = QueuedMail(
        id=0,
        recipient=recipient,
        subject=str(subject),
        body_text=render_template(f"mail/{template}.txt", **context),
        body_html=render_template(f"mail/{template}.html", **context),
        template=template,
    )
    item.id = db.session.execute(_INSERT, {
        "recipient": item.recipient, "subject": item.subject, "body_text": item.body_text,
        "body_html": item.body_html, "template": template, "next_attempt_at": now, "created_at": now,
    }).inserted_primary_key[0]
    if with_response:
        db.session.info.setdefault(_NEW_IDS, []).append(item.id)
        db.session.info.setdefault(_ITEMS, {})[item.id] = item
    return item


@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    new = session.info.pop(_NEW_IDS, [])
    if new:
        session.info.setdefault(_COMMITTED_IDS, []).extend(new)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    items = session.info.get(_ITEMS, {})
    for item_id in session.info.pop(_NEW_IDS, []):
        items.pop(item_id, None)


def take_committed_ids() -> list[int]:
    return db.session.info.pop(_COMMITTED_IDS, [])


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _send_smtp(items: Sequence[OutboxMail | QueuedMail]) -> dict[int, str]:
    """Send each item; return the error text of those that failed."""
    return smtp.send_all(items)


def _keep_local(items: Sequence[OutboxMail | QueuedMail]) -> dict[int, str]:
    for item in items:
        print(
            f"\n--- mail to {item.recipient}: {item.subject}\n{item.body_text}\n--- end of mail",
            file=sys.stderr,
            flush=True,
        )
    return {}


def deliver(ids: Iterable[int] | None = None, limit: int = 100) -> tuple[int, int]:
    """Deliver queued mail (the given ids, or every due one). Returns (delivered, failed)."""
    now = clock.now()
    query = select(OutboxMail).where(OutboxMail.state == "queued")
    if ids is not None:
        id_list = list(ids)
        if not id_list:
            return 0, 0
        query = query.where(OutboxMail.id.in_(id_list))
    else:
        query = query.where(OutboxMail.next_attempt_at <= now)
    items = list(db.session.scalars(query.order_by(OutboxMail.id).limit(limit)))
    db.session.commit()  # never hold the write lock while talking to SMTP
    if not items:
        return 0, 0
    errors = _send_and_record(items, now)
    return len(items) - len(errors), len(errors)


def _send_and_record(items: Sequence[OutboxMail | QueuedMail], now: Any) -> dict[int, str]:
    """Send, then record each outcome in one transaction; returns the errors by id."""
    backend = current_app.config["PORTAL_MAIL_BACKEND"]
    errors = _send_smtp(items) if backend == "smtp" else _keep_local(items)
    max_attempts = current_app.config["PORTAL_MAIL_MAX_ATTEMPTS"]
    done_state = "sent" if backend == "smtp" else "kept"
    for item in items:
        attempts = item.attempts + 1
        if item.id in errors:
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_error": errors[item.id][:500],
                "next_attempt_at": now + _backoff(attempts),
                "state": "failed" if attempts >= max_attempts else "queued",
            }
        else:
            values = {"attempts": attempts, "state": done_state, "sent_at": now, "last_error": ""}
            if done_state == "sent" and item.template in SECRET_TEMPLATES:
                values.update(body_text=DELIVERED_SECRET, body_html="")
        # Conditional on still being queued, so two flushers never both count one mail.
        db.session.execute(_RECORD_ATTEMPT, {"mail_id": item.id, **values})
    db.session.commit()
    return errors


def deliver_now(ids: Iterable[int]) -> set[int]:
    """Deliver mail this session queued and committed, without reading it back (the sign-in
    code path); returns the ids delivered. Ids it did not queue go the general way."""
    id_list = sorted(set(ids))
    known = db.session.info.get(_ITEMS, {})
    if not all(item_id in known for item_id in id_list):
        deliver(id_list)
        return {item_id for item_id in id_list if was_delivered(item_id)}
    if db.session.in_transaction():
        db.session.commit()  # never hold the write lock while talking to SMTP
    items = [known.pop(item_id) for item_id in id_list]
    errors = _send_and_record(items, clock.now())
    return {item.id for item in items if item.id not in errors}


def deliver_committed(cap: int = 20) -> None:
    """After a request commits: deliver what it queued, unless there is a lot (the scheduler takes it)."""
    ids = take_committed_ids()
    if ids and len(ids) <= cap:
        deliver(ids)


def was_delivered(item_id: int) -> bool:
    item = db.session.get(OutboxMail, item_id)
    return item is not None and item.state in {"sent", "kept"}
