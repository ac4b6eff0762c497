"""users.suspended_by: who stopped a suspended account (organisation, sysadmin, detector, dormancy),
so that lifting a system administrator's or a detector's suspension needs a system administrator

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('suspended_by', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('suspended_by')
