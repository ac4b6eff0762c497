"""Reading the audit log: filters from a query string, pages by keyset, newest first.

The log grows to millions of entries, so a page never counts the table and never skips with
OFFSET: it walks one of the indexes kept in time order (kind+at, organisation+at, actor+at,
at) from a cursor, the entry the previous page ended at. Entries are ordered by (at, id); id
breaks ties between entries of one instant.

Free text has no index to walk: a text search reads at most `scan_rows` entries per page and,
when they hold fewer matches than a page, says how far back it searched and offers to go on.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping, Sequence

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, or_, select, text, union_all

from webapp import listing
from webapp.audit.models import AuditEvent
from webapp.auth.models import User
from webapp.auth.service import find_user
from webapp.clock import JST
from webapp.extensions import db
from webapp.orgs.models import Organisation

PAGE_SIZE = 50
TEXT_SCAN_ROWS = 20_000  # entries a free-text page reads at most (about 25 ms on SQLite)
KIND_PATTERN = re.compile(r"[a-z0-9_.]{1,60}")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
NEWEST_FIRST = (AuditEvent.at.desc(), AuditEvent.id.desc())
OLDEST_FIRST = (AuditEvent.at.asc(), AuditEvent.id.asc())


def _clean(args: Mapping[str, Any], key: str, limit: int) -> str:
    value = args.get(key, "") or ""
    return unicodedata.normalize("NFKC", str(value).replace("\x00", "")).strip()[:limit]


def _cursor(args: Mapping[str, Any], key: str) -> int | None:
    """A row id from the query string, or None when it is not one."""
    return listing.optional_id(args, key)


def _day(value: str, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        if not DATE_PATTERN.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        errors.append(_("%(field)s: enter a date as YYYY-MM-DD. This condition was not applied.", field=label))
        return None
    if not EARLIEST <= day <= LATEST:
        errors.append(_("%(field)s: enter a date between %(first)s and %(last)s. This condition was not applied.",
                        field=label, first=EARLIEST.isoformat(), last=LATEST.isoformat()))
        return None
    return day


@dataclass
class AuditFilter:
    kind: str = ""  # exact, or a prefix when it ends with "." ("login.")
    actor: str = ""  # login ID
    organisation: int | None = None
    date_from: date | None = None  # Japan time, inclusive
    date_to: date | None = None  # Japan time, inclusive
    q: str = ""
    before: int | None = None  # cursor: entries older than this one
    after: int | None = None  # cursor: entries newer than this one
    errors: list[str] = field(default_factory=list)
    raw_dates: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> "AuditFilter":
        """Tampered values fall back to the defaults; a person's typing mistakes get a message."""
        errors: list[str] = []
        kind = _clean(args, "kind", 60).lower()
        if kind and not KIND_PATTERN.fullmatch(kind):
            errors.append(_("An event kind has only letters, digits, dots and underscores "
                            "(for example login.failed, or login. for every kind starting so). "
                            "This condition was not applied."))
            kind = ""
        raw = {key: _clean(args, key, 20) for key in ("from", "to")}
        date_from = _day(raw["from"], _("Start date"), errors)
        date_to = _day(raw["to"], _("End date"), errors)
        if date_from and date_to and date_from > date_to:
            errors.append(_("The start date is after the end date: no entry can match."))
        before, after = _cursor(args, "before"), _cursor(args, "after")
        return cls(
            kind=kind, actor=_clean(args, "actor", 40), organisation=_cursor(args, "organisation"),
            date_from=date_from, date_to=date_to, q=listing.search_text(args),
            before=before, after=None if before else after, errors=errors, raw_dates=raw,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query arguments for links that keep the filters (empty ones and the cursor left out)."""
        values: dict[str, Any] = {
            "kind": self.kind, "actor": self.actor, "organisation": self.organisation,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "", "q": self.q,
        }
        values.update(changes)
        return listing.link_args(values, {})

    def described(self) -> dict[str, Any]:
        """What the audit entry of a view records."""
        return {key: value for key, value in {**self.args(), "before": self.before, "after": self.after}.items()
                if value not in ("", None)}

    @property
    def is_prefix(self) -> bool:
        return self.kind.endswith(".")


@dataclass(frozen=True)
class AuditRow:
    """One entry as the page shows it, with the actor's and organisation's names."""

    id: int
    at: datetime
    kind: str
    ip: str
    user_agent: str
    target: str
    details: str
    actor_name: str
    actor_login_id: str
    organisation_name: str


@dataclass
class AuditPage:
    rows: Sequence[AuditRow]
    older: int | None = None  # cursor of the next page back in time
    newer: int | None = None  # cursor of the page before it
    searched_back_to: datetime | None = None  # a text search stopped reading here
    scan_rows: int = 0
    notes: list[str] = field(default_factory=list)  # why nothing can match (unknown login ID...)

    @property
    def partial(self) -> bool:
        return self.searched_back_to is not None


@dataclass
class _Plan:
    conditions: list[ColumnElement[bool]]
    kinds: list[str] | None  # several kinds of one prefix: one index walk per kind
    empty: bool = False


def _kinds_with_prefix(prefix: str) -> list[str]:
    """The kinds starting with `prefix`, one index seek per kind (a loose index scan)."""
    pattern = prefix.replace("_", "\\_") + "%"
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite's LIKE cannot walk an index; a range can (kinds are lower-case ASCII).
        bounds = "kind >= :low AND kind < :high"
    else:
        bounds = "kind LIKE :pattern ESCAPE '\\'"
    query = text(f"""
        WITH RECURSIVE found(kind) AS (
            SELECT min(kind) FROM audit_events WHERE {bounds}
            UNION ALL
            SELECT (SELECT min(kind) FROM audit_events WHERE kind > found.kind AND {bounds})
            FROM found WHERE found.kind IS NOT NULL
        )
        SELECT kind FROM found WHERE kind IS NOT NULL LIMIT 500""")
    params = ({"low": prefix, "high": prefix[:-1] + chr(ord(prefix[-1]) + 1)} if ":low" in bounds
              else {"pattern": pattern})
    return [row[0] for row in db.session.execute(query, params)]


def _plan(flt: AuditFilter, notes: list[str]) -> _Plan:
    conditions: list[ColumnElement[bool]] = []
    kinds: list[str] | None = None
    if flt.kind and flt.is_prefix:
        kinds = _kinds_with_prefix(flt.kind)
        if len(kinds) == 1:
            conditions.append(AuditEvent.kind == kinds[0])
            kinds = None
        elif not kinds:
            return _Plan([], None, empty=True)
    elif flt.kind:
        conditions.append(AuditEvent.kind == flt.kind)
    if flt.actor:
        actor = find_user(flt.actor)
        if actor is None:
            notes.append(_("No user has the login ID %(login_id)s.", login_id=flt.actor))
            return _Plan([], None, empty=True)
        conditions.append(AuditEvent.actor_id == actor.id)
    if flt.organisation is not None:
        conditions.append(AuditEvent.organisation_id == flt.organisation)
    if flt.date_from:
        conditions.append(AuditEvent.at >= datetime.combine(flt.date_from, time(), JST))
    if flt.date_to:
        conditions.append(AuditEvent.at < datetime.combine(flt.date_to + timedelta(days=1), time(), JST))
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        return _Plan([], None, empty=True)
    return _Plan(conditions, kinds)


def _position(entry_id: int | None) -> tuple[int, datetime] | None:
    if entry_id is None:
        return None
    at = db.session.scalar(select(AuditEvent.at).where(AuditEvent.id == entry_id))
    return (entry_id, at) if at is not None else None


def _beyond(position: tuple[int, datetime] | None, older: bool) -> list[ColumnElement[bool]]:
    """Entries strictly older (or newer) than the cursor in (at, id) order. The first term
    bounds the index walk; the second settles entries of the cursor's own instant."""
    if position is None:
        return []
    entry_id, at = position
    if older:
        return [AuditEvent.at <= at, or_(AuditEvent.at < at, AuditEvent.id < entry_id)]
    return [AuditEvent.at >= at, or_(AuditEvent.at > at, AuditEvent.id > entry_id)]


def _walk(plan: _Plan, position: tuple[int, datetime] | None, older: bool, limit: int) -> Select[Any]:
    """(id, at) of the first `limit` entries beyond the cursor, each kind of a prefix on its own
    index and merged, so no query sorts more than `limit` rows per kind."""
    order = NEWEST_FIRST if older else OLDEST_FIRST
    where = plan.conditions + _beyond(position, older)
    if not plan.kinds:
        return select(AuditEvent.id, AuditEvent.at).where(*where).order_by(*order).limit(limit)
    arms = [select(AuditEvent.id, AuditEvent.at).where(AuditEvent.kind == kind, *where).order_by(*order)
            .limit(limit).subquery() for kind in plan.kinds]
    merged = union_all(*[select(arm.c.id, arm.c.at) for arm in arms]).subquery()
    merged_order = (merged.c.at.desc(), merged.c.id.desc()) if older else (merged.c.at.asc(), merged.c.id.asc())
    return select(merged.c.id, merged.c.at).order_by(*merged_order).limit(limit)


def _text_condition(q: str) -> ColumnElement[bool]:
    # SQLite's LIKE is already case-blind for ASCII; its ILIKE would only add a lower() per row.
    return listing.contains_text((AuditEvent.target, AuditEvent.details), q,
                                 case_blind=db.session.get_bind().dialect.name != "sqlite")


_ROW_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.kind, AuditEvent.ip, AuditEvent.user_agent,
                AuditEvent.target, AuditEvent.details, User.name, User.login_id, Organisation.name)


def _rows(ids: Sequence[int]) -> list[AuditRow]:
    """The page's entries by id (plain rows: a page of 50 objects costs more than its query)."""
    if not ids:
        return []
    query = (select(*_ROW_COLUMNS)
             .outerjoin(User, AuditEvent.actor_id == User.id)
             .outerjoin(Organisation, AuditEvent.organisation_id == Organisation.id)
             .where(AuditEvent.id.in_(ids)).order_by(*NEWEST_FIRST))
    return [AuditRow(*row[:7], row[7] or "", row[8] or "", row[9] or "") for row in db.session.execute(query)]


def search(flt: AuditFilter, scan_rows: int = TEXT_SCAN_ROWS) -> AuditPage:
    """One page of entries matching the filter, newest first, from the filter's cursor."""
    notes: list[str] = []
    plan = _plan(flt, notes)
    if plan.empty:
        return AuditPage([], notes=notes)
    older = flt.after is None
    position = _position(flt.before if older else flt.after)
    if position is None:  # no cursor, or one naming no entry: the newest page
        older = True
    if flt.q:
        return _text_page(plan, flt.q, position, older, max(1, scan_rows), notes)
    found = [row[0] for row in db.session.execute(_walk(plan, position, older, PAGE_SIZE + 1))]
    more, ids = len(found) > PAGE_SIZE, found[:PAGE_SIZE]
    if older:
        newer = (ids[0] if ids else position[0]) if position else None
        return AuditPage(_rows(ids), older=ids[-1] if more else None, newer=newer, notes=notes)
    if not more:  # reached the newest entries: show the newest page whole
        return search(replace(flt, before=None, after=None), scan_rows)
    return AuditPage(_rows(ids), older=ids[0], newer=ids[-1], notes=notes)


def _text_page(plan: _Plan, q: str, position: tuple[int, datetime] | None, older: bool, scan_rows: int,
               notes: list[str]) -> AuditPage:
    """Matches among the next `scan_rows` entries beyond the cursor. Several kinds of a prefix are
    checked on each entry read rather than walked kind by kind: the window is the whole log's."""
    walked = _Plan(plan.conditions, None)
    residual = [_text_condition(q)] + ([AuditEvent.kind.in_(plan.kinds)] if plan.kinds else [])
    window = _walk(walked, position, older, scan_rows).subquery()
    ids = list(db.session.scalars(
        select(AuditEvent.id).where(AuditEvent.id.in_(select(window.c.id)), *residual)
        .order_by(*(NEWEST_FIRST if older else OLDEST_FIRST)).limit(PAGE_SIZE + 1)))
    first = db.session.execute(_walk(walked, position, older, 1)).first()  # the entry next to the cursor
    # The last entry read when the window was full: more entries lie beyond it.
    last = db.session.execute(_walk(walked, position, older, 1).offset(scan_rows - 1)).first()
    full, ids = len(ids) > PAGE_SIZE, ids[:PAGE_SIZE]
    if older:
        newer = first[0] if position and first else (position[0] if position else None)
        if full:
            return AuditPage(_rows(ids), older=ids[-1], newer=newer, scan_rows=scan_rows, notes=notes)
        return AuditPage(_rows(ids), older=last[0] if last else None, newer=newer,
                         searched_back_to=last[1] if last else None, scan_rows=scan_rows, notes=notes)
    if last is None and not full:  # reached the newest entries: the newest page
        return _text_page(plan, q, None, True, scan_rows, notes)
    older_cursor = first[0] if first else position[0]  # type: ignore[index]
    return AuditPage(_rows(ids), older=older_cursor, newer=ids[-1] if full else last[0],  # type: ignore[index]
                     scan_rows=scan_rows, notes=notes)


def organisations() -> Sequence[Organisation]:
    return db.session.scalars(select(Organisation).order_by(Organisation.name)).all()


def known_kinds() -> list[str]:
    """Every kind in the log and its families ("login."), for the kind field's suggestions."""
    kinds = _all_kinds()
    families = sorted({kind.split(".")[0] + "." for kind in kinds if "." in kind})
    return families + kinds


def _all_kinds() -> list[str]:
    query = text("""
        WITH RECURSIVE found(kind) AS (
            SELECT min(kind) FROM audit_events
            UNION ALL
            SELECT (SELECT min(kind) FROM audit_events WHERE kind > found.kind) FROM found WHERE found.kind IS NOT NULL
        )
        SELECT kind FROM found WHERE kind IS NOT NULL LIMIT 500""")
    return [row[0] for row in db.session.execute(query)]
