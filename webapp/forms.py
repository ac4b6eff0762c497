"""Validators every form shares: bad input gets a clear message, never a 500."""
from __future__ import annotations

from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from wtforms import ValidationError
from wtforms.fields.choices import SelectChoice


class CleanText:
    """Refuses NUL and other control characters and over-long values with a readable message."""

    def __init__(self, max_length: int = 200, allow_newlines: bool = False, shown: bool = True,
                 markup: bool = True) -> None:
        self.max_length = max_length
        self.allow_newlines = allow_newlines
        self.shown = shown  # False for secrets (passwords): nobody reads them, any character goes
        self.markup = markup  # False for names and titles: "<" and ">" belong to no name

    def __call__(self, _form: Any, field: Any) -> None:
        value = field.data or ""
        if not isinstance(value, str):
            return
        problem = text_problem(value, self.max_length, self.allow_newlines, self.shown, self.markup)
        if problem is not None:
            raise ValidationError(problem)


# Direction overrides make a title or a reason read differently from what is stored (「理由: 承認済」
# shown backwards); Japanese and English text never needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_problem(value: str, max_length: int, allow_newlines: bool = False, shown: bool = True,
                 markup: bool = True) -> Any:
    """Why a text cannot be stored (a lazy message), or None; services check their input with it too.
    `shown`: people will read it, so direction overrides are refused too. Without `markup`, a name
    or title: HTML there is an attack or a slip, never a name (free text keeps it, shown escaped)."""
    if len(value) > max_length:
        return _l("Please enter at most %(n)d characters.", n=max_length)
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    refused = BIDI_CONTROLS if shown else frozenset()
    if any((ord(ch) < 32 and ch not in allowed) or ord(ch) == 127 or ch in refused for ch in value):
        return _l("The input contains characters that cannot be used.")
    if "\ufffd" in value:
        return _l("The input is not valid text (check the character encoding).")
    if not markup and ("<" in value or ">" in value):
        return _l("Names and titles cannot contain < or >.")
    return None


def name_text(max_length: int = 200) -> CleanText:
    """The validator of a person's or an organisation's name, a department, a title."""
    return CleanText(max_length, markup=False)


def strip_filter(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def select_choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms asks for (tuples go away in WTForms 3.4)."""
    return [SelectChoice(value, label) for value, label in pairs]
