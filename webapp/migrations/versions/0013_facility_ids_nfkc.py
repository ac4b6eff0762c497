"""facility_records.facility_id in NFKC, as the importer now reads it (a full-width ID typed by an
IME is the same facility); an ID whose NFKC form is taken, or longer than the column, is left as it is

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""
import unicodedata

from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, facility_id FROM facility_records")).all()
    taken = {facility_id for _id, facility_id in rows}
    for record_id, facility_id in rows:
        normal = unicodedata.normalize("NFKC", facility_id)
        if normal != facility_id and normal not in taken and len(normal) <= 20:  # ㍻ → 平成 grows
            bind.execute(sa.text("UPDATE facility_records SET facility_id = :normal WHERE id = :record_id"),
                         {"normal": normal, "record_id": record_id})
            taken.add(normal)


def downgrade() -> None:
    pass  # the full-width forms are not kept: they named the same facilities
