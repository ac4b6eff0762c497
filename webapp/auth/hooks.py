"""Checks other features add to the sign-in (open hours, network rules...).

Each check gets the user whose password was right and the origin; it returns
None to let them through or a message that the login page shows instead.
"""
from __future__ import annotations

from typing import Callable

from webapp.audit.service import Origin
from webapp.auth.models import User
from webapp.extensions import db

SignInCheck = Callable[[User, Origin], str | None]
SIGN_IN_CHECKS: list[SignInCheck] = []

# Told when a sign-in completes (user, the new session's id, origin), inside its transaction:
# detectors add their alerts to it.
SignedInObserver = Callable[[User, str, Origin], None]
SIGNED_IN: list[SignedInObserver] = []
# Told when a password is right, before the code is sent (user, "", origin), inside the step's
# transaction: where a sign-in comes from matters before whoever holds the password gets further.
PASSWORD_ACCEPTED: list[SignedInObserver] = []
# Told when a signed-in session's cookie comes from another browser than the one that signed in
# (user id, the request's origin); the session is ended either way, in the same transaction.
SESSION_ELSEWHERE: list[Callable[[int, Origin], None]] = []


def first_refusal(user: User, origin: Origin) -> str | None:
    """The first check's refusal, committed with the audit entries the checks wrote."""
    for check in SIGN_IN_CHECKS:
        message = check(user, origin)
        if message:
            db.session.commit()
            return message
    return None
