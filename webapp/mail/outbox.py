"""Queue mail inside the caller's transaction; deliver after commit, retry with back-off."""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, Callable, Iterable, ParamSpec, Sequence, TypeVar

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import bindparam, event, func, insert, select, update
from sqlalchemy.orm import Session

from webapp import clock
from webapp.extensions import db
from webapp.mail import smtp
from webapp.mail.models import OutboxMail

log = logging.getLogger(__name__)
_NEW_IDS = "sekisho.new_mail_ids"
_COMMITTED_IDS = "sekisho.committed_mail_ids"
_ITEMS = "sekisho.mail_items"  # id -> QueuedMail queued by this session

# A code mail is queued and marked sent on every sign-in: built once.
_TABLE = OutboxMail.__table__
_INSERT = insert(_TABLE)
_RECORD_ATTEMPT = update(_TABLE).where(_TABLE.c.id == bindparam("mail_id"), _TABLE.c.state == "queued")
# Conditional on the hold being this sender's still (the time it set), so it never takes over another's.
_RENEW_HOLD = update(_TABLE).where(_TABLE.c.id == bindparam("mail_id"), _TABLE.c.state == "queued",
                                   _TABLE.c.next_attempt_at == bindparam("held_until"))

# Whoever sends a mail holds it first, by moving its next attempt this far ahead: the request
# that queued it (from the start), or the scheduler and `portal mail flush` (by a conditional
# update), so that two of them never send one mail. A sender that dies mid-way lets it go
# when the lease runs out; the next run sends it then.
LEASE = timedelta(minutes=2)
# Mail is written in the portal's language (SPEC: Japanese by default), not in the language of
# the request that happened to queue it: an English browser approving an application, or a
# stranger's at the login page, must not decide what the person reads.
MAIL_LOCALE = "ja"
P = ParamSpec("P")
R = TypeVar("R")
# Longest wait between two tries while the relay is unreachable or says "later".
LONGEST_BACKOFF = timedelta(hours=1)


# Mail whose body is a credential (a one-time code, an activation or reissue link): once the
# relay has it, the copy in the database is blanked, so that the database or a backup of it does
# not hand out sign-ins. The development outbox keeps them: its page is where codes are read.
SECRET_TEMPLATES = frozenset({"login_code", "activation"})
DELIVERED_SECRET = "(removed after delivery: it held a one-time code or a link)"
NOT_SENT_SECRET = "(removed, not sent: its one-time code had expired)"
NOT_WANTED_SECRET = "(removed, not sent: its one-time code no longer worked)"
# Template -> which of the given queued mails (ids) are still worth sending, for mail that can go
# stale while the relay is away. auth registers the sign-in code's: a code replaced by a new
# password step or a resend, or of a sign-in used or voided, would arrive after the live one.
STILL_WANTED: dict[str, Callable[[list[int]], set[int]]] = {}


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
    refusals: int = 0
    leased_until: datetime | None = None  # held by this request from the start until then (see LEASE)

    @property
    def leased(self) -> bool:
        return self.leased_until is not None


def in_mail_language(compose: Callable[P, R]) -> Callable[P, R]:
    """For a function that words a mail (its subject, a headline) before enqueue renders it."""
    @wraps(compose)
    def worded(*args: P.args, **kwargs: P.kwargs) -> R:
        with force_locale(MAIL_LOCALE):
            return compose(*args, **kwargs)

    return worded


def enqueue(recipient: str, subject: Any, template: str, *, with_response: bool = True, **context: Any) -> QueuedMail:
    """Render mail/<template>.txt and .html in MAIL_LOCALE and add them to the current transaction.

    The request delivers what it queued before it answers, unless `with_response` is False:
    then the scheduler's next mail run (or `portal mail flush`) does, so that the answer takes
    no longer for having queued it (a lockout must not show by its timing which IDs exist).
    A request holds the mail it will send from the start; a command's is due at once."""
    now = clock.now()
    leased = with_response and has_request_context()
    with force_locale(MAIL_LOCALE):  # a lazy subject too: whoever's request queued it
        item = QueuedMail(
            id=0,
            recipient=recipient,
            subject=str(subject),
            body_text=render_template(f"mail/{template}.txt", **context),
            body_html=render_template(f"mail/{template}.html", **context),
            template=template,
            leased_until=now + LEASE if leased else None,
        )
    item.id = db.session.execute(_INSERT, {
        "recipient": item.recipient, "subject": item.subject, "body_text": item.body_text,
        "body_html": item.body_html, "template": template, "created_at": now,
        "next_attempt_at": item.leased_until or now,
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
    return min(timedelta(seconds=30 * 2 ** min(max(attempts - 1, 0), 20)), LONGEST_BACKOFF)


def _send_smtp(items: Sequence[OutboxMail | QueuedMail]) -> dict[int, smtp.Failure]:
    """Send each item; return why those that failed did."""
    return smtp.send_all(items)


def _keep_local(items: Sequence[OutboxMail | QueuedMail]) -> dict[int, smtp.Failure]:
    for item in items:
        print(
            f"\n--- mail to {item.recipient}: {item.subject}\n{item.body_text}\n--- end of mail",
            file=sys.stderr,
            flush=True,
        )
    return {}


def _claim(ids: list[int], now: Any) -> list[OutboxMail]:
    """Hold these mails for this sender (those still queued and due: nobody else holds them)."""
    claimed = list(db.session.execute(
        update(OutboxMail).where(OutboxMail.id.in_(ids), OutboxMail.state == "queued",
                                 OutboxMail.next_attempt_at <= now)
        .values(next_attempt_at=now + LEASE).returning(OutboxMail.id)
        .execution_options(synchronize_session=False)).scalars())
    items = list(db.session.scalars(select(OutboxMail).where(OutboxMail.id.in_(claimed)).order_by(OutboxMail.id)
                                    .execution_options(populate_existing=True)))
    db.session.commit()  # the claim is visible to other senders; and never hold the write lock while talking to SMTP
    return items


def make_waiting_due() -> int:
    """An operator's flush (the relay is back): mail waiting out a back-off, however short, is tried
    now. Never a mail another sender holds: a hold moves next_attempt_at away from the retry_at
    its last failure set (a request's own mail, never tried, has none)."""
    now = clock.now()
    woken = db.session.execute(
        update(OutboxMail).where(OutboxMail.state == "queued", OutboxMail.next_attempt_at > now,
                                 OutboxMail.next_attempt_at == OutboxMail.retry_at)
        .values(next_attempt_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return woken


@dataclass(frozen=True)
class Backlog:
    """What is still queued and not being sent by another sender at this moment (a request or
    another run holds that): how many, the next try, and the relay's last answer."""

    waiting: int
    next_attempt_at: Any
    last_error: str
    held: int = 0

    @property
    def reason(self) -> str:
        """Why it waits, in the words of `portal mail flush` and `portal jobs run`."""
        if self.last_error.startswith(smtp.UNREACHABLE):
            return self.last_error
        return f"the mail relay's last answer: {self.last_error}" if self.last_error else "not tried yet"


def backlog() -> Backlog:
    now = clock.now()
    queued = OutboxMail.state == "queued"
    # Held: moved ahead by a sender's hold, not by the wait after a failure (see retry_at).
    held = queued & (OutboxMail.next_attempt_at > now) & (
        OutboxMail.retry_at.is_(None) | (OutboxMail.next_attempt_at != OutboxMail.retry_at))
    waiting = queued & ~held
    counts = db.session.execute(select(func.count().filter(waiting), func.count().filter(held),
                                       func.min(OutboxMail.next_attempt_at).filter(waiting)).where(queued)).one()
    last_error = db.session.scalar(select(OutboxMail.last_error).where(waiting, OutboxMail.last_error != "")
                                   .order_by(OutboxMail.next_attempt_at.desc()).limit(1)) or ""
    return Backlog(counts[0] or 0, counts[2], last_error, counts[1] or 0)


@dataclass(frozen=True)
class Flushed:
    """What a flush did: delivered, gave up (refused for good), and what is left."""

    delivered: int
    given_up: int
    left: Backlog


def flush() -> Flushed:
    """`portal mail flush`: every queued mail that no other sender holds is tried now, also mail
    waiting out a back-off; what stays queued after it is in `left`."""
    make_waiting_due()
    delivered, failed_ids = 0, []
    while True:
        ok, failed = _deliver_due()
        delivered += ok
        failed_ids.extend(failed)
        if ok == 0:  # nothing due, or the relay took none: the rest waits for the next run
            break
    given_up = db.session.scalar(select(func.count()).select_from(OutboxMail).where(
        OutboxMail.id.in_(failed_ids), OutboxMail.state == "failed")) if failed_ids else 0
    return Flushed(delivered, given_up or 0, backlog())


def deliver(ids: Iterable[int] | None = None, limit: int = 100) -> tuple[int, int]:
    """Deliver queued mail that is due (among the given ids, or any). Returns (delivered, failed).

    Each is claimed first (see LEASE): the scheduler, cron's flush and requests never send one
    mail twice, and mail that another sender holds is left to it."""
    delivered, failed = _deliver_due(ids, limit)
    return delivered, len(failed)


def _deliver_due(ids: Iterable[int] | None = None, limit: int = 100) -> tuple[int, list[int]]:
    """deliver(), with the ids of the mails that did not go."""
    now = clock.now()
    query = select(OutboxMail.id).where(OutboxMail.state == "queued", OutboxMail.next_attempt_at <= now)
    if ids is not None:
        query = query.where(OutboxMail.id.in_(list(ids)))
    while True:
        due = list(db.session.scalars(query.order_by(OutboxMail.id).limit(limit)))
        claimed = _claim(due, now) if due else []
        items = _drop_dead_mail(claimed, now)
        if items or not claimed:
            break  # a batch of dead codes only (after a long outage): on to the mail behind them
    if not items:
        db.session.commit()
        return 0, []
    errors = _send_and_record(items, now)
    return len(items) - len(errors), list(errors)


def _drop_dead_mail(items: list[OutboxMail], now: Any) -> list[OutboxMail]:
    """A sign-in code that can no longer be used is not sent (nor counted as a failure): its
    lifetime ran out while the relay was away, or a newer code replaced it, or its sign-in was
    used or voided (STILL_WANTED). After an outage the person gets the live code only, not a pile
    of dead ones that arrive after it and count as wrong tries when typed."""
    lifetime = timedelta(seconds=current_app.config["PORTAL_CODE_LIFETIME_SECONDS"])
    wanted = {template: still_wanted([item.id for item in items if item.template == template])
              for template, still_wanted in STILL_WANTED.items() if any(item.template == template for item in items)}
    kept = []
    for item in items:
        if item.template == "login_code" and now >= item.created_at + lifetime:
            body, why = NOT_SENT_SECRET, "the code expired before the mail could be delivered"
        elif item.template in wanted and item.id not in wanted[item.template]:
            body, why = NOT_WANTED_SECRET, ("no longer wanted: a newer code replaced it, or its sign-in was "
                                            "used or voided")
        else:
            kept.append(item)
            continue
        values = {"body_text": body, "body_html": ""} if item.template in SECRET_TEMPLATES else {}
        db.session.execute(_RECORD_ATTEMPT, {"mail_id": item.id, "state": "outdated", "last_error": why, **values})
    db.session.commit()
    return kept


def _send_and_record(items: Sequence[OutboxMail | QueuedMail], now: Any) -> dict[int, smtp.Failure]:
    """Send, then record each outcome in one transaction; returns the errors by id.

    While the relay is unreachable or says "later", a mail is tried again and again (at most an
    hour apart) until it goes; only a relay's refusal for good, PORTAL_MAIL_MAX_ATTEMPTS times,
    gives it up, with an audit entry (`mail.failed`)."""
    backend = current_app.config["PORTAL_MAIL_BACKEND"]
    errors = _send_smtp(items) if backend == "smtp" else _keep_local(items)
    max_attempts = current_app.config["PORTAL_MAIL_MAX_ATTEMPTS"]
    done_state = "sent" if backend == "smtp" else "kept"
    for item in items:
        attempts = item.attempts + 1
        if item.id in errors:
            failure = errors[item.id]
            refusals = item.refusals + (1 if failure.permanent else 0)
            given_up = failure.permanent and refusals >= max_attempts
            values: dict[str, Any] = {
                "attempts": attempts,
                "refusals": refusals,
                "last_error": failure.text[:500],
                "next_attempt_at": now + _backoff(attempts),
                "retry_at": now + _backoff(attempts),
                "state": "failed" if given_up else "queued",
            }
            if given_up:
                _record_given_up(item, failure)
            # The operator's only sign of an outage while serving (the mail's address stays out of the log).
            log.warning("mail %d not delivered (try %d, %s): %s", item.id, attempts,
                        "given up" if given_up else "queued for another try", failure.text[:200])
        else:
            values = {"attempts": attempts, "state": done_state, "sent_at": now, "last_error": ""}
            if done_state == "sent" and item.template in SECRET_TEMPLATES:
                values.update(body_text=DELIVERED_SECRET, body_html="")
        # Conditional on still being queued, so two flushers never both count one mail.
        db.session.execute(_RECORD_ATTEMPT, {"mail_id": item.id, **values})
    db.session.commit()
    return errors


def deliver_now(ids: Iterable[int]) -> set[int]:
    """Deliver mail this session queued and committed, and return the ids delivered: what this
    request holds is sent without reading it back (the sign-in code path); the rest is claimed."""
    id_list = sorted(set(ids))
    if current_app.config["PORTAL_MAIL_BACKEND"] == "smtp" and smtp.relay_resting():
        release(id_list)  # the scheduler's next run tries the relay; this request does not wait on it
        return set()
    known = db.session.info.get(_ITEMS, {})
    held = [known.pop(item_id) for item_id in id_list if item_id in known and known[item_id].leased]
    others = [item_id for item_id in id_list if item_id not in {item.id for item in held}]
    if db.session.in_transaction():
        db.session.commit()  # never hold the write lock while talking to SMTP
    delivered: set[int] = set()
    with smtp.request_budget():
        if held:
            held = _still_held(held)
            errors = _send_and_record(held, clock.now()) if held else {}
            delivered.update(item.id for item in held if item.id not in errors)
        if others:
            deliver(others)
            delivered.update(item_id for item_id in others if was_delivered(item_id))
    return delivered


def deliver_first(first_id: int, others: Iterable[int]) -> bool:
    """Deliver one mail before the rest the request queued, each part in its own time budget:
    alert mails queued in the same step as a sign-in code (a sign-in from outside the allowed
    networks) must not use the code's time up on a slow relay. Whether the first one went."""
    sent = first_id in deliver_now({first_id})
    rest = set(others) - {first_id}
    if rest:
        deliver_now(rest)
    return sent


def _still_held(items: list[QueuedMail]) -> list[QueuedMail]:
    """The request's mail it may still send itself. Its hold is renewed when it could run out while
    they are sent (a long request, a slow relay): a hold that ran out may already have been
    claimed by the scheduler, and such a mail is left to it."""
    now = clock.now()
    needed = timedelta(seconds=30 + current_app.config["PORTAL_MAIL_TIMEOUT_SECONDS"] * len(items))
    if all(item.leased_until is not None and item.leased_until - now > needed for item in items):
        return items
    kept = []
    for item in items:
        renewed = db.session.execute(_RENEW_HOLD, {"mail_id": item.id, "held_until": item.leased_until,
                                                   "next_attempt_at": now + LEASE}).rowcount
        if renewed:
            item.leased_until = now + LEASE
            kept.append(item)
    db.session.commit()
    return kept


def _record_given_up(item: OutboxMail | QueuedMail, failure: smtp.Failure) -> None:
    from webapp.audit import service as audit  # the audit log does not depend on mail

    audit.record("mail.failed", origin=audit.SYSTEM, target=item.recipient, mail_id=item.id,
                 template=item.template, error=failure.text[:200])


def deliver_committed(cap: int = 20) -> tuple[int, int]:
    """After a request commits: deliver what it queued, unless there is a lot (then the
    scheduler takes it at once). Returns (delivered, not delivered yet)."""
    ids = take_committed_ids()
    if not ids:
        return 0, 0
    if len(ids) > cap:
        release(ids)
        return 0, 0
    delivered = deliver_now(ids)
    return len(delivered), len(set(ids) - delivered)


def deliver_committed_safely() -> int:
    """deliver_committed after a request's change is committed: whatever goes wrong here, that
    change and its answer stand, and what was not sent stays queued for the scheduler.
    Returns how many of the request's mails have not gone yet."""
    try:
        return deliver_committed()[1]
    except Exception:  # a busy database while recording, a relay that broke the protocol...
        log.exception("mail delivery after the request failed; the scheduler retries it")
        try:
            db.session.rollback()
        except Exception:
            log.exception("rollback failed")
        return 1


def release(ids: list[int]) -> None:
    """Let the scheduler's next run send mail that this request queued but will not send (only
    what it still holds: a hold that ran out may be another sender's claim by now)."""
    items = db.session.info.get(_ITEMS, {})
    now = clock.now()
    for item_id in ids:
        item = items.pop(item_id, None)
        if item is not None and item.leased_until is not None:
            db.session.execute(_RENEW_HOLD, {"mail_id": item_id, "held_until": item.leased_until,
                                             "next_attempt_at": now})
    db.session.commit()


def was_delivered(item_id: int) -> bool:
    return db.session.scalar(select(OutboxMail.state).where(OutboxMail.id == item_id)) in {"sent", "kept"}
