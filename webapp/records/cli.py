"""`portal records import FILE.csv` and `portal records generate N` (SPEC §10)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from webapp.records import generator

DEMO_RECORDS = 2000


@click.group("records")
def records_group() -> None:
    """Certified facility records (認定設備)."""


@records_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_command(path: Path) -> None:
    """Load FILE.csv (UTF-8; header of field keys or labels): every row, or none when any is wrong."""
    from webapp.records.loading import import_csv

    try:
        stream = path.open("rb")
    except OSError as problem:
        click.echo(f"error: cannot read {path}: {problem.strerror}", err=True)
        sys.exit(2)
    with stream:
        report = import_csv(stream, path.name)
    if report.error_count:
        for message in report.errors:
            click.echo(f"error: {message}", err=True)
        if report.error_count > len(report.errors):
            click.echo(f"error: ... and {report.error_count - len(report.errors)} more", err=True)
        click.echo(f"{path.name}: {report.error_count} errors, nothing imported", err=True)
        sys.exit(1)
    click.echo(f"{path.name}: {report.added} added, {report.updated} updated")


@records_group.command("generate")
@click.argument("count", type=click.IntRange(1, 10_000_000))
@click.option("--seed", type=int, default=generator.DEFAULT_SEED, show_default=True,
              help="The same seed gives the same records.")
@with_appcontext
def generate_command(count: int, seed: int) -> None:
    """Add COUNT synthetic records (deterministic; for demos and benchmarks)."""
    from webapp.records.loading import generate

    start, added = generate(count, seed)
    click.echo(f"{added} records generated ({generator.facility_id(start)} to {generator.facility_id(start + count - 1)})")


def load_demo_records(_created: object) -> None:
    """The demo loads a few thousand synthetic records, enough for both demo organisations' scopes."""
    from webapp.records.loading import store

    store(generator.records(1, DEMO_RECORDS))
