"""Races between two requests that only a server running writers side by side can show."""
from __future__ import annotations

import threading
from typing import Any, Callable

import pytest


def needs_overlapping_writers(app: Any) -> None:
    """Skip on SQLite: it runs one writing transaction at a time (BEGIN IMMEDIATE), so the
    other request's commit cannot land in the middle of this one; PostgreSQL lets it."""
    if not app.config["PORTAL_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("SQLite runs one writing transaction at a time: the two cannot overlap there")


def same_browser(app: Any, client: Any) -> Any:
    """A second connection of one browser (its cookies): a double click, a second tab."""
    other = app.test_client()
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return other


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread, released together; their results in order."""
    from webapp.extensions import db

    db.session.rollback()
    db.session.close()  # the test thread must not hold SQLite's write lock while the threads run
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        start.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
