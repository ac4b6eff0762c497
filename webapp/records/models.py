from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import Base, UTCDateTime


class FacilityRecord(Base):
    __tablename__ = "facility_records"
    # A scope (all, supply area, prefecture, operator) and one order (facility ID, capacity,
    # certification date) each have an index that ends with the facility ID (the tie-breaker),
    # so a page is read in order from the index and the rows an OFFSET skips are never fetched
    # (5 ms -> 0.4 ms for page 20 of 100,000); the wider ones count a scope's filters
    # (prefecture, energy source) without the table.
    __table_args__ = (
        Index("ix_facility_records_area_fid", "supply_area", "facility_id"),
        Index("ix_facility_records_area_filters", "supply_area", "prefecture", "energy_source", "facility_id"),
        Index("ix_facility_records_area_capacity", "supply_area", "capacity_kw", "facility_id"),
        Index("ix_facility_records_area_energy_capacity", "supply_area", "energy_source", "capacity_kw", "facility_id"),
        Index("ix_facility_records_area_certified", "supply_area", "certified_on", "facility_id"),
        Index("ix_facility_records_pref_fid", "prefecture", "facility_id"),
        Index("ix_facility_records_pref_filters", "prefecture", "energy_source", "facility_id"),
        Index("ix_facility_records_pref_capacity", "prefecture", "capacity_kw", "facility_id"),
        Index("ix_facility_records_pref_certified", "prefecture", "certified_on", "facility_id"),
        Index("ix_facility_records_energy_capacity", "energy_source", "capacity_kw", "facility_id"),
        Index("ix_facility_records_capacity", "capacity_kw", "facility_id"),
        Index("ix_facility_records_certified", "certified_on", "facility_id"),
        Index("ix_facility_records_operator_fid", "operator_name", "facility_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[str] = mapped_column(String(20), unique=True)
    operator_name: Mapped[str] = mapped_column(String(200))
    representative_name: Mapped[str] = mapped_column(String(100), default="")
    operator_address: Mapped[str] = mapped_column(String(300), default="")
    certified_on: Mapped[date] = mapped_column(Date)
    operation_started_on: Mapped[date | None] = mapped_column(Date, default=None)
    purchase_price: Mapped[float | None] = mapped_column(Float, default=None)  # yen per kWh
    purchase_end: Mapped[date | None] = mapped_column(Date, default=None)
    energy_source: Mapped[str] = mapped_column(String(20))
    capacity_kw: Mapped[float] = mapped_column(Float)
    prefecture: Mapped[str] = mapped_column(String(10))
    location_address: Mapped[str] = mapped_column(String(300), default="")
    plant_name: Mapped[str] = mapped_column(String(200), default="")
    supply_area: Mapped[str] = mapped_column(String(20))
    panel_maker: Mapped[str] = mapped_column(String(100), default="")
    panel_model: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecordScopeRule(Base):
    """Which rows and fields an organisation category sees: data, edited by system administrators."""

    __tablename__ = "record_scope_rules"

    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    row_scope: Mapped[str] = mapped_column(String(20))  # see scope.ROW_SCOPES
    fields: Mapped[str] = mapped_column(Text, default="")  # field keys, comma-separated
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
