"""trigram index for free-text search of facility records, on SQLite (FTS5)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_COLUMNS = "facility_id, operator_name, plant_name, location_address, representative_name"
_NEW = ", ".join(f"new.{c.strip()}" for c in _COLUMNS.split(","))
_OLD = ", ".join(f"old.{c.strip()}" for c in _COLUMNS.split(","))


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL keeps the plain scan (pg_trgm is an extension the portal cannot assume)
    op.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS facility_search USING fts5({_COLUMNS}, "
               "content='facility_records', content_rowid='id', tokenize='trigram')")
    op.execute("CREATE TRIGGER IF NOT EXISTS facility_search_insert AFTER INSERT ON facility_records BEGIN "
               f"INSERT INTO facility_search(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END")
    op.execute("CREATE TRIGGER IF NOT EXISTS facility_search_delete AFTER DELETE ON facility_records BEGIN "
               f"INSERT INTO facility_search(facility_search, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); END")
    op.execute("CREATE TRIGGER IF NOT EXISTS facility_search_update AFTER UPDATE ON facility_records BEGIN "
               f"INSERT INTO facility_search(facility_search, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); "
               f"INSERT INTO facility_search(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END")
    op.execute("INSERT INTO facility_search(facility_search) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS facility_search_{trigger}")
    op.execute("DROP TABLE IF EXISTS facility_search")
