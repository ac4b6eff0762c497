"""Loading facility records: from a CSV file (all or nothing) and from the synthetic generator."""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from typing import IO, Any, Iterable

from sqlalchemy import insert, select, text, update

from webapp import clock
from webapp.audit import service as audit
from webapp.extensions import db
from webapp.records import generator, search_index
from webapp.records.fields import BY_KEY, FIELDS, FieldError, header_names, heading_key, parse
from webapp.records.models import FacilityRecord

BATCH = 1000
MAX_ERRORS_SHOWN = 20
REQUIRED_COLUMNS = tuple(f.key for f in FIELDS if f.required)


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def fail(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(message)


def _columns(header: list[str], report: ImportReport) -> list[str | None]:
    names = header_names()
    columns = [names.get(heading_key(name)) for name in header]
    # A misspelt heading (plant_nmae) would have dropped its column's data without a word. A blank
    # heading (the empty columns a spreadsheet may leave at the end) is let through; read_csv
    # refuses a value under it.
    unknown = [name.strip() for name, key in zip(header, columns) if key is None and heading_key(name)]
    if unknown:
        report.fail(f"line 1: unknown column{'s' if len(unknown) > 1 else ''} "
                    f"{', '.join(repr(name) for name in unknown)}; the columns are the field keys or labels "
                    f"({', '.join(f.key for f in FIELDS)})")
    for key in REQUIRED_COLUMNS:
        if key not in columns:
            report.fail(f"line 1: the column {key!r} ({BY_KEY[key].label}) is missing")
    seen: set[str] = set()
    for key in columns:
        if key is not None and key in seen:
            report.fail(f"line 1: the column {key!r} appears twice")
        if key is not None:
            seen.add(key)
    return columns


def read_csv(stream: IO[str]) -> tuple[list[dict[str, Any]], ImportReport]:
    """Every row parsed, or the report's errors (line numbers as a spreadsheet shows them)."""
    report = ImportReport()
    reader = csv.reader(stream)
    line = 0
    try:
        header = next(reader, None)
        if header is None:
            report.fail("the file is empty")
            return [], report
        line = reader.line_num
        columns = _columns(header, report)
        if report.error_count:
            return [], report
        rows: list[dict[str, Any]] = []
        seen_ids: set[str] = set()
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                report.fail(f"line {line}: {len(row)} cells where the header has {len(columns)}")
                continue
            values: dict[str, Any] = {}
            for number, (key, cell) in enumerate(zip(columns, row), start=1):
                if key is None:
                    if cell.strip():
                        report.fail(f"line {line}: a value in column {number}, which has no heading")
                    continue
                try:
                    values[key] = parse(BY_KEY[key], cell)
                except FieldError as problem:
                    report.fail(f"line {line}: {key}: {problem}")
            if "facility_id" in values:
                if values["facility_id"] in seen_ids:
                    report.fail(f"line {line}: facility_id {values['facility_id']!r} appears twice in the file")
                seen_ids.add(values["facility_id"])
            rows.append(values)
    except csv.Error as problem:
        # The row that could not be read begins after the last one read: reader.line_num has
        # counted whatever part of it was read (a quoted cell can run over several lines).
        report.fail(f"line {line + 1}: unreadable: {problem}")
    return rows, report


def store(rows: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Insert new facility IDs and update known ones in the current transaction: (added, updated)."""
    added = updated = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal added, updated
        now = clock.now()
        known = dict(db.session.execute(select(FacilityRecord.facility_id, FacilityRecord.id).where(
            FacilityRecord.facility_id.in_([r["facility_id"] for r in batch]))).all())
        new = [{**r, "updated_at": now} for r in batch if r["facility_id"] not in known]
        changed = [{**r, "id": known[r["facility_id"]], "updated_at": now} for r in batch if r["facility_id"] in known]
        if new:
            db.session.execute(insert(FacilityRecord), new)
        if changed:
            db.session.execute(update(FacilityRecord), changed)
        added += len(new)
        updated += len(changed)
        batch.clear()

    with search_index.bulk_loading(db.session):
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    if added:  # the planner picks the scope's index by these statistics
        db.session.execute(text("ANALYZE facility_records"))
    return added, updated


def _where_undecodable(stream: IO[bytes], problem: UnicodeDecodeError) -> str:
    """The byte and line in the whole file: the decoder's own position counts from the start of
    the chunk it was reading (an operator was sent to byte 2063 of a mistake at byte 174095)."""
    try:
        stream.seek(0)
        data = stream.read()
    except (OSError, ValueError):  # a stream that cannot go back
        return f"near byte {problem.start} of the part read last"
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        data[skip:].decode("utf-8")
    except UnicodeDecodeError as whole:
        start = skip + whole.start
        line = data.count(b"\n", 0, start) + 1
        return f"at byte {start}, line {line}"
    return f"near byte {problem.start} of the part read last"


def import_csv(stream: IO[bytes], source_name: str) -> ImportReport:
    """Load a CSV file (UTF-8, with or without BOM): every row or, on any error, none."""
    try:
        decoded = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        rows, report = read_csv(decoded)
    except UnicodeDecodeError as problem:
        report = ImportReport()
        report.fail(f"the file is not UTF-8 ({problem.reason} {_where_undecodable(stream, problem)}); "
                    "save it as CSV UTF-8")
        return report
    if report.error_count:
        return report
    report.added, report.updated = store(rows)
    audit.record("records.imported", target=source_name[:200], added=report.added, updated=report.updated)
    db.session.commit()
    return report


def next_generated_index() -> int:
    """After the highest generated ID. An imported ID that only starts like one ("SYNZZZ") is
    passed over: taking it for the last one restarted at 1 and overwrote generated records."""
    shaped = generator.facility_id(0).replace("0", "_")  # the prefix, then one "_" per digit
    candidates = db.session.scalars(select(FacilityRecord.facility_id).where(
        FacilityRecord.facility_id.like(shaped)).order_by(FacilityRecord.facility_id.desc()))
    for facility_id in candidates:
        digits = facility_id[len(generator.ID_PREFIX):]
        if digits.isascii() and digits.isdigit():
            return int(digits) + 1
    return 1


def generate(count: int, seed: int = generator.DEFAULT_SEED) -> tuple[int, int]:
    """Append `count` synthetic records after the ones generated before: (first index, added)."""
    start = next_generated_index()
    added, _updated = store(generator.records(start, count, seed))
    audit.record("records.generated", count=added, first=generator.facility_id(start),
                 last=generator.facility_id(start + count - 1), seed=seed)
    db.session.commit()
    return start, added
