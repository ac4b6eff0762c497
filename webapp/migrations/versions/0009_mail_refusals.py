"""outbox_mail.refusals: the relay's refusals for good, counted apart from an outage's tries

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_mail') as batch_op:
        batch_op.add_column(sa.Column('refusals', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('outbox_mail') as batch_op:
        batch_op.drop_column('refusals')
