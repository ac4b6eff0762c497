"""Who sees which facility records and which of their fields.

A system administrator stores a rule per organisation category (rows of record_scope_rules)
without a release; a category without a stored rule has the default below, which follows
least privilege.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, bindparam, false, select

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth.models import User
from webapp.extensions import db
from webapp.orgs.models import Organisation
from webapp.orgs.regions import CATEGORY_LABELS, PREFECTURE_AREA, PREFECTURES
from webapp.records.fields import ALWAYS_SHOWN, BY_KEY, KEYS
from webapp.records.models import FacilityRecord, RecordScopeRule

ROW_SCOPES = {
    "all": _l("All records"),
    "supply_area": _l("Facilities in the organisation's supply area"),
    "prefecture": _l("Facilities in the organisation's prefecture"),
    "own_operator": _l("Facilities whose operator is the organisation"),
    "none": _l("No records"),
}

_PURCHASING = ("facility_id", "operator_name", "certified_on", "operation_started_on", "purchase_price",
               "purchase_end", "energy_source", "capacity_kw", "prefecture", "location_address", "plant_name",
               "supply_area")
_MUNICIPAL = ("facility_id", "operator_name", "certified_on", "operation_started_on", "purchase_end",
              "energy_source", "capacity_kw", "prefecture", "location_address", "plant_name", "supply_area")
DEFAULT_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "scheme": ("all", KEYS),
    "grid": ("supply_area", _PURCHASING),  # its purchasing work: no personal fields, no panels
    "municipality": ("prefecture", _MUNICIPAL),  # no prices, no personal fields
    "certified": ("own_operator", KEYS),  # its own facilities
    "operator": ("none", ()),  # the portal's own staff run it; they do not read the data
}
VIEWER_ROLES = ("operator",)


@dataclass(frozen=True)
class Scope:
    """What one organisation sees: a row condition and the visible field keys, in display order."""

    organisation: Organisation
    row_scope: str
    fields: tuple[str, ...]

    @property
    def sees_nothing(self) -> bool:
        return self.row_scope == "none" or (self.row_scope != "all" and not self._scope_value)

    @property
    def _scope_value(self) -> str:
        if self.row_scope == "own_operator":
            return self.organisation.name
        return self.organisation.area

    def condition(self) -> ColumnElement[bool] | None:
        """The rows' condition; None for every row (a WHERE that is always true still costs SQLite
        a test per row: 4 ms instead of 1 to count 100,000)."""
        if self.sees_nothing:
            return false()
        if self.row_scope == "supply_area":
            return FacilityRecord.supply_area == self._scope_value
        if self.row_scope == "prefecture":
            return FacilityRecord.prefecture == self._scope_value
        if self.row_scope == "own_operator":
            return FacilityRecord.operator_name == self._scope_value
        return None

    def prefectures(self) -> list[str]:
        """The prefectures this scope can contain (the page's filter offers only these)."""
        if self.sees_nothing:
            return []
        if self.row_scope == "prefecture":
            return [self._scope_value]
        if self.row_scope == "supply_area":
            return [p for p in PREFECTURES if PREFECTURE_AREA.get(p) == self._scope_value]
        return list(PREFECTURES)


def parse_fields(text: str) -> tuple[str, ...]:
    """Stored field list to keys in display order; unknown keys are ignored, the ID always kept."""
    chosen = {k.strip() for k in text.split(",")} | {ALWAYS_SHOWN}
    return tuple(k for k in KEYS if k in chosen)


# Every signed-in page asks this (the navigation shows Records only to those who may read
# them): built once, and read as a plain row, which costs a fraction of an ORM load.
_STORED_RULE = select(RecordScopeRule.row_scope, RecordScopeRule.fields).where(
    RecordScopeRule.category == bindparam("category"))


def rule_for(category: str) -> tuple[str, tuple[str, ...]]:
    """The stored rule; the default until a system administrator stores one; else nothing."""
    rule = db.session.execute(_STORED_RULE, {"category": category}).first()
    if rule is None:
        row_scope, fields = DEFAULT_RULES.get(category, ("none", ()))
        return row_scope, parse_fields(",".join(fields))
    if rule.row_scope not in ROW_SCOPES:
        return "none", ()
    return rule.row_scope, parse_fields(rule.fields)


def for_user(user: User) -> Scope | None:
    """The signed-in person's scope, or None when they may not read records at all."""
    if not user.has_role(*VIEWER_ROLES):
        return None
    organisation = user.organisation
    row_scope, fields = rule_for(organisation.category)
    scope = Scope(organisation, row_scope, fields)
    return None if scope.sees_nothing else scope


def may_view(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and for_user(user) is not None


class Invalid(ValueError):
    """A rule that cannot be stored; the message is for the system administrator."""


def rules_by_category() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every category's rule in force (stored or default), for the administration page."""
    return {category: rule_for(category) for category in CATEGORY_LABELS}


def change_rule(actor: User, category: str, row_scope: str, fields: list[str], origin: Origin) -> None:
    """A system administrator stores a category's rule; audited with what it was before."""
    if category not in CATEGORY_LABELS:
        raise LookupError(category)
    if row_scope not in ROW_SCOPES:
        raise Invalid(_l("Choose which records the category sees."))
    if any(f not in BY_KEY for f in fields):
        raise Invalid(_l("Choose fields from the list."))
    before = rule_for(category)
    rule = set_rule(category, row_scope, fields)
    audit.record("records.scope_changed", origin=origin, actor_id=actor.id, target=category,
                 before={"rows": before[0], "fields": list(before[1])},
                 after={"rows": rule.row_scope, "fields": rule.fields.split(",")})
    db.session.commit()


def set_rule(category: str, row_scope: str, fields: list[str]) -> RecordScopeRule:
    """Store a category's rule (the caller audits and commits)."""
    rule = db.session.get(RecordScopeRule, category) or RecordScopeRule(category=category, row_scope=row_scope)
    rule.row_scope = row_scope
    rule.fields = ",".join(parse_fields(",".join(fields)))
    rule.updated_at = clock.now()
    db.session.add(rule)
    return rule
