"""The fields of a facility record: labels, kinds, and how each is read from CSV and shown.

The order here is the order of columns on the page, in exports and in the import format.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from webapp.orgs.regions import PREFECTURES, SUPPLY_AREAS

ENERGY_SOURCES = {
    "solar": _l("Solar"),
    "wind": _l("Wind"),
    "hydro": _l("Hydro"),
    "geothermal": _l("Geothermal"),
    "biomass": _l("Biomass"),
}


@dataclass(frozen=True)
class Field:
    key: str
    label: Any  # lazy string
    kind: str = "text"  # text, date, number, energy, prefecture, area
    required: bool = False
    max_length: int = 200
    personal: bool = False  # about a natural person: the least-privilege defaults leave it out


FIELDS: tuple[Field, ...] = (
    Field("facility_id", _l("Facility ID"), kind="id", required=True, max_length=20),
    Field("operator_name", _l("Operator name"), required=True),
    Field("representative_name", _l("Representative's name"), max_length=100, personal=True),
    Field("operator_address", _l("Operator address"), max_length=300, personal=True),
    Field("certified_on", _l("Certification date"), kind="date", required=True),
    Field("operation_started_on", _l("Start of operation"), kind="date"),
    Field("purchase_price", _l("Purchase price (yen/kWh)"), kind="number"),
    Field("purchase_end", _l("End of purchase period"), kind="date"),
    Field("energy_source", _l("Energy source"), kind="energy", required=True),
    Field("capacity_kw", _l("Capacity (kW)"), kind="number", required=True),
    Field("prefecture", _l("Prefecture"), kind="prefecture", required=True),
    Field("location_address", _l("Location address"), max_length=300),
    Field("plant_name", _l("Plant name")),
    Field("supply_area", _l("Supply area"), kind="area", required=True),
    Field("panel_maker", _l("Panel maker"), max_length=100),
    Field("panel_model", _l("Panel model"), max_length=100),
)
BY_KEY = {f.key: f for f in FIELDS}
KEYS = tuple(f.key for f in FIELDS)
# Fields stored as codes and shown by their labels (the importer takes either).
CODED = {"energy": ENERGY_SOURCES, "area": SUPPLY_AREAS}
# Shown to everyone who sees a row at all: views and exports are audited by it.
ALWAYS_SHOWN = "facility_id"
MAX_NUMBER = 10_000_000.0
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2100, 12, 31)  # a typo, not a record, beyond these
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FieldError(ValueError):
    pass


def guarded(text: str) -> str:
    """A cell as an export writes it: a spreadsheet shows a leading `'` and runs nothing."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unguarded(text: str) -> str:
    """The export's guard taken off again, and only it: each round trip added another `'`.
    A value of its own starting with `'` (`'90s`) is kept."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def parse(field: Field, raw: str) -> Any:
    """A CSV cell as stored; raises FieldError with a message for the operator."""
    text = unguarded(raw.strip())
    if not text:
        if field.required:
            raise FieldError("required")
        return None if field.kind in ("date", "number") else ""
    if "\x00" in text:
        raise FieldError("contains a NUL byte")
    if field.kind == "id":
        # One facility, one ID: 「ＴＥＳＴ０００１」 typed by an IME is the same as TEST0001.
        text = unicodedata.normalize("NFKC", text)
        if any(c.isspace() for c in text):
            raise FieldError(f"an ID has no spaces: {text[:40]!r}")
    if field.kind == "date":
        try:
            day = date.fromisoformat(unicodedata.normalize("NFKC", text).replace("/", "-"))
        except ValueError:
            raise FieldError(f"not a date (YYYY-MM-DD): {text[:40]!r}") from None
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise FieldError(f"out of range ({EARLIEST_DAY.year}–{LATEST_DAY.year}): {text[:40]!r}")
        return day
    if field.kind == "number":
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            raise FieldError(f"not a number: {text[:40]!r}") from None
        if not (0 <= value <= MAX_NUMBER):  # also refuses nan and inf
            raise FieldError(f"out of range: {text[:40]!r}")
        return value
    if field.kind in CODED:
        return _code(field.kind, text, field.key)
    if field.kind == "prefecture" and text not in PREFECTURES:
        raise FieldError(f"unknown prefecture {text[:40]!r} (e.g. 東京都)")
    if len(text) > field.max_length:
        raise FieldError(f"longer than {field.max_length} characters")
    return text


def _code(kind: str, text: str, key: str) -> str:
    """A code, or its label in either language (what an export wrote)."""
    if text in CODED[kind]:
        return text
    for locale in ("ja", "en"):
        for code, label in _labels(locale)[kind].items():
            if label == text:
                return code
    raise FieldError(f"unknown {key} {text[:40]!r} (one of {', '.join(CODED[kind])})")


def display(field: Field, value: Any) -> str:
    """A stored date or number as a person reads it (codes and text: see shown_by)."""
    if value is None or value == "":
        return ""
    if field.kind == "date":
        return value.isoformat()
    if field.kind == "number":
        return f"{value:,.3f}".rstrip("0").rstrip(".") if field.key == "capacity_kw" else f"{value:.2f}"
    return str(value)


_LABELS_BY_LOCALE: dict[str, dict[str, dict[str, str]]] = {}


def _labels(locale: str | None = None) -> dict[str, dict[str, str]]:
    """The code labels in a language (the request's by default), translated once per language."""
    locale = locale or str(get_locale() or "ja")
    if locale not in _LABELS_BY_LOCALE:
        with force_locale(locale):
            _LABELS_BY_LOCALE[locale] = {kind: {code: str(label) for code, label in mapping.items()}
                                         for kind, mapping in CODED.items()}
    return _LABELS_BY_LOCALE[locale]


def shown_by(fields: list[Field]) -> list[Callable[[Any], str]]:
    """display() per field, with the labels translated once instead of per cell (a page of 50
    rows has 800 cells)."""
    labels = _labels()

    def one(field: Field) -> Callable[[Any], str]:
        if field.kind in labels:
            names = labels[field.kind]
            return lambda value: names.get(value, value or "")
        if field.kind in ("text", "prefecture"):
            return lambda value: value or ""
        return lambda value: display(field, value)

    return [one(field) for field in fields]


def formatter(fields: list[Field]) -> Callable[[Any], list[str]]:
    """A row read with exactly these fields, in this order, as the cells a person reads."""
    shows = shown_by(fields)
    return lambda row: [show(value) for show, value in zip(shows, row)]


def header_names() -> dict[str, str]:
    """Column names the importer accepts for each key: the key, the English and the Japanese label,
    compared in NFKC (full-width and half-width brackets alike: 発電出力（kW） is 発電出力(kW))."""
    names: dict[str, str] = {}
    for field in FIELDS:
        names[field.key] = field.key
        for locale in ("en", "ja"):
            with force_locale(locale):
                names[heading_key(str(field.label))] = field.key
    return names


def heading_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name.strip().lstrip("\ufeff"))
