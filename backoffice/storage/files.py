"""The one way the app keeps and reads files: put, read, exists, delete where allowed, each with its record.

`put` writes the bytes to the configured store (STORAGE_URL: empty for the local folders, s3://bucket/prefix for an
object store) and adds the `StoredFile` row in the caller's transaction: if that transaction rolls back, `discard`
removes the bytes again (the caller registers that). `read` takes the bytes from wherever the row says they are
(during `flask storage move` some are local, some in the bucket) and refuses them unless their SHA-256 is the one
recorded: such a refusal is logged and audited. `delete` refuses a file under retention in either store.
"""

from __future__ import annotations

import hashlib
from datetime import date

from flask import current_app
from sqlalchemy import select

from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.storage import retention
from backoffice.storage.backends import Backend, LocalBackend, MissingFile, RetainedFile, StorageUnavailable, split_key
from backoffice.storage.models import StoredFile
from backoffice.storage.s3 import S3Backend

EXTENSION = "storage_backends"
HASH_REFUSED = "stored_file_refused"


def local_backend() -> LocalBackend:
    """The local folders as the settings name them now (cheap: nothing is opened)."""
    return LocalBackend({"archive": settings().invoice_archive, "documents": settings().case_documents_dir})


def configured_location() -> str:
    return "s3" if settings().storage_url else "local"


def backend(location: str | None = None) -> Backend:
    """The backend holding `location`'s files (default: the configured one, where new files go)."""
    location = location or configured_location()
    if location == "local":
        return local_backend()
    current = settings()
    if not current.storage_url:
        raise StorageUnavailable(
            "this file is in the object store, but STORAGE_URL is empty: set it (and S3_ENDPOINT_URL) to read it"
        )
    # One client per process and configuration (a boto3 client is thread-safe and keeps its connections).
    identity = (current.storage_url, current.s3_endpoint_url, current.storage_timeout_seconds)
    clients = current_app.extensions.setdefault(EXTENSION, {})
    if identity not in clients:
        clients[identity] = S3Backend(
            current.storage_url, endpoint_url=current.s3_endpoint_url, timeout_seconds=current.storage_timeout_seconds
        )
    return clients[identity]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_of(key: str) -> StoredFile | None:
    return db.session.scalar(select(StoredFile).where(StoredFile.key == key))


def put(key: str, data: bytes, *, kind: str, dated: date) -> StoredFile:
    """Store `data` under `key` and record it. A key already recorded with these very bytes is kept as it is (keys
    of issued documents carry their hash); other bytes under a recorded key are refused."""
    split_key(key)
    digest = sha256_of(data)
    row = record_of(key)
    if row is not None and row.deleted_at is None:
        if row.sha256 != digest:
            raise StorageUnavailable(f"{key} is already stored with other content; it is never overwritten")
        return row
    store = backend()
    store.put(key, data, retain_until=retention.lock_until(kind, dated))
    if row is None:
        row = StoredFile(key=key, kind=kind)
        db.session.add(row)
    row.size, row.sha256, row.location, row.deleted_at = len(data), digest, store.name, None
    row.stored_at = utcnow()
    row.retain_until = retention.end_of_retention(kind, dated)
    db.session.flush()
    return row


def read(key: str, sha256: str) -> bytes:
    """The stored bytes, refused (logged and audited) when they are not the bytes recorded."""
    row = record_of(key)
    location = row.location if row is not None else configured_location()
    data = backend(location).get(key)
    found = sha256_of(data)
    if found != sha256 or (row is not None and row.sha256 != sha256):
        current_app.logger.error(
            "stored file %s does not match its SHA-256 (found %s, expected %s)", key, found, sha256
        )
        raise StorageUnavailable(
            f"{key} differs from the file recorded; it is not served",
            trace={
                "action": HASH_REFUSED,
                "object_type": "stored_file",
                "object_id": row.id if row is not None else key,
                "details": {"key": key, "expected_sha256": sha256, "found_sha256": found, "location": location},
            },
        )
    return data


def exists(key: str) -> bool:
    row = record_of(key)
    return row is not None and row.deleted_at is None and backend(row.location).exists(key)


def delete(key: str, *, today: date) -> StoredFile:
    """Delete a file's bytes for good (a patient's erasure, the end of its retention); its row stays as the record.
    Refused while the file is under retention."""
    row = record_of(key)
    if row is None:
        raise MissingFile(f"{key} is not a stored file")
    refuse_if_retained(row, today=today)
    backend(row.location).delete(key)
    row.deleted_at = utcnow()
    db.session.flush()
    return row


def refuse_if_retained(row: StoredFile, *, today: date) -> None:
    """Raise `RetainedFile` while the law keeps the file (a locked kind, its last day not passed): asked by `delete`,
    and before a deletion of several files begins, so that none goes when one must stay."""
    if row.retain_until is not None and row.retain_until >= today and row.kind in retention.LOCKED_KINDS:
        raise RetainedFile(
            f"{row.key} is kept by law until {row.retain_until.isoformat()}; it cannot be deleted before"
        )


def discard(key: str) -> None:
    """Remove the bytes of a file whose transaction did not commit (the row went with it). Best effort: a file the
    store keeps under retention stays, unnamed by any record, and the log says so."""
    try:
        backend().delete(key)
    except (StorageUnavailable, RetainedFile) as exc:
        current_app.logger.warning("could not remove %s after its transaction rolled back: %s", key, exc.message)
