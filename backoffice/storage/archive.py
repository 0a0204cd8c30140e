"""The archive of documents that must never change once given out or received: issued invoices and credit notes,
sent offers and reminders, bills' and suppliers' original files, the accountant's booking batches.

A document is written once under `archive/<year>/<number>-<start of its SHA-256>.<suffix>` through the one storage
interface (`storage.files`: the local folder INVOICE_ARCHIVE or the object store), with the retention its kind has
by law, and never rewritten: every later download serves exactly those bytes, checked against the SHA-256 stored
with the document. The hash in the name keeps two databases sharing one store (a test run, a demo) from ever
replacing each other's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from backoffice.errors import DomainError
from backoffice.storage import files
from backoffice.storage.backends import MissingFile, StorageUnavailable
from backoffice.trail import record_event

AREA = "archive/"


class ArchiveError(DomainError):
    """The archive cannot take or give back a document; the message says what to do."""

    status_code = 503


@dataclass(frozen=True, slots=True)
class ArchivedPdf:
    filename: str  # inside the archive area
    sha256: str
    size: int


def store_pdf(number: str, year: int, pdf: bytes, *, kind: str) -> ArchivedPdf:
    """Keep an issued invoice's, a sent offer's or a reminder's PDF and return what to store with it."""
    return store_file(number, year, pdf, suffix="pdf", kind=kind)


def store_file(number: str, year: int, data: bytes, *, suffix: str, kind: str) -> ArchivedPdf:
    """Keep a document that must never change and return what to store with it: a PDF given out, the file a
    hospital's or a supplier's bill came in (its legal original: CSV, XML or PDF), a booking batch.

    The name carries the content's hash, so a file already there under it holds these very bytes."""
    filename = f"{year}/{number}-{files.sha256_of(data)[:16]}.{suffix}"
    try:
        row = files.put(AREA + filename, data, kind=kind, dated=date(year, 1, 1))
    except StorageUnavailable as exc:
        current_app.logger.error("archive refused %s: %s", filename, exc.message)
        raise ArchiveError(
            _(
                "The archive cannot store %(number)s (%(problem)s); nothing was issued or sent. "
                "Ask an administrator to check the archive's disk and permissions.",
                number=number,
                problem=exc.message,
            )
        ) from exc
    return ArchivedPdf(filename=filename, sha256=row.sha256, size=row.size)


def discard_pdf(filename: str) -> None:
    """Remove a document whose issue did not commit (its number goes back to the series)."""
    files.discard(AREA + filename)


def read_pdf(filename: str, sha256: str) -> bytes:
    """The archived bytes of an issued invoice, a sent offer or a bill's original file, refused if missing or not
    the bytes given out or received."""
    try:
        return files.read(AREA + filename, sha256)
    except MissingFile as exc:
        current_app.logger.error("archived document %s missing: %s", filename, exc.message)
        raise ArchiveError(
            _("The archived PDF of this document cannot be read; an administrator has to restore it.")
        ) from exc
    except StorageUnavailable as exc:
        current_app.logger.error("archived document %s unreadable: %s", filename, exc.message)
        message = (
            _("The archived PDF of this document differs from the one given out; it is not served.")
            if exc.trace
            else _("The archived PDF of this document cannot be read; an administrator has to restore it.")
        )
        raise ArchiveError(message, trace=exc.trace) from exc


def read_recorded(
    filename: str, sha256: str, *, action: str, actor_id: int, object_type: str, object_id: int, details: dict
) -> bytes:
    """`read_pdf`, and who read which patient's financial document written to the audit trail (every download of an
    invoice or an offer, by staff or the patient, is recorded)."""
    pdf = read_pdf(filename, sha256)
    record_event(action, actor_id=actor_id, object_type=object_type, object_id=object_id, details=details)
    return pdf


def archive_root() -> Path:
    """The local folder of the archive (INVOICE_ARCHIVE): where the local backend keeps it."""
    return files.local_backend().roots["archive"]
