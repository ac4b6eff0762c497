"""Domain errors of the business-hours feature; each carries a message a person can act on."""
from __future__ import annotations


class HoursError(ValueError):
    """Refused: ``str(error)`` is the translated message to show."""

    fields: tuple[str, ...] = ()  # the inputs of the form the refusal is about


class InvalidClosure(HoursError):
    """A closure with an impossible span or a missing reason."""

    def __init__(self, message: str, fields: tuple[str, ...] = ("start", "end")) -> None:
        super().__init__(message)
        self.fields = fields


class ClosureNotFound(HoursError):
    """No closure with that id (or it is already cancelled)."""


class InvalidProfile(HoursError):
    """A profile name or weekly definition that cannot be used."""

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields
