"""Password hashing (argon2id) and the NIST SP 800-63B-4 policy for a single-factor password."""
from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections import Counter
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


# Passphrases published as examples, which guessers therefore try first; the zxcvbn list,
# drawn from leaked passwords, lacks them.
_FAMOUS_EXAMPLES = ("correcthorsebatterystaple", "thequickbrownfoxjumpsoverthelazydog", "loremipsumdolorsitamet")

# The service's own name is among the first words a guesser tries here (SP 800-63B's
# context-specific words): in romaji, kanji, hiragana and katakana, as users may type it.
_SERVICE_NAMES = ("sekisho", "関所", "せきしょ", "セキショ")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(_FAMOUS_EXAMPLES)


@dataclass(frozen=True)
class PolicyViolation:
    code: str
    message: str


def _is_repetitive(text: str) -> bool:
    """One unit repeated ('aaaa…', 'abcabc…', 'Password1Password1') is as good as that unit."""
    length = len(text)
    for size in range(1, length // 2 + 1):
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


def _is_nearly_one_character(text: str) -> bool:
    """'aaaaaaaaaaaaaab', '111111111111112': too few distinct characters, or one of them making
    up most of the password, leave almost nothing to guess beyond the length."""
    counts = Counter(text)
    return bool(text) and (len(counts) < 5 or 2 * counts.most_common(1)[0][1] > len(text))


def _is_keyboard_walk(text: str) -> bool:
    """'qwertyuiopasdfghjkl', 'zaq12wsxcde34rfv', '1q2w3e4r5t6y7u8i': runs of neighbouring keys
    on a QWERTY keyboard, which guessers enumerate. zxcvbn finds the runs (three keys or more);
    they must cover four fifths of the password, so a short 'asdf' inside a phrase is fine."""
    from zxcvbn.matching import GRAPHS, spatial_match_helper

    walked: set[int] = set()
    for match in spatial_match_helper(text, GRAPHS["qwerty"], "qwerty"):
        walked.update(range(match["i"], match["j"] + 1))
    # Spaces break a run and count for neither side: 'qwerty asdfgh zxcvbn' is a walk.
    keys = len(text) - text.count(" ")
    return keys > 0 and 5 * len(walked) >= 4 * keys


_PADDING = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def _is_padded_common(text: str) -> bool:
    """'password123456789', 'sunshine!!!!!!!!': a common password made long by digits or symbols
    around it, the first thing a guesser tries after the list itself. The core is judged as the
    whole password is: 'passwordpassword123' got through while 'passwordpassword' was refused."""
    core = _PADDING.sub("", text)
    return core != text and (core in _common_passwords() or _is_repetitive(core) or _is_sequential(core)
                             or _is_keyboard_walk(core))


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
    common = PolicyViolation(
        "common", str(_l("This password is on a list of commonly used or easily guessed passwords."))
    )
    if folded in _common_passwords() or stripped in _common_passwords() or _is_repetitive(stripped) or _is_sequential(stripped):
        problems.append(common)
    elif _is_keyboard_walk(folded):
        problems.append(PolicyViolation(
            "keyboard_pattern", str(_l("Keys next to each other on the keyboard (such as qwerty or 1q2w3e) are among "
                                       "the first a guesser tries; choose words of your own."))
        ))
    elif _is_padded_common(stripped):
        problems.append(PolicyViolation(
            "padded_common", str(_l("A commonly used password with digits or symbols added before or after it is "
                                    "as easy to guess; choose words of your own."))
        ))
    # After the padding: in "!!!!!!!sunshine!!" the symbols are most of it, but that reason says more.
    elif _is_nearly_one_character(stripped):
        problems.append(common)
    if login_id and login_id.casefold() in folded:
        problems.append(PolicyViolation("contains_login_id", str(_l("The password must not contain your user ID."))))
    org = normalise(organisation_name).casefold().replace(" ", "")
    if org and len(org) >= 3 and org in stripped:
        problems.append(PolicyViolation(
            "contains_organisation", str(_l("The password must not contain your organisation's name."))
        ))
    if any(service in stripped for service in _SERVICE_NAMES):
        problems.append(PolicyViolation(
            "contains_service_name", str(_l("The password must not contain the name of this service (Sekisho)."))
        ))
    return problems
