"""Dormant accounts: the `portal accounts` command and the scheduled sweep."""
from __future__ import annotations

from flask import Flask

from webapp import scheduler
from webapp.dormancy.cli import accounts_group


def _sweep_job(_app: Flask) -> object:
    from webapp.dormancy.service import sweep

    return sweep()


def init_app(app: Flask) -> None:
    app.cli.add_command(accounts_group)
    # Hourly is plenty for a rule counted in days; the sweep itself is idempotent.
    scheduler.add_job("dormancy", _sweep_job, every_seconds=3600)
