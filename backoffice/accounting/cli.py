"""`flask accounting datev-export --from 2026-11-01 --to 2026-11-30 [--out FILE]`: the DATEV export of a period from
the command line (a month-end script), recorded exactly as one made on the page.

The batch's file goes to FILE (or stays in the archive only); a summary (bookings carried, bookings left out because
earlier exports carried them, the file's SHA-256) goes to stderr. Exit status 0 when a batch was exported; 2, with a
message, when the period is refused or nothing is new.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from backoffice.accounting import exports
from backoffice.errors import CommandRefused, DomainError
from backoffice.extensions import db
from backoffice.storage import archive

accounting_cli = AppGroup("accounting", help="The accountant's books: DATEV exports.")


@accounting_cli.command("datev-export")
@click.option("--from", "period_from", default="", help="First day, YYYY-MM-DD (default: last month).")
@click.option("--to", "period_to", default="", help="Last day, YYYY-MM-DD (default: last month).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Write the file here.")
def datev_export_command(period_from: str, period_to: str, out: Path | None) -> None:
    """Export what no earlier export carried of the period as a DATEV booking batch."""
    try:
        export = exports.export_period(exports.parse_period(period_from, period_to), actor_id=None, exported_by="CLI")
        summary = (
            f"{export.booking_count} bookings exported, {export.earlier_count} left out (carried by earlier exports); "
            f"sha256 {export.sha256}"
        )
        filename, sha256 = export.filename, export.sha256
        db.session.commit()
    except DomainError as refusal:
        db.session.rollback()
        raise CommandRefused(refusal.message) from None
    if out is not None:
        out.write_bytes(archive.read_pdf(filename, sha256))
    click.echo(summary, err=True)
