"""Domain errors of the application flows; each carries a message a person can act on."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from webapp.auth.models import User


class ApplicationError(Exception):
    def __init__(self, message: Any = "") -> None:
        super().__init__(str(message))
        self.message = message


class NotFound(ApplicationError):
    """No such application, or one of another organisation (same answer, so IDs do not leak)."""


class Forbidden(ApplicationError):
    """Visible, but this person may not do this (four-eyes, needs a system administrator)."""


class AlreadyDecided(ApplicationError):
    """Somebody else decided (or withdrew) it first."""


class Invalid(ApplicationError):
    """The application as filled in cannot be accepted; nothing was changed."""

    def __init__(self, messages: Any) -> None:
        messages = list(messages) if isinstance(messages, (list, tuple)) else [messages]
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = messages


class AddressTaken(Invalid):
    """The address belongs to another open account or to a pending application of this
    organisation. Asked only of an otherwise complete application, and audited: telling whether
    an address is in use must not be a silent probe."""

    def __init__(self, messages: Any, email: str) -> None:
        super().__init__(messages)
        self.email = email


class UnknownTarget(Invalid):
    """The user ID names nobody of the applicant's organisation: a typo, or another organisation's
    person (the message is the same for both; the audit entry keeps what was tried)."""

    def __init__(self, messages: Any, login_id: str) -> None:
        super().__init__(messages)
        self.login_id = login_id


class AddressHeld(Invalid):
    """At approval: another open account holds the proposed address. `withheld` when that account
    is of another organisation and the approver is not a system administrator: the message then
    does not say why (see execute.py), and the caller records the refusal and alerts instead."""

    def __init__(self, messages: Any, holder: User | None, withheld: bool) -> None:
        super().__init__(messages)
        self.holder = holder
        self.withheld = withheld
