"""Monthly access reviews: the pages, their navigation entry, `portal reviews` and the hourly reminder."""
from __future__ import annotations

import time

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp import scheduler, ui
from webapp.review.cli import reviews_group
from webapp.review.routes import make_blueprint

JOB_NAME = "reviews"
_RUN_EVERY_SECONDS = 3600.0
_last_run: dict[int, float] = {}


def _remind_job(app: Flask) -> object:
    """Hourly: opens the month's reviews soon after midnight on the 1st; reminding is once a day anyway."""
    from webapp.review.reminders import remind

    now = time.monotonic()
    if now - _last_run.get(id(app), -_RUN_EVERY_SECONDS) < _RUN_EVERY_SECONDS:
        return None
    _last_run[id(app)] = now
    return remind()


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    app.cli.add_command(reviews_group)
    ui.add_nav("reviews.index", _l("Access reviews"), "sysadmin", "responsible")
    if all(name != JOB_NAME for name, _job in scheduler.JOBS):
        scheduler.JOBS.append((JOB_NAME, _remind_job))
