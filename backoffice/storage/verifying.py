"""`flask storage verify`: every stored file read back from the store its record names and held against its recorded
size and SHA-256, so that a lost disk, a file changed behind the app's back or a bucket emptied by mistake is found
before somebody needs the invoice.

The records are read in batches of plain columns (a store of a million files never sits in memory); a store that
does not answer is asked once more (`check`) and then no longer tried: its remaining files are counted unreachable
instead of each waiting for the timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from sqlalchemy import select

from backoffice import trail
from backoffice.extensions import db
from backoffice.storage import files
from backoffice.storage.backends import MissingFile, StorageUnavailable
from backoffice.storage.models import StoredFile

VERIFIED = "storage_verified"
BATCH_SIZE = 500
COLUMNS = (StoredFile.id, StoredFile.key, StoredFile.size, StoredFile.sha256, StoredFile.location)


@dataclass
class Verification:
    """What a run found; `problems` are one line each, for the administrator."""

    checked: int = 0
    bytes: int = 0
    ok: int = 0
    missing: int = 0
    differing: int = 0
    unreachable: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def all_ok(self) -> bool:
        return self.ok == self.checked

    def counts(self) -> dict[str, int]:
        return {name: value for name, value in asdict(self).items() if name != "problems"}


def stored_rows(*, where=(), batch_size: int = BATCH_SIZE) -> Iterator:
    """The not deleted files' records (id, key, size, sha256, location, ...), in id order, one batch per query."""
    last_id = 0
    while True:
        batch = db.session.execute(
            select(*COLUMNS, StoredFile.kind, StoredFile.retain_until)
            .where(StoredFile.deleted_at.is_(None), StoredFile.id > last_id, *where)
            .order_by(StoredFile.id)
            .limit(batch_size)
        ).all()
        yield from batch
        if len(batch) < batch_size:
            return
        last_id = batch[-1].id


def verify(*, batch_size: int = BATCH_SIZE, report: Callable[[str], None] = lambda line: None) -> Verification:
    """Check every stored file against its record; `report` gets each problem as it is found. Records one audit
    event (`storage_verified`) with the counts in the caller's transaction."""
    result = Verification()
    down: dict[str, str] = {}  # location -> why its store is not tried any more
    for row in stored_rows(batch_size=batch_size):
        result.checked += 1
        result.bytes += row.size
        problem = _problem_of(row, down)
        if problem is None:
            result.ok += 1
            continue
        kind, line = problem
        setattr(result, kind, getattr(result, kind) + 1)
        result.problems.append(line)
        report(line)
    trail.record_event(VERIFIED, object_type="stored_files", details=result.counts())
    return result


def _problem_of(row, down: dict[str, str]) -> tuple[str, str] | None:
    """None when the file is as recorded; else (counter, line)."""
    if row.location in down:
        return "unreachable", f"unreachable  {row.key}  ({row.location}: {down[row.location]})"
    try:
        store = files.backend(row.location)
        data = store.get(row.key)
    except MissingFile:
        return "missing", f"missing      {row.key}  (not in {row.location})"
    except StorageUnavailable as failure:
        health = _health_of(row.location)
        if health is not None:
            down[row.location] = health
            return "unreachable", f"unreachable  {row.key}  ({row.location}: {health})"
        return "unreachable", f"unreachable  {row.key}  ({failure.message})"
    found = files.sha256_of(data)
    if found != row.sha256 or len(data) != row.size:
        return "differing", (
            f"differs      {row.key}  ({row.location}: {len(data)} bytes, sha256 {found}; "
            f"recorded {row.size} bytes, sha256 {row.sha256})"
        )
    return None


def _health_of(location: str) -> str | None:
    """Why `location`'s store is not usable at all (None: it answers; only this one file failed)."""
    try:
        health = files.backend(location).check()
    except StorageUnavailable as failure:
        return failure.message
    return None if health.ok else health.detail
