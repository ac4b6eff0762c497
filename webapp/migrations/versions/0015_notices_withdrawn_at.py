"""notices.withdrawn_at: a withdrawn notice is kept and marked, so that its number is never
given to a later notice (SQLite reuses the highest deleted rowid)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

import webapp.database

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notices') as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', webapp.database.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notices') as batch_op:
        batch_op.drop_column('withdrawn_at')
