"""facility records and their scope rules (SPEC §6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import webapp.database


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_INDEXES = {
    'ix_facility_records_area_fid': ('supply_area', 'facility_id'),
    'ix_facility_records_area_filters': ('supply_area', 'prefecture', 'energy_source', 'facility_id'),
    'ix_facility_records_area_capacity': ('supply_area', 'capacity_kw', 'facility_id'),
    'ix_facility_records_area_energy_capacity': ('supply_area', 'energy_source', 'capacity_kw', 'facility_id'),
    'ix_facility_records_area_certified': ('supply_area', 'certified_on', 'facility_id'),
    'ix_facility_records_pref_fid': ('prefecture', 'facility_id'),
    'ix_facility_records_pref_filters': ('prefecture', 'energy_source', 'facility_id'),
    'ix_facility_records_pref_capacity': ('prefecture', 'capacity_kw', 'facility_id'),
    'ix_facility_records_pref_certified': ('prefecture', 'certified_on', 'facility_id'),
    'ix_facility_records_energy_capacity': ('energy_source', 'capacity_kw', 'facility_id'),
    'ix_facility_records_capacity': ('capacity_kw', 'facility_id'),
    'ix_facility_records_certified': ('certified_on', 'facility_id'),
    'ix_facility_records_operator_fid': ('operator_name', 'facility_id'),
}


def upgrade() -> None:
    op.create_table('facility_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.String(length=20), nullable=False),
    sa.Column('operator_name', sa.String(length=200), nullable=False),
    sa.Column('representative_name', sa.String(length=100), nullable=False),
    sa.Column('operator_address', sa.String(length=300), nullable=False),
    sa.Column('certified_on', sa.Date(), nullable=False),
    sa.Column('operation_started_on', sa.Date(), nullable=True),
    sa.Column('purchase_price', sa.Float(), nullable=True),
    sa.Column('purchase_end', sa.Date(), nullable=True),
    sa.Column('energy_source', sa.String(length=20), nullable=False),
    sa.Column('capacity_kw', sa.Float(), nullable=False),
    sa.Column('prefecture', sa.String(length=10), nullable=False),
    sa.Column('location_address', sa.String(length=300), nullable=False),
    sa.Column('plant_name', sa.String(length=200), nullable=False),
    sa.Column('supply_area', sa.String(length=20), nullable=False),
    sa.Column('panel_maker', sa.String(length=100), nullable=False),
    sa.Column('panel_model', sa.String(length=100), nullable=False),
    sa.Column('updated_at', webapp.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('facility_id')
    )
    for name, columns in _INDEXES.items():
        op.create_index(name, 'facility_records', list(columns), unique=False)
    op.create_table('record_scope_rules',
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('row_scope', sa.String(length=20), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('updated_at', webapp.database.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('category')
    )


def downgrade() -> None:
    op.drop_table('record_scope_rules')
    for name in _INDEXES:
        op.drop_index(name, table_name='facility_records')
    op.drop_table('facility_records')
