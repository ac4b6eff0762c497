"""URL converters and input rules that hold on every database.

PostgreSQL refuses integers beyond its column range and NUL characters in
text, where SQLite silently accepts both: a forged ID or a NUL byte must be a
clear 404/400, never a database error.
"""
from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from webapp.listing import MAX_ID


class BoundedIntegerConverter(IntegerConverter):
    # ASCII digits only, without leading zeros: Werkzeug's \d also takes "１" or "١" as a digit,
    # and "0001" is 1 too: one object under many paths.
    regex = r"0|[1-9][0-9]*"

    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class UnreadableForm(BadRequest):
    """A form the portal cannot take as text: the error page says which way (`detail`)."""

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail


def _undecodable(body: bytes) -> bool:
    """Werkzeug keeps a percent-escape that is not UTF-8 (a Shift_JIS form) as literal text,
    where the fields' own check for U+FFFD never sees it."""
    for pair in body.split(b"&"):
        for part in pair.split(b"=", 1):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return True
    return False


def install(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.before_request
    def refuse_nul_in_path() -> None:
        if "\x00" in request.path:
            abort(404)

    @app.before_request
    def refuse_unreadable_forms() -> None:
        try:  # a raw byte that is no UTF-8 (another WSGI server may pass it) breaks request.args
            request.query_string.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableForm("encoding") from None
        if b"%" in request.query_string and _undecodable(request.query_string):  # "?q=%FF": a search for "�"
            raise UnreadableForm("encoding")
        if request.method not in ("POST", "PUT", "PATCH"):
            return
        if request.mimetype == "application/x-www-form-urlencoded" and _undecodable(request.get_data(cache=True)):
            raise UnreadableForm("encoding")
        if request.files:  # no page takes a file: one in place of a text field would reach the services
            raise UnreadableForm("files")
