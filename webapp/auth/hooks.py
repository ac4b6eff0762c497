"""Checks other features add to the sign-in (open hours, network rules...).

Each check gets the user whose password was right and the origin; it returns
None to let them through or a message that the login page shows instead.
"""
from __future__ import annotations

from typing import Callable

from webapp.audit.service import Origin
from webapp.auth.models import User

SignInCheck = Callable[[User, Origin], str | None]
SIGN_IN_CHECKS: list[SignInCheck] = []


def first_refusal(user: User, origin: Origin) -> str | None:
    for check in SIGN_IN_CHECKS:
        message = check(user, origin)
        if message:
            return message
    return None
