"""The files a message carries, kept through the one storage interface (`storage.files`): stored when the message is
queued, read back (their SHA-256 checked) by every attempt to send it and by every download from the thread; and the
files of a received mail that waits for a case (the unmatched list) until staff assign it.

A file sent is a business letter (a dispute letter, an itinerary, a copy of an invoice): kind `letter`, kept for
RETENTION_LETTER_YEARS and locked. One marked as health data (a medical record sent to a hospital or a physician) is
kind `mail_attachment`: kept as medical records are (RETENTION_MEDICAL_YEARS) and not locked, so that a patient's
erasure can delete it; so is every file received (what a patient or a hospital sends is health data). Each is
written once under `archive/<year>/<message id>-<file name>-<start of its hash>.<ext>`; if the message's transaction
rolls back, the file goes again (`storage.transactions`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from flask_babel import gettext as _

from backoffice.dbtypes import operator_today
from backoffice.errors import NotFound
from backoffice.messages.models import MessageAttachment
from backoffice.storage import archive, files
from backoffice.storage.transactions import discard_on_rollback

LETTER = "letter"
HEALTH_DATA = "mail_attachment"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MAX_STEM = 60


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    key: str
    sha256: str
    size: int


def kind_of(*, health_data: bool) -> str:
    return HEALTH_DATA if health_data else LETTER


def safe_name(filename: str) -> tuple[str, str]:
    """The file name as a store's name may carry it: an ASCII stem (accents dropped, anything else a `-`) and its
    extension ("bin" without one)."""
    path = PurePosixPath(filename.replace("\\", "/")).name
    stem, dot, extension = path.rpartition(".")
    if not dot or not stem:
        stem, extension = path, ""
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = _UNSAFE.sub("-", plain).strip("-")[:MAX_STEM].strip("-") or "file"
    suffix = _UNSAFE.sub("", extension).lower()[:10] or "bin"
    return plain, suffix


def store_message_file(message_id: int, filename: str, content: bytes, *, health_data: bool) -> StoredAttachment:
    """Keep a file of message `message_id` (in the caller's transaction); it goes again on rollback."""
    stem, suffix = safe_name(filename)
    stored = archive.store_file(
        f"{message_id}-{stem}", operator_today().year, content, suffix=suffix, kind=kind_of(health_data=health_data)
    )
    key = archive.AREA + stored.filename
    discard_on_rollback(key)
    return StoredAttachment(key, stored.sha256, stored.size)


def read_kept(file: MessageAttachment) -> bytes:
    """A kept file's bytes from the store, refused unless they are the bytes recorded (`files.read`: a 503 whose
    trace audits the refusal)."""
    if file.stored_key is None:
        raise NotFound(_("This file is not kept with the message."))
    return files.read(file.stored_key, file.sha256)
