"""URL converters and input rules that hold on every database.

PostgreSQL refuses integers beyond its column range and NUL characters in
text, where SQLite silently accepts both: a forged ID or a NUL byte must be a
clear 404/400, never a database error.
"""
from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class BoundedIntegerConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.before_request
    def refuse_nul_in_path() -> None:
        if "\x00" in request.path:
            abort(404)
