"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""
from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    to: list[str]
    message: EmailMessage
    raw: bytes = b""

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""


@dataclass
class _Handler:
    mails: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append(ReceivedMail(list(envelope.rcpt_tos), message, envelope.content))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self, port: int | None = None, **server_options: Any) -> None:
        """`server_options` go to aiosmtpd (TLS, STARTTLS required, authentication)."""
        self.handler = _Handler()
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **server_options)

    @classmethod
    def on_port(cls, port: int) -> "SmtpSink":
        """A server on the port another one used: a mail server restarted."""
        return cls(port)

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def mails(self) -> list[ReceivedMail]:
        with self.handler.lock:
            return list(self.handler.mails)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.mails.clear()

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.mails if address in m.to]

    def last_to(self, address: str, timeout: float = 5.0) -> ReceivedMail:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no mail to {address} arrived; got {[m.to for m in self.mails]}")

    def code_for(self, address: str, timeout: float = 5.0) -> str:
        """The code of the newest code mail to the address: alert mails of the same sign-in (to a
        person who is both signing in and told of alerts) leave after it."""
        deadline = time.monotonic() + timeout
        while True:
            mails = self.to(address)
            for mail in reversed(mails):
                match = re.search(r"^\s+(\d{6})\s*$", mail.text, re.MULTILINE)
                if match:
                    return match.group(1)
            if time.monotonic() >= deadline:
                raise AssertionError(f"no 6-digit code in the mail to {address}: {[m.text for m in mails]!r}")
            time.sleep(0.02)

    def link_for(self, address: str, path_fragment: str = "/activate/") -> str:
        mail = self.last_to(address)
        match = re.search(r"(https?://\S*" + re.escape(path_fragment) + r"\S+)", mail.text)
        assert match, f"no link in mail: {mail.text!r}"
        return match.group(1)
