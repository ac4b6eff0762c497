"""Dormant accounts: the `portal accounts` command and the scheduled sweep."""
from __future__ import annotations

import time

from flask import Flask

from webapp import scheduler
from webapp.dormancy.cli import accounts_group

JOB_NAME = "dormancy"
_SWEEP_EVERY_SECONDS = 3600.0
_last_sweep: dict[int, float] = {}


def _sweep_job(app: Flask) -> object:
    """Hourly is plenty for a rule counted in days; the sweep itself is idempotent."""
    from webapp.dormancy.service import sweep

    now = time.monotonic()
    if now - _last_sweep.get(id(app), -_SWEEP_EVERY_SECONDS) < _SWEEP_EVERY_SECONDS:
        return None
    _last_sweep[id(app)] = now
    return sweep()


def init_app(app: Flask) -> None:
    app.cli.add_command(accounts_group)
    if all(name != JOB_NAME for name, _job in scheduler.JOBS):
        scheduler.JOBS.append((JOB_NAME, _sweep_job))
