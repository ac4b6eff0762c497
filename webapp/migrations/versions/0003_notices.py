"""notices and notice_reads (SPEC §8)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
import webapp.database


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=True),
    sa.Column('posted_at', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['posted_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_notices_posted_at'), 'notices', ['posted_at'], unique=False)
    op.create_table('notice_reads',
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', webapp.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('notice_id', 'user_id')
    )


def downgrade() -> None:
    op.drop_table('notice_reads')
    op.drop_index(op.f('ix_notices_posted_at'), table_name='notices')
    op.drop_table('notices')
