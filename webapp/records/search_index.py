"""Trigram indexes for free-text search of facility records.

A substring search (LIKE '%...%') reads every row of the scope: ~100 ms for 100,000 records.
On SQLite an FTS5 trigram table answers the same substring question from an index, kept in
step with the table by triggers (imports and updates included); searches of one or two
characters keep the plain scan. On PostgreSQL the plain ILIKE stays the query and pg_trgm's GIN
indexes serve it, where the extension can be created (it is trusted since PostgreSQL 13: the
database's owner may create it); where it cannot, the search scans, as before.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import DDL, Connection, Select, column, event, exc, literal_column, select, table, text

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

TRIGRAM_INDEXES = {name: f"ix_facility_records_trgm_{name}" for name in COLUMNS}  # PostgreSQL; migration 0008


def add_trigram_indexes(connection: Connection) -> bool:
    """The GIN trigram indexes on PostgreSQL, if pg_trgm can be had; False (and a warning) if not."""
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except exc.DBAPIError as refused:
        logging.getLogger(__name__).warning(
            "pg_trgm is not available (%s): free-text search of facility records scans the table",
            str(refused.orig).strip().splitlines()[0])
        return False
    for name, index in TRIGRAM_INDEXES.items():
        connection.execute(text(f"CREATE INDEX IF NOT EXISTS {index} ON facility_records USING gin ({name} gin_trgm_ops)"))
    return True


@event.listens_for(FacilityRecord.__table__, "after_create")
def _trigram_indexes_with_the_table(_table: Any, connection: Connection, **_kw: Any) -> None:
    if connection.dialect.name == "postgresql":
        add_trigram_indexes(connection)


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


def is_search_index(name: str | None, type_: str) -> bool:
    """SQLite's index table with its shadow tables, PostgreSQL's trigram indexes: not models, so
    the schema comparison skips them."""
    name = name or ""
    if type_ == "table":
        return name == TABLE or name.startswith(TABLE + "_")
    return type_ == "index" and name in TRIGRAM_INDEXES.values()


def matching_ids(needle: str, columns: list[str], dialect: str) -> Select[Any] | None:
    """Row ids whose given columns contain `needle`, or None when the index cannot answer."""
    if dialect != "sqlite" or len(needle) < MIN_LENGTH or not columns:
        return None
    phrase = '"' + needle.replace('"', '""') + '"'  # one literal phrase: no FTS5 operators
    query = "{" + " ".join(columns) + "} : " + phrase
    index = table(TABLE, column("rowid"))
    return select(index.c.rowid).where(literal_column(TABLE).op("MATCH")(query))
