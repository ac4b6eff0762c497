"""monthly access reviews (SPEC §7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import webapp.database


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_at', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('signed_at', webapp.database.UTCDateTime(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('last_reminded_on', sa.Date(), nullable=True),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'month', name='uq_access_reviews_organisation_month')
    )
    op.create_index(op.f('ix_access_reviews_signed_at'), 'access_reviews', ['signed_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_access_reviews_signed_at'), table_name='access_reviews')
    op.drop_table('access_reviews')
