"""Password hashing (argon2id) and the NIST SP 800-63B-4 policy for a single-factor password."""
from __future__ import annotations

import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l


def normalise(password: str) -> str:
    """NFKC, as SP 800-63B asks, so the same password typed on any IME verifies."""
    return unicodedata.normalize("NFKC", password)


def _hasher() -> PasswordHasher:
    c = current_app.config
    key = (c["PORTAL_ARGON2_TIME_COST"], c["PORTAL_ARGON2_MEMORY_KIB"], c["PORTAL_ARGON2_PARALLELISM"])
    return _hasher_for(*key)


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


# Concurrent argon2 computations: one per two cores. Each holds a 19 MiB work area that glibc
# keeps for reuse, and fragmentation leaves two or three such areas per concurrent hash; with
# one per core, eight clients signing in on two cores drove the process from 125 to ~160 MB.
# The other cores keep serving pages while a password is hashed.
_ARGON2_SLOTS = threading.BoundedSemaphore(max((os.cpu_count() or 1) // 2, 1))


def hash_password(password: str) -> str:
    with _ARGON2_SLOTS:
        return _hasher().hash(normalise(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        with _ARGON2_SLOTS:
            return _hasher().verify(password_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: dict[tuple[int, int, int], str] = {}


def burn_verification_time(password: str) -> None:
    """Spend what a real verification costs, so unknown IDs answer as slowly as wrong passwords."""
    c = current_app.config
    key = (c["PORTAL_ARGON2_TIME_COST"], c["PORTAL_ARGON2_MEMORY_KIB"], c["PORTAL_ARGON2_PARALLELISM"])
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = _hasher().hash("sekisho-timing-equaliser")
    verify_password(_DUMMY_HASH[key], password)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


@dataclass(frozen=True)
class PolicyViolation:
    code: str
    message: str


def _is_repetitive(text: str) -> bool:
    """One short unit repeated ('aaaa…', 'abcabc…') is as good as that unit."""
    length = len(text)
    for size in range(1, min(length // 2, 8) + 1):
        if length % size == 0 and text[:size] * (length // size) == text:
            return True
    return False


def _is_sequential(text: str) -> bool:
    """'abcdef…', '987654…', and digit runs that wrap ('…7890123…')."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:])}
    if len(steps) == 1 and steps <= {1, -1}:
        return True
    if text.isascii() and text.isdigit():
        wrapped = {(int(b) - int(a)) % 10 for a, b in zip(text, text[1:])}
        return wrapped in ({1}, {9})
    return False


_PADDING = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def _is_padded_common(text: str) -> bool:
    """'password123456789', 'sunshine!!!!!!!!': a common password made long by digits or symbols
    around it, the first thing a guesser tries after the list itself. The core is judged as the
    whole password is: 'passwordpassword123' got through while 'passwordpassword' was refused."""
    core = _PADDING.sub("", text)
    return core != text and (core in _common_passwords() or _is_repetitive(core) or _is_sequential(core))


def check_policy(
    password: str, *, login_id: str = "", organisation_name: str = "", name: str = ""
) -> list[PolicyViolation]:
    """Every reason the password is refused; empty when it is acceptable."""
    c = current_app.config
    value = normalise(password)
    folded = value.casefold()
    problems: list[PolicyViolation] = []
    if "\x00" in value:
        problems.append(PolicyViolation("nul", str(_l("The password contains a character that cannot be used."))))
    if len(value) < c["PORTAL_PASSWORD_MIN_LENGTH"]:
        problems.append(PolicyViolation(
            "too_short",
            str(_l("The password must be at least %(n)d characters long.", n=c["PORTAL_PASSWORD_MIN_LENGTH"])),
        ))
    if len(value) > c["PORTAL_PASSWORD_MAX_LENGTH"]:
        problems.append(PolicyViolation(
            "too_long",
            str(_l("The password must be at most %(n)d characters long.", n=c["PORTAL_PASSWORD_MAX_LENGTH"])),
        ))
    stripped = folded.replace(" ", "")
    if folded in _common_passwords() or stripped in _common_passwords() or _is_repetitive(stripped) or _is_sequential(stripped):
        problems.append(PolicyViolation(
            "common", str(_l("This password is on a list of commonly used or easily guessed passwords."))
        ))
    elif _is_padded_common(stripped):
        problems.append(PolicyViolation(
            "padded_common", str(_l("A commonly used password with digits or symbols added before or after it is "
                                    "as easy to guess; choose words of your own."))
        ))
    if login_id and login_id.casefold() in folded:
        problems.append(PolicyViolation("contains_login_id", str(_l("The password must not contain your user ID."))))
    org = normalise(organisation_name).casefold().replace(" ", "")
    if org and len(org) >= 3 and org in stripped:
        problems.append(PolicyViolation(
            "contains_organisation", str(_l("The password must not contain your organisation's name."))
        ))
    return problems
