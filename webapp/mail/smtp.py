"""The wire side of outgoing mail: the message bytes and the SMTP connection.

Sign-in codes are sent while the user waits, so both are kept cheap:

- the message is written directly (two base64 parts, RFC 2047 headers): the standard
  library's email classes took ~0.9 ms per mail, more than the SMTP conversation;
- each server thread keeps its SMTP connection for SMTP_REUSE_SECONDS after a
  delivery; the next delivery checks it with NOOP first (unless it was used within
  SMTP_TRUST_SECONDS) and falls back to a fresh connection (with the same bounded
  timeout) whenever it is not usable.

A relay that is down, hangs or crawls must not hold the people who wait: setting up a
connection and each mail get PORTAL_MAIL_TIMEOUT_SECONDS in all (not per step: a relay
answering every step just in time held an approval for 88 s), and after a relay failed, the
requests of the next RELAY_REST_SECONDS leave their mail to the scheduler instead of waiting on
it again (see relay_resting).
"""
from __future__ import annotations

import base64
import secrets
import smtplib
import ssl
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any, Iterator, Protocol

from flask import current_app
from flask_mail import Connection

SMTP_REUSE_SECONDS = 10.0
# Used this recently, the connection is taken as it is (no NOOP round trip): if the server has
# dropped it after all, sending fails at MAIL FROM and the mail goes on a fresh connection.
SMTP_TRUST_SECONDS = 2.0
RELAY_REST_SECONDS = 60.0
# How a failure begins when the relay could not be reached or went away (the operator's commands say so).
UNREACHABLE = "relay unreachable: "


class BadHeader(ValueError):
    """A line break in a header field: never sent (header injection)."""


class Mail(Protocol):
    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificate and host name checked: smtplib's own default checks neither, and whoever sits
    between the portal and the mail server would read every sign-in code and activation link."""
    return ssl.create_default_context(cafile=ca_file or None)


# When the current step of the conversation (setting up, or one mail) must be over.
_DEADLINE: ContextVar[float | None] = ContextVar("sekisho_smtp_deadline", default=None)


# When a request's own sending must be over, however many mails it has (None: no such bound).
_BUDGET_END: ContextVar[float | None] = ContextVar("sekisho_smtp_budget_end", default=None)


def _start_step() -> None:
    step_end = time.monotonic() + current_app.config["PORTAL_MAIL_TIMEOUT_SECONDS"]
    budget_end = _BUDGET_END.get()
    _DEADLINE.set(step_end if budget_end is None else min(step_end, budget_end))


@contextmanager
def request_budget() -> Iterator[None]:
    """A request sends its mail within PORTAL_MAIL_TIMEOUT_SECONDS in all: twelve mails to a relay
    taking 0.75 s each held a suspension's answer 12 s. What is left goes with the scheduler."""
    token = _BUDGET_END.set(time.monotonic() + current_app.config["PORTAL_MAIL_TIMEOUT_SECONDS"])
    try:
        yield
    finally:
        _BUDGET_END.reset(token)


def _time_left() -> float:
    deadline = _DEADLINE.get()
    left = current_app.config["PORTAL_MAIL_TIMEOUT_SECONDS"] if deadline is None else deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the mail server took longer than PORTAL_MAIL_TIMEOUT_SECONDS")
    return float(left)


class _Bounded(smtplib.SMTP):
    """Every write and read waits only as long as the current step has left."""

    def send(self, s: Any) -> None:
        self._arm()
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        self._arm()
        return super().getreply()

    def _arm(self) -> None:
        if self.sock is not None and _DEADLINE.get() is not None:
            self.sock.settimeout(_time_left())


class _BoundedSSL(_Bounded, smtplib.SMTP_SSL):
    pass


class _TimedConnection(Connection):
    """Flask-Mail's connection with a bounded time, so a hanging server cannot hang a login,
    and with verified TLS."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = _time_left()
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if self.mail.use_ssl:
            host = _BoundedSSL(self.mail.server, self.mail.port, timeout=timeout,
                               context=tls_context(current_app.config["PORTAL_MAIL_CA_FILE"]))
        else:
            host = _Bounded(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls(context=tls_context(current_app.config["PORTAL_MAIL_CA_FILE"]))
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


# --- the message -------------------------------------------------------------

def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else (address or value)


_CRLF = "\r\n"


def _header(name: str, value: str) -> str:
    if value.isascii() and len(value) < 70:
        return f"{name}: {value}"  # longer ones are folded by Header
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=_CRLF)}"


def _part(content_type: str, body: str) -> bytes:
    # base64 keeps every line short and 7-bit, whatever the text: no server needs 8BITMIME.
    return (f"Content-Type: {content_type}; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .encode("ascii") + base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n"))


def build_message(sender: str, item: Mail) -> bytes:
    """Text and html alternatives in UTF-8, with CRLF line ends as SMTP wants them."""
    for value in (sender, item.recipient, item.subject):
        if "\r" in value or "\n" in value:
            raise BadHeader("line break in a header")
    # The sender's domain: make_msgid() would otherwise resolve this host's name on every mail.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "sekisho.invalid"
    headers = [
        _header("Subject", item.subject),
        f"From: {_address(sender)}",
        f"To: {_address(item.recipient)}",
        f"Date: {formatdate(localtime=True)}",
        f"Message-ID: {make_msgid(domain=domain)}",
        "MIME-Version: 1.0",
    ]
    text = _part("text/plain", item.body_text)
    if not item.body_html:
        return "\r\n".join(headers).encode("ascii") + b"\r\n" + text
    # A random boundary cannot occur in base64 text (it has "=" and "_").
    boundary = f"=_sekisho_{secrets.token_hex(16)}".encode("ascii")
    headers.append(f'Content-Type: multipart/alternative;\r\n boundary="{boundary.decode()}"')
    return b"".join([
        "\r\n".join(headers).encode("ascii"), b"\r\n\r\n",
        b"--", boundary, b"\r\n", text, b"\r\n",
        b"--", boundary, b"\r\n", _part("text/html", item.body_html), b"\r\n",
        b"--", boundary, b"--\r\n",
    ])


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


@dataclass(frozen=True)
class Failure:
    """Why a mail did not go. Permanent: the relay refused it for good (a 5xx answer) or it
    cannot be written at all; otherwise the relay was unreachable or said "later" (4xx)."""

    text: str
    permanent: bool


def _refusal(exc: Exception) -> Failure:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return Failure(f"{type(exc).__name__}: {exc}", bool(codes) and min(codes) >= 500)
    code = getattr(exc, "smtp_code", 0)
    return Failure(f"{type(exc).__name__}: {exc}", isinstance(code, int) and code >= 500)


def _send_on(host: smtplib.SMTP, sender: str, items: list[Mail], errors: dict[int, Failure], done: set[int]) -> None:
    """Refusals of one mail are that mail's error; a lost connection raises (the rest unsent)."""
    envelope_from = parseaddr(sender)[1] or sender
    for item in items:
        _start_step()
        try:
            data = build_message(sender, item)
        except (BadHeader, ValueError) as exc:  # an address or header SMTP cannot carry (UnicodeError is one)
            errors[item.id] = Failure(f"{type(exc).__name__}: {exc}", permanent=True)
            done.add(item.id)
            continue
        try:
            host.sendmail(envelope_from, [parseaddr(item.recipient)[1] or item.recipient], data)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
            errors[item.id] = _refusal(exc)
        done.add(item.id)


def send_all(items: list[Mail]) -> dict[int, Failure]:
    """Send each item; return why those that failed did."""
    key = _server_key()
    try:
        errors = _send_all(key, items)
    finally:
        _DEADLINE.set(None)
    return errors


def _send_all(key: tuple[Any, ...], items: list[Mail]) -> dict[int, Failure]:
    errors: dict[int, Failure] = {}
    done: set[int] = set()
    sender = current_app.config["PORTAL_MAIL_SENDER"]
    _start_step()
    host = _kept_connection(key)
    if host is not None:
        try:
            _send_on(host, sender, items, errors, done)
            _kept.connection = _Kept(key, host, time.monotonic())
            _resting_until().pop(key, None)
            return errors
        except (smtplib.SMTPException, OSError):
            _close(host)  # went away (after the NOOP, or unchecked): the rest goes on a fresh connection
    rest = [item for item in items if item.id not in done]
    host = None
    try:
        _start_step()
        host = _TimedConnection(current_app.extensions["mail"]).configure_host()
        _send_on(host, sender, rest, errors, done)
    except (smtplib.SMTPException, OSError) as exc:
        if host is not None:
            _close(host)
        # Not a refusal of the mail: the relay did not take it (down, hanging, gone mid-way). An
        # answer to connecting (a 421 greeting, failed authentication) is the relay's answer.
        said = "" if isinstance(exc, smtplib.SMTPResponseException) else UNREACHABLE
        for item in rest:
            if item.id not in done:
                errors[item.id] = Failure(f"{said}{type(exc).__name__}: {exc}", permanent=False)
        _resting_until()[key] = time.monotonic() + RELAY_REST_SECONDS
        return errors
    _resting_until().pop(key, None)
    _kept.connection = _Kept(key, host, time.monotonic())
    return errors


def _resting_until() -> dict[tuple[Any, ...], float]:
    """Relay (by its settings) -> until when requests leave their mail to the scheduler; kept
    per application, in this process only: another process learns of an outage on its own."""
    return current_app.extensions.setdefault("sekisho.relay_resting_until", {})  # type: ignore[no-any-return]


def relay_resting() -> bool:
    """Whether the relay failed within RELAY_REST_SECONDS: a request then queues its mail without
    waiting on the relay again, and the scheduler (or `portal mail flush`), which tries it anyway,
    ends the rest as soon as a delivery goes through."""
    until = _resting_until().get(_server_key())
    return until is not None and time.monotonic() < until
