"""Monthly access reviews: the pages, their navigation entry, `portal reviews` and the hourly reminder."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp import scheduler, ui
from webapp.review.cli import reviews_group
from webapp.review.routes import make_blueprint

def _remind_job(_app: Flask) -> object:
    from webapp.review.reminders import remind

    return remind()


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    app.cli.add_command(reviews_group)
    ui.add_nav("reviews.index", _l("Access reviews"), "sysadmin", "responsible")
    # Hourly: opens the month's reviews soon after midnight on the 1st; reminding is once a day anyway.
    scheduler.add_job("reviews", _remind_job, every_seconds=3600)
