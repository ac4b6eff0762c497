"""The wire side of outgoing mail: the message bytes and the SMTP connection.

Sign-in codes are sent while the user waits, so both are kept cheap:

- the message is written directly (the layout Flask-Mail produced: multipart/mixed
  around text + html alternatives, UTF-8, 8bit) instead of through the email
  package's generator, which costs more than a millisecond per mail;
- each server thread keeps its SMTP connection for SMTP_REUSE_SECONDS after a
  delivery; the next delivery checks it with NOOP first and falls back to a fresh
  connection (with the same bounded timeout) whenever it is not usable.
"""
from __future__ import annotations

import random
import smtplib
import threading
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any, Iterable, Protocol

from flask import current_app
from flask_mail import Connection

SMTP_REUSE_SECONDS = 10.0
_CRLF = "\r\n"


class BadHeader(ValueError):
    """A line break in a header field: never sent (header injection)."""


class Mail(Protocol):
    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None


class _TimedConnection(Connection):
    """Flask-Mail's connection with a bounded timeout, so a hanging server cannot hang a login."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = current_app.config["PORTAL_MAIL_TIMEOUT_SECONDS"]
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


# --- the message -------------------------------------------------------------

def _header_text(value: str) -> str:
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep=_CRLF)


def _address(value: str) -> str:
    name, addr = parseaddr(value)
    if not name:
        return addr or value
    return formataddr((_header_text(name), addr))


def _boundary(bodies: Iterable[str]) -> str:
    while True:  # the email package's style; never a line of a body
        candidate = "=" * 15 + str(random.randrange(10**18, 10**19)) + "=="
        if not any(candidate in body for body in bodies):
            return candidate


def _wire_text(body: str) -> str:
    return body.replace("\r\n", "\n").replace("\r", "\n").replace("\n", _CRLF)


def _text_part(subtype: str, body: str) -> str:
    encoding = "7bit" if body.isascii() else "8bit"
    return (f'Content-Type: text/{subtype}; charset="utf-8"{_CRLF}MIME-Version: 1.0{_CRLF}'
            f"Content-Transfer-Encoding: {encoding}{_CRLF}{_CRLF}{_wire_text(body)}")


def build_message(sender: str, item: Mail) -> bytes:
    for value in (sender, item.recipient, item.subject):
        if "\r" in value or "\n" in value:
            raise BadHeader("line break in a header")
    headers = (f"Subject: {_header_text(item.subject)}{_CRLF}From: {_address(sender)}{_CRLF}"
               f"To: {_address(item.recipient)}{_CRLF}Date: {formatdate(localtime=True)}{_CRLF}"
               f"Message-ID: {make_msgid()}{_CRLF}")
    if not item.body_html:
        return _single_part(headers, item.body_text).encode("utf-8")
    outer, inner = _boundary([item.body_text, item.body_html]), _boundary([item.body_text, item.body_html])
    message = (
        f'Content-Type: multipart/mixed; boundary="{outer}"{_CRLF}MIME-Version: 1.0{_CRLF}{headers}{_CRLF}'
        f'--{outer}{_CRLF}Content-Type: multipart/alternative;{_CRLF} boundary="{inner}"{_CRLF}'
        f"MIME-Version: 1.0{_CRLF}{_CRLF}"
        f"--{inner}{_CRLF}{_text_part('plain', item.body_text)}{_CRLF}"
        f"--{inner}{_CRLF}{_text_part('html', item.body_html)}{_CRLF}"
        f"--{inner}--{_CRLF}{_CRLF}--{outer}--{_CRLF}"
    )
    return message.encode("utf-8")


def _single_part(headers: str, body: str) -> str:
    encoding = "7bit" if body.isascii() else "8bit"
    return (f'Content-Type: text/plain; charset="utf-8"{_CRLF}MIME-Version: 1.0{_CRLF}'
            f"Content-Transfer-Encoding: {encoding}{_CRLF}{headers}{_CRLF}{_wire_text(body)}")


# --- the connection ----------------------------------------------------------

@dataclass
class _Kept:
    key: tuple[Any, ...]
    host: smtplib.SMTP
    idle_since: float


_kept = threading.local()


def _server_key() -> tuple[Any, ...]:
    mail = current_app.extensions["mail"]
    return (mail.server, mail.port, mail.use_ssl, mail.use_tls, mail.username, mail.password,
            current_app.config["PORTAL_MAIL_TIMEOUT_SECONDS"])


def _close(host: smtplib.SMTP) -> None:
    try:
        host.close()
    except OSError:
        pass


def _kept_connection(key: tuple[Any, ...]) -> smtplib.SMTP | None:
    kept: _Kept | None = getattr(_kept, "connection", None)
    _kept.connection = None
    if kept is None:
        return None
    if kept.key == key and time.monotonic() - kept.idle_since < SMTP_REUSE_SECONDS:
        try:
            if kept.host.noop()[0] == 250:
                return kept.host
        except (smtplib.SMTPException, OSError):
            pass
    _close(kept.host)
    return None


def _send_on(host: smtplib.SMTP, sender: str, items: list[Mail], errors: dict[int, str], done: set[int]) -> None:
    """Refusals of one mail are that mail's error; a lost connection raises (the rest unsent)."""
    envelope_from = parseaddr(sender)[1] or sender
    for item in items:
        try:
            data = build_message(sender, item)
            host.sendmail(envelope_from, [parseaddr(item.recipient)[1] or item.recipient], data)
        except (BadHeader, smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
            errors[item.id] = f"{type(exc).__name__}: {exc}"
        done.add(item.id)


def send_all(items: list[Mail]) -> dict[int, str]:
    """Send each item; return the error text of those that failed."""
    errors: dict[int, str] = {}
    done: set[int] = set()
    sender = current_app.config["PORTAL_MAIL_SENDER"]
    key = _server_key()
    host = _kept_connection(key)
    if host is not None:
        try:
            _send_on(host, sender, items, errors, done)
            _kept.connection = _Kept(key, host, time.monotonic())
            return errors
        except (smtplib.SMTPException, OSError):
            _close(host)  # went away after the NOOP: the rest goes on a fresh connection
    rest = [item for item in items if item.id not in done]
    host = None
    try:
        host = _TimedConnection(current_app.extensions["mail"]).configure_host()
        _send_on(host, sender, rest, errors, done)
    except (smtplib.SMTPException, OSError) as exc:
        if host is not None:
            _close(host)
        for item in rest:
            if item.id not in done:
                errors[item.id] = f"{type(exc).__name__}: {exc}"
        return errors
    _kept.connection = _Kept(key, host, time.monotonic())
    return errors
