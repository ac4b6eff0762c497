"""Domain errors of organisation and account administration."""
from __future__ import annotations

from typing import Any


class OrgError(Exception):
    def __init__(self, messages: Any = ()) -> None:
        messages = list(messages) if isinstance(messages, (list, tuple)) else [messages]
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = messages


class NotFound(OrgError):
    """Unknown, or outside what this person may see (same answer, so IDs do not leak)."""


class Invalid(OrgError):
    """Refused with a reason; nothing was changed."""
