"""The archive of PDFs that must never change once given out: issued invoices and sent treatment offers
(INVOICE_ARCHIVE, `invoices/` by default).

A PDF is written once, when its invoice is issued or its offer sent, under `<year>/<number>-<start of its
SHA-256>.pdf`, and never rewritten: every later download serves exactly those bytes, checked against the SHA-256
stored with the document. The
hash in the name keeps two databases sharing one archive (a test run, a demo) from ever replacing each other's files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from backoffice.config import settings
from backoffice.errors import DomainError
from backoffice.trail import record_event


class ArchiveError(DomainError):
    """The archive cannot take or give back a PDF; the message says what to do."""

    status_code = 503


@dataclass(frozen=True, slots=True)
class ArchivedPdf:
    filename: str  # relative to the archive
    sha256: str
    size: int


def archive_root() -> Path:
    return settings().invoice_archive.resolve()


def _path_of(filename: str) -> Path:
    root = archive_root()
    path = (root / filename).resolve()
    if not path.is_relative_to(root):
        raise ArchiveError(_("An invoice file name points outside the archive."))
    return path


def store_pdf(number: str, year: int, pdf: bytes) -> ArchivedPdf:
    """Write an issued invoice's or a sent offer's PDF durably and return what to store with it."""
    return store_file(number, year, pdf, suffix="pdf")


def store_file(number: str, year: int, data: bytes, *, suffix: str) -> ArchivedPdf:
    """Write a document that must never change durably (temporary file, fsync, rename) and return what to store with
    it: a PDF given out, or the file a hospital's bill came in (its legal original: CSV, XML or PDF).

    The name carries the content's hash, so a file already there under it holds these very bytes."""
    digest = hashlib.sha256(data).hexdigest()
    filename = f"{year}/{number}-{digest[:16]}.{suffix}"
    path = _path_of(filename)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".issuing-", suffix=f".{suffix}", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        current_app.logger.error("archive refused %s: %s", filename, exc)
        raise ArchiveError(
            _(
                "The archive cannot store %(number)s (%(problem)s); nothing was issued or sent. "
                "Ask an administrator to check the archive's disk and permissions.",
                number=number,
                problem=exc.strerror or exc,
            )
        ) from exc
    return ArchivedPdf(filename=filename, sha256=digest, size=len(data))


def discard_pdf(filename: str) -> None:
    """Remove a PDF whose issue did not commit (its number goes back to the series)."""
    try:
        _path_of(filename).unlink(missing_ok=True)
    except OSError as exc:  # pragma: no cover - logged; a stray file is replaced at the next issue of that number
        current_app.logger.warning("could not remove %s after a failed issue: %s", filename, exc)


def read_pdf(filename: str, sha256: str) -> bytes:
    """The archived bytes of an issued invoice, a sent offer or a bill's original file, refused if missing or not
    the bytes given out or received."""
    path = _path_of(filename)
    try:
        data = path.read_bytes()
    except OSError as exc:
        current_app.logger.error("archived PDF %s unreadable: %s", filename, exc)
        raise ArchiveError(
            _("The archived PDF of this document cannot be read; an administrator has to restore it.")
        ) from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        current_app.logger.error("archived PDF %s does not match its SHA-256", filename)
        raise ArchiveError(_("The archived PDF of this document differs from the one given out; it is not served."))
    return data


def read_recorded(
    filename: str, sha256: str, *, action: str, actor_id: int, object_type: str, object_id: int, details: dict
) -> bytes:
    """`read_pdf`, and who read which patient's financial document written to the audit trail (every download of an
    invoice or an offer, by staff or the patient, is recorded)."""
    pdf = read_pdf(filename, sha256)
    record_event(action, actor_id=actor_id, object_type=object_type, object_id=object_id, details=details)
    return pdf
