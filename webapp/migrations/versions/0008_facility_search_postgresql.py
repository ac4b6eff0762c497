"""trigram indexes for free-text search of facility records, on PostgreSQL (pg_trgm, if it can be had)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from webapp.records.search_index import add_trigram_indexes

    add_trigram_indexes(op.get_bind())  # where pg_trgm cannot be created, the search keeps scanning


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in ("facility_id", "operator_name", "plant_name", "location_address", "representative_name"):
        op.execute(f"DROP INDEX IF EXISTS ix_facility_records_trgm_{name}")
