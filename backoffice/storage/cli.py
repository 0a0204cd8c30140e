"""`flask storage ...`: the stored files from the command line.

- `check`: is the configured store usable (bucket there, credentials taken, endpoint answering)? `make run` asks it
  before anything else.
- `verify`: every stored file against its recorded size and SHA-256; one line per problem, a summary, exit 1 unless
  all are as recorded; the run is audited (`storage_verified`).
- `move --to s3|local [--limit N] [--dry-run]`: the files from the local folders into the bucket or back, one at a
  time, resumable; exit 1 unless every file moved.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from backoffice.extensions import db
from backoffice.storage import files, moving, verifying
from backoffice.storage.backends import StorageUnavailable

storage_cli = AppGroup("storage", help="Stored files: check the store, verify every file, move between stores.")


@storage_cli.command("check")
def check_command() -> None:
    """Say whether the configured store takes and gives back files; exit 1 (with what is wrong) when not."""
    try:
        store = files.backend()
        health = store.check()
    except (StorageUnavailable, ValueError) as failure:
        click.echo(f"Files: {getattr(failure, 'message', failure)}", err=True)
        sys.exit(1)
    if not health.ok:
        click.echo(f"Files: {store.describe()} is not usable: {health.detail}", err=True)
        sys.exit(1)
    click.echo(f"Files: {store.describe()} ({health.detail}): ok")


@storage_cli.command("verify")
@click.option("--batch-size", type=click.IntRange(min=1), default=verifying.BATCH_SIZE, show_default=True)
def verify_command(batch_size: int) -> None:
    """Check every stored file against its recorded SHA-256 and size in the store its record names."""
    result = verifying.verify(batch_size=batch_size, report=click.echo)
    db.session.commit()
    click.echo(
        f"{result.checked} files checked ({result.bytes:,} bytes): {result.ok} ok, {result.missing} missing, "
        f"{result.differing} differing, {result.unreachable} unreachable"
    )
    sys.exit(0 if result.all_ok else 1)


@storage_cli.command("move")
@click.option("--to", "to", type=click.Choice(("s3", "local")), required=True, help="Where the files go.")
@click.option("--limit", type=click.IntRange(min=1), help="Move at most this many files, then stop.")
@click.option("--dry-run", is_flag=True, help="Only list what would move.")
@click.option("--batch-size", type=click.IntRange(min=1), default=verifying.BATCH_SIZE, show_default=True)
def move_command(to: str, limit: int | None, dry_run: bool, batch_size: int) -> None:
    """Move the stored files to the bucket (s3) or to the local folders, one at a time; run again to go on."""
    counts = {"moved": 0, "refused": 0, "leftover": 0, "would_move": 0}
    size = 0
    try:
        for step in moving.move_files(to, limit=limit, dry_run=dry_run, batch_size=batch_size):
            counts[step.outcome] += 1
            size += step.size if step.outcome in ("moved", "would_move") else 0
            click.echo(f"{step.outcome.replace('_', ' '):<11} {step.key}" + (f"  ({step.note})" if step.note else ""))
    except StorageUnavailable as failure:
        _stop(f"{failure.message}", counts)
    except moving.MoveStopped as stopped:
        _stop(f"stopped: {stopped.message}", counts)
    except KeyboardInterrupt:
        db.session.rollback()
        _stop("interrupted", counts)
    if dry_run:
        click.echo(f"{counts['would_move']} files ({size:,} bytes) would move to {to}.")
        return
    click.echo(f"{counts['moved']} files ({size:,} bytes) moved to {to}, {counts['refused']} not moved.")
    if counts["leftover"]:
        click.echo(f"{counts['leftover']} old copies left by an earlier run were removed.")
    if counts["refused"]:
        sys.exit(1)
    left = sum(1 for _row in moving.pending(to, batch_size=batch_size))
    if left:
        click.echo(f"{left} files are not in {to} yet: run the command again to go on.")
        sys.exit(1)
    _remind(to)


def _stop(why: str, counts: dict[str, int]) -> None:
    db.session.rollback()
    click.echo(
        f"{why}\n{counts['moved']} files moved before that (each one recorded); run the same command again to go on.",
        err=True,
    )
    sys.exit(1)


def _remind(to: str) -> None:
    """New files go where STORAGE_URL says, whatever was moved."""
    if files.configured_location() != to:
        setting = "empty STORAGE_URL" if to == "local" else "set STORAGE_URL to the bucket"
        click.echo(f"Every file is in {to} now; {setting} so that new files go there too.")
