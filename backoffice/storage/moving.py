"""`flask storage move --to s3|local`: the stored files moved from the local folders into the bucket, or back, one
file at a time, so that a move stopped anywhere (Ctrl-C, a kill, the store going away) is taken up again by running
the same command.

Each file: read from where its record says it is, its SHA-256 checked (a file that differs is not moved: it is
reported), written to the other store with the retention lock its kind has, read back and checked again, its record's
`location` changed and committed, and only then the old copy removed. So at every moment the record names a copy
that is there and whole. A copy a stopped run left behind in the target is found and used again; one left in the
local folders after its commit is removed by the next run. In the object store a locked object cannot be removed
before its date: it stays there, named by no record, and the run says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import update

from backoffice.extensions import db
from backoffice.storage import files, retention
from backoffice.storage.backends import Backend, MissingFile, RetainedFile, StorageUnavailable
from backoffice.storage.models import LOCATIONS, StoredFile
from backoffice.storage.verifying import BATCH_SIZE, stored_rows


@dataclass(frozen=True)
class Step:
    """One file's outcome: `moved` (maybe with a `note` about its old copy), `refused` (not moved, `note` says
    why: missing, differs), `leftover` (an old copy of an earlier run removed), `would_move` (dry run)."""

    outcome: str
    key: str
    size: int = 0
    note: str = ""


class MoveStopped(Exception):
    """The target (or the source as a whole) went away: nothing more can move now; run the command again later."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def pending(to: str, *, batch_size: int = BATCH_SIZE) -> Iterator:
    """The records of the files not yet in `to`, in id order."""
    return stored_rows(where=(StoredFile.location != to,), batch_size=batch_size)


def move_files(
    to: str, *, limit: int | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> Iterator[Step]:
    """Move every file not in `to` there, committing each one; yields each file's `Step`. Raises `MoveStopped` when
    the target fails (what was committed stays moved)."""
    if to not in LOCATIONS:
        raise ValueError(f"--to must be one of {LOCATIONS}")
    if to == "s3" and files.configured_location() != "s3":
        raise MoveStopped("STORAGE_URL is empty: set it to the bucket (s3://bucket/prefix, and S3_ENDPOINT_URL)")
    target = files.backend(to)
    if not dry_run:
        health = target.check()
        if not health.ok:
            raise MoveStopped(f"the target {target.describe()} is not usable: {health.detail}")
        yield from _leftovers(to, target, batch_size=batch_size)
    for row in itertools.islice(pending(to, batch_size=batch_size), limit):
        if dry_run:
            yield Step("would_move", row.key, row.size, f"{row.location} -> {to}")
        else:
            yield _move_one(row, target)


def _move_one(row, target: Backend) -> Step:
    try:
        source = files.backend(row.location)
        data = source.get(row.key)
    except MissingFile:
        return Step("refused", row.key, row.size, f"missing from {row.location}: not moved")
    except StorageUnavailable as failure:
        raise MoveStopped(f"{row.key} could not be read: {failure.message}") from failure
    if files.sha256_of(data) != row.sha256 or len(data) != row.size:
        return Step("refused", row.key, row.size, f"differs from its record in {row.location}: not moved")
    try:
        if not _already_there(target, row.key, row.sha256):
            lock = row.retain_until if row.kind in retention.LOCKED_KINDS else None
            target.put(row.key, data, retain_until=lock)
        written = target.get(row.key)
    except (StorageUnavailable, MissingFile) as failure:
        raise MoveStopped(f"{row.key} could not be written to {target.describe()}: {failure.message}") from failure
    if files.sha256_of(written) != row.sha256:
        return Step("refused", row.key, row.size, f"read back from {target.name} with another SHA-256: not moved")
    changed = db.session.execute(
        update(StoredFile)
        .where(StoredFile.id == row.id, StoredFile.location == row.location)
        .values(location=target.name)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not changed:  # another run moved it in the meantime
        return Step("moved", row.key, row.size, "moved by another run")
    return Step("moved", row.key, row.size, _remove_old_copy(source, row.key))


def _already_there(target: Backend, key: str, sha256: str) -> bool:
    """A copy an interrupted run wrote but did not record: used again when its bytes are right (in a bucket with
    Object Lock, writing it again would only add a locked version)."""
    return target.exists(key) and files.sha256_of(target.get(key)) == sha256


def _remove_old_copy(source: Backend, key: str) -> str:
    try:
        source.delete(key)
    except RetainedFile:
        return f"its old copy stays in {source.name} under its retention lock; no record names it"
    except StorageUnavailable as failure:
        return f"its old copy in {source.name} could not be removed ({failure.message})"
    return ""


def _leftovers(to: str, target: Backend, *, batch_size: int) -> Iterator[Step]:
    """Old local copies of files already recorded in the bucket (a run stopped between its commit and the removal):
    removed. Only local ones are looked for: a stat each, where a bucket would cost a request per file."""
    if to == "local":
        return
    local = files.local_backend()
    for row in stored_rows(where=(StoredFile.location == to,), batch_size=batch_size):
        if local.exists(row.key):
            yield Step("leftover", row.key, row.size, _remove_old_copy(local, row.key) or "old local copy removed")
