"""Validators every form shares: bad input gets a clear message, never a 500."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from flask_babel import lazy_gettext as _l
from wtforms import Form, ValidationError
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


@dataclass(frozen=True)
class Problem:
    """A refusal's message and the inputs (form field names) it is about, when the server knows
    them: the page then marks those inputs and ties each to its message for a screen reader."""

    message: Any
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        return str(self.message)


def about(fields: str | tuple[str, ...], message: Any) -> Problem:
    return Problem(message, (fields,) if isinstance(fields, str) else fields)


def validation_problems(form: Form) -> list[Problem]:
    """A failed validation's messages as '<label>: <message>', each about its field, in the form's order."""
    problems = [Problem(f"{field.label.text}: {message}", (field.name,))
                for field in form if field.name != "csrf_token" for message in field.errors]
    if "csrf_token" in form.errors:
        problems.append(Problem(_l("The form has expired. Please try again.")))
    return problems


def problems_of(refusal: Exception) -> list[Any]:
    """A domain refusal's messages: its `messages`, or the one it was raised with (a Problem or a text)."""
    return list(getattr(refusal, "messages", None) or refusal.args[:1])


class FormErrors:
    """What a refused form shows in its error box (`box_id`, see templates/_form_errors.html): each
    message with an id of its own, which the inputs it is about name. `form` says which of the
    page's forms was sent, so that an input of another form with the same name stays unmarked."""

    def __init__(self, box_id: str, problems: Iterable[Any] = (), form: str = "") -> None:
        self.box_id = box_id
        self.form = form
        self._items = [(f"{box_id}-{n}", problem) for n, problem in enumerate(problems, 1)]

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((message_id, str(problem)) for message_id, problem in self._items)

    def about(self, name: str, form: str = "") -> str:
        """The ids of the messages about input `name` (of `form`), as aria-describedby lists them."""
        if form != self.form:
            return ""
        return " ".join(message_id for message_id, problem in self._items if name in getattr(problem, "fields", ()))
