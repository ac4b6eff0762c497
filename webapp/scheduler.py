"""Periodic work inside the single-process deployment (`portal serve`); `portal jobs run` runs every job once for cron."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from flask import Flask

from webapp.database import DatabaseFileLost

log = logging.getLogger(__name__)

# Features append (name, job); each job runs inside an app context and commits its own work.
JOBS: list[tuple[str, Callable[[Flask], object]]] = []


class Incomplete(str):
    """What a job returns when it ran but could not do all of its work (the relay refused mail):
    `portal jobs run` then fails, so that cron's own alerting sees an outage."""


def _deliver_mail(_app: Flask) -> object:
    from webapp.mail import outbox

    delivered, failed = outbox.deliver()
    # Incomplete as long as mail waits, also on the runs while it waits out its back-off (they do
    # not try it): cron's `portal jobs run` must not say "done" every other time during an outage.
    left = outbox.backlog()
    if left.waiting:
        return Incomplete(f"still queued {left.waiting} ({left.reason})")
    if failed:
        return Incomplete(f"given up {failed}: the relay refused them for good (audit entries mail.failed)")
    return delivered, failed


def _prune_sessions(app: Flask) -> object:
    from webapp.auth import sessions
    from webapp.extensions import db

    pruned = sessions.prune_expired(app)
    db.session.commit()
    return pruned


JOBS.extend([("mail", _deliver_mail), ("sessions", _prune_sessions)])


def add_job(name: str, job: Callable[[Flask], object], every_seconds: float = 0) -> None:
    """Register a feature's job once (init_app runs for every app a process builds); with
    `every_seconds` it runs at most that often per app, however often the scheduler ticks."""
    if any(existing == name for existing, _job in JOBS):
        return
    JOBS.append((name, _throttled(job, every_seconds) if every_seconds else job))


def _throttled(job: Callable[[Flask], object], seconds: float) -> Callable[[Flask], object]:
    last_run: dict[int, float] = {}

    def run(app: Flask) -> object:
        now = time.monotonic()
        if now - last_run.get(id(app), -seconds) < seconds:
            return None
        last_run[id(app)] = now
        return job(app)

    return run


def run_once(app: Flask) -> dict[str, str]:
    """Run every job; returns what went wrong, by job name (each also logged)."""
    failed: dict[str, str] = {}
    for name, job in JOBS:
        with app.app_context():
            try:
                result = job(app)
            except DatabaseFileLost as lost:  # logged once where it was found, not by every job of every run
                failed[name] = f"failed: {lost}"
                continue
            except Exception as error:  # one failing job must not stop the others
                log.exception("scheduled job %s failed", name)
                failed[name] = f"failed: {type(error).__name__} (see the log above)"
                continue
            if isinstance(result, Incomplete):
                failed[name] = f"incomplete: {result}"
    return failed


def start(app: Flask) -> threading.Thread:
    interval = app.config["PORTAL_SCHEDULER_INTERVAL_SECONDS"]
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            run_once(app)

    thread = threading.Thread(target=loop, name="sekisho-scheduler", daemon=True)
    thread.start()
    app.extensions["sekisho.scheduler_stop"] = stop
    return thread
