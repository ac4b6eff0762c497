"""The wire side of outgoing mail: the message bytes and the SMTP connection.

Sign-in codes are sent while the user waits, so both are kept cheap:

- the message is built with the standard library's compat32 email classes;
- each server thread keeps its SMTP connection for SMTP_REUSE_SECONDS after a
  delivery; the next delivery checks it with NOOP first (unless it was used within
  SMTP_TRUST_SECONDS) and falls back to a fresh connection (with the same bounded
  timeout) whenever it is not usable.
"""
from __future__ import annotations

import secrets
import smtplib
import threading
import time
from dataclasses import dataclass
from email.header import Header
from email.policy import compat32
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any, Protocol

from flask import current_app
from flask_mail import Connection

SMTP_REUSE_SECONDS = 10.0
# Used this recently, the connection is taken as it is (no NOOP round trip): if the server has
# dropped it after all, sending fails at MAIL FROM and the mail goes on a fresh connection.
SMTP_TRUST_SECONDS = 2.0


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

# SMTP wants CRLF line ends; smtplib leaves bytes as they are.
_WIRE = compat32.clone(linesep="\r\n")


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else (address or value)


def build_message(sender: str, item: Mail) -> bytes:
    """Text and html alternatives in UTF-8, through the standard library's compat32 generator.

    Flask-Mail's Message goes through the modern header registry, which costs
    several milliseconds per mail on the sign-in path; the bytes are equivalent.
    """
    for value in (sender, item.recipient, item.subject):
        if "\r" in value or "\n" in value:
            raise BadHeader("line break in a header")
    text = MIMEText(item.body_text, "plain", "utf-8")
    message: MIMEText | MIMEMultipart = text
    if item.body_html:
        # A random boundary of our own: the generator would otherwise compile a regular
        # expression per mail to make sure its guess does not occur in the text.
        message = MIMEMultipart("alternative", boundary=f"=_sekisho_{secrets.token_hex(16)}")
        message.attach(text)
        message.attach(MIMEText(item.body_html, "html", "utf-8"))
    message["Subject"] = item.subject if item.subject.isascii() else Header(item.subject, "utf-8").encode()
    message["From"] = _address(sender)
    message["To"] = _address(item.recipient)
    message["Date"] = formatdate(localtime=True)
    # The sender's domain: make_msgid() would otherwise resolve this host's name on every mail.
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "sekisho.invalid")
    return message.as_bytes(policy=_WIRE)


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
    idle = time.monotonic() - kept.idle_since
    if kept.key == key and idle < SMTP_TRUST_SECONDS:
        return kept.host
    if kept.key == key and idle < SMTP_REUSE_SECONDS:
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
            _close(host)  # went away (after the NOOP, or unchecked): the rest goes on a fresh connection
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
