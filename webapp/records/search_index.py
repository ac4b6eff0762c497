"""A trigram index for free-text search of facility records, on SQLite (FTS5).

A substring search (LIKE '%...%') reads every row of the scope: ~100 ms for 100,000 records.
The trigram index answers the same substring question from an index, kept in step with the
table by triggers (imports and updates included). Searches of one or two characters, and
PostgreSQL (where pg_trgm would do this but needs an extension the portal cannot assume),
keep the plain scan.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import DDL, Select, column, event, literal_column, select, table, text

from webapp.records.models import FacilityRecord

TABLE = "facility_search"
COLUMNS = ("facility_id", "operator_name", "plant_name", "location_address", "representative_name")
MIN_LENGTH = 3  # a trigram index cannot answer shorter strings

_cols = ", ".join(COLUMNS)
_new = ", ".join(f"new.{c}" for c in COLUMNS)
_old = ", ".join(f"old.{c}" for c in COLUMNS)
TRIGGERS = ("insert", "delete", "update")
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5({_cols}, content='facility_records', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON facility_records BEGIN "
    f"INSERT INTO {TABLE}(rowid, {_cols}) VALUES (new.id, {_new}); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON facility_records BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, {_cols}) VALUES ('delete', old.id, {_old}); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE ON facility_records BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, {_cols}) VALUES ('delete', old.id, {_old}); "
    f"INSERT INTO {TABLE}(rowid, {_cols}) VALUES (new.id, {_new}); END",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
)

# create_all (tests, a fresh database) builds it with the table; migration 0007 for existing ones.
for _statement in SQLITE_DDL:
    event.listen(FacilityRecord.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
event.listen(FacilityRecord.__table__, "before_drop", DDL(f"DROP TABLE IF EXISTS {TABLE}").execute_if(dialect="sqlite"))


@contextmanager
def bulk_loading(session: Any) -> Iterator[None]:
    """Many rows at once: the triggers stay out of it and the index is rebuilt once at the end,
    in the same transaction (100,000 rows: a 2-second rebuild instead of a minute of triggers)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    for trigger in TRIGGERS:
        session.execute(text(f"DROP TRIGGER IF EXISTS {TABLE}_{trigger}"))
    yield
    for statement in SQLITE_DDL[1:]:
        session.execute(text(statement))


def is_index_table(name: str) -> bool:
    """The index's virtual table and its shadow tables (not models: schema comparison skips them)."""
    return name == TABLE or name.startswith(TABLE + "_")


def matching_ids(needle: str, columns: list[str], dialect: str) -> Select[Any] | None:
    """Row ids whose given columns contain `needle`, or None when the index cannot answer."""
    if dialect != "sqlite" or len(needle) < MIN_LENGTH or not columns:
        return None
    phrase = '"' + needle.replace('"', '""') + '"'  # one literal phrase: no FTS5 operators
    query = "{" + " ".join(columns) + "} : " + phrase
    index = table(TABLE, column("rowid"))
    return select(index.c.rowid).where(literal_column(TABLE).op("MATCH")(query))
