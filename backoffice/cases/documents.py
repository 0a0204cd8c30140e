"""Documents of a case (medical records, prescriptions, clearances, ...): uploading them into the document archive,
typing, previewing, handing them out again and removing them.

Files go through the one storage interface (`storage.files`: the folder CASE_DOCUMENTS_DIR, outside anything the
web server serves, or the object store), under a name
the server chooses; the name the patient gave the file is kept only for display and as the download name. The file
type is decided by the file's first bytes, never by its name alone, and the two must agree. The document type
(what the document is: a prescription, a physician's clearance, ...) is chosen by the coordinator and decides what it
may serve as: only a prescription backs a medicine order, only a clearance resolves a contraindication. A removed
document keeps its row and its file for the audit trail; lists no longer show it and nothing may rest on it.

The file checks and the rows they guard are one set of rules, read together; correcting a document's type and
removing it are in `document_changes`, sharing it with the patient in `document_sharing`.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from backoffice.auth.permissions import HEALTH_DATA_READERS
from backoffice.cases import states
from backoffice.cases.models import DOCUMENT_TYPES, CaseDocument
from backoffice.cases.operations import get_case, record_case_event
from backoffice.config import settings
from backoffice.dbtypes import operator_today
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.patients.restriction import refuse_changes
from backoffice.storage import files
from backoffice.storage.backends import MissingFile
from backoffice.trail import record_event

# Finance and patients never see medical records, not even their names.
MEDICAL_RECORD_ROLES = HEALTH_DATA_READERS

# content type -> (label for people, signature at the start of the file, extensions it may be named with)
KINDS: dict[str, tuple[str, bytes, tuple[str, ...]]] = {
    "application/pdf": (N_("PDF document"), b"%PDF-", (".pdf",)),
    "image/jpeg": (N_("JPEG image"), b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (N_("PNG image"), b"\x89PNG\r\n\x1a\n", (".png",)),
}
EXTENSIONS = {extension: content_type for content_type, (_, _, exts) in KINDS.items() for extension in exts}
ACCEPT = ",".join(EXTENSIONS)  # for the file input's accept attribute: .pdf,.jpg,.jpeg,.png
MAX_FILENAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 300
_CHUNK = 64 * 1024
_STORED_NAME = re.compile(r"[0-9a-f]{32}")


class DocumentError(DomainError):
    pass


class DocumentTooLarge(DocumentError):
    status_code = 413


def kind_label(content_type: str) -> str:
    return KINDS.get(content_type, (content_type, b"", ()))[0]


def sniff(head: bytes) -> str | None:
    """The content type announced by the file's first bytes, or None for anything but PDF, JPEG and PNG."""
    return next((content_type for content_type, (_, magic, _) in KINDS.items() if head.startswith(magic)), None)


def display_name(filename: str | None) -> str:
    """The uploaded name made safe to show and to offer as a download name.

    Only the last path component is kept (browsers and attackers send `C:\\scans\\x.pdf` or `../../x.pdf`); control
    and invisible formatting characters (such as right-to-left overrides that disguise an extension) are dropped;
    the result fits 255 characters with its extension intact.
    """
    name = re.split(r"[/\\]", filename or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_FILENAME_LENGTH:
        stem, extension = os.path.splitext(name)
        extension = extension[:16]
        name = stem[: MAX_FILENAME_LENGTH - len(extension)].rstrip(" .") + extension
    return name


def documents_dir() -> Path:
    """The archive folder, created on first use; refused if it lies inside the web-served static folder."""
    folder = settings().case_documents_dir.resolve()
    static = Path(current_app.static_folder or "").resolve()
    if current_app.static_folder and folder.is_relative_to(static):
        raise RuntimeError("CASE_DOCUMENTS_DIR must not lie inside the static folder: records would be served")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def max_document_bytes() -> int:
    return int(settings().max_document_mb * 1024 * 1024)


def check_document_type(document_type: str | None) -> str:
    if document_type not in DOCUMENT_TYPES:
        raise DocumentError("Choose what the document is: " + ", ".join(DOCUMENT_TYPES.values()).lower() + ".")
    return document_type


def store_document(
    case_id: int,
    file_storage: FileStorage | None,
    description: str,
    actor_id: int,
    document_type: str = "medical_record",
    *,
    request_id: int | None = None,
    verb: str = "Uploaded",
) -> CaseDocument:
    """Add an uploaded document of the given type (medical record, prescription, clearance, ...) to a case, by staff
    or (`verb` "The patient uploaded", answering the document request `request_id`) by the patient in the portal.

    Only PDF, JPEG and PNG files, recognised by their content, named with a matching extension, not empty and not
    above MAX_DOCUMENT_MB. Closed and cancelled cases take no more records. The file is written under a random name
    and removed again if the database refuses the row, so nothing half-stored is left behind.
    """
    if file_storage is None or not file_storage.filename:
        raise DocumentError(_("Choose a file to upload."))
    stream = file_storage.stream
    return _store(case_id, file_storage.filename, stream, description, actor_id, document_type, verb, request_id)


def store_bytes(
    case_id: int,
    filename: str,
    content: bytes,
    *,
    description: str,
    actor_id: int | None,
    document_type: str = "received",
) -> CaseDocument:
    """Add a file that came as bytes (an attachment of a reply by mail) to a case, under the same rules as an
    upload: PDF, JPEG or PNG by content and name, not empty, not above MAX_DOCUMENT_MB, not on a closed case.
    `actor_id` None: nobody uploaded it (it came with a mail); the document has no uploader."""
    return _store(case_id, filename, io.BytesIO(content), description, actor_id, document_type, verb="Received")


def _store(
    case_id: int,
    filename: str,
    stream: IO[bytes],
    description: str,
    actor_id: int | None,
    document_type: str,
    verb: str = "Uploaded",
    request_id: int | None = None,
) -> CaseDocument:
    case = get_case(case_id)
    refuse_changes(case.patient)  # an erased patient's case takes no new documents
    if case.state in states.FINAL:
        raise DocumentError(
            _("Case %(number)s is closed; no more documents can be added to it.", number=case.number)
            if case.state == "closed"
            else _("Case %(number)s is cancelled; no more documents can be added to it.", number=case.number)
        )
    document_type = check_document_type(document_type)
    name = display_name(filename)
    extension = os.path.splitext(name)[1].lower()
    expected = EXTENSIONS.get(extension)
    if expected is None:
        raise DocumentError(
            _(
                "“%(name)s” cannot be uploaded: only PDF, JPEG and PNG files are accepted "
                "(named .pdf, .jpg, .jpeg or .png).",
                name=name or "…",
            )
        )
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise DocumentError(_("Keep the description under %(count)s characters.", count=MAX_DESCRIPTION_LENGTH))

    documents_dir()  # refused if it lies inside the web-served folder
    data = _receive(stream, name)
    size, sha256, head = len(data), files.sha256_of(data), data[:16]
    if size == 0:
        raise DocumentError(_("“%(name)s” is empty.", name=name))
    detected = sniff(head)
    if detected is None:
        raise DocumentError(
            _(
                "“%(name)s” is not a %(kind)s: its content is not a PDF, JPEG or PNG file.",
                name=name,
                kind=_(KINDS[expected][0]),
            )
        )
    if detected != expected:
        raise DocumentError(
            _(
                "“%(name)s” looks like a %(kind)s but is named %(extension)s. "
                "Rename it with the right extension, or upload the intended file.",
                **{"name": name, "kind": _(KINDS[detected][0]), "extension": extension},
            )
        )
    stored_name = secrets.token_hex(16)
    key = stored_key(stored_name)
    files.put(key, data, kind="case_document", dated=operator_today())

    try:
        document = CaseDocument(
            case_id=case.id,
            uploaded_by_id=actor_id,
            original_filename=name,
            stored_name=stored_name,
            content_type=detected,
            size_bytes=size,
            sha256=sha256,
            description=description,
            document_type=document_type,
            request_id=request_id,
        )
        db.session.add(document)
        db.session.flush()
        record_case_event(
            case,
            "document",
            actor_id,
            note=f"{verb} {name} ({DOCUMENT_TYPES[document_type].lower()})",
            audit={
                "document_id": document.id,
                "document_type": document_type,
                "filename": name,
                "content_type": detected,
                "size_bytes": size,
                "sha256": sha256,
            },
        )
        db.session.flush()  # a failure here surely stored nothing: the file goes
    except BaseException:
        files.discard(key)
        raise
    return document


def _receive(stream: IO[bytes], name: str) -> bytes:
    """The upload's bytes, read in chunks; refused as soon as they pass the limit (nothing is stored then)."""
    limit = max_document_bytes()
    received, size = [], 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise DocumentTooLarge(
                _("“%(name)s” is larger than the limit of %(mb)s MB.", name=name, mb=settings().max_document_mb)
            )
        received.append(chunk)
    return b"".join(received)


def stored_key(stored_name: str) -> str:
    """The key of a case document's file in the store."""
    if not _STORED_NAME.fullmatch(stored_name or ""):
        raise NotFound("The file of this document is missing from the archive. Ask an administrator to restore it.")
    return f"documents/{stored_name}"


def discard_stored_file(document: CaseDocument) -> None:
    """Remove a document's file after its row was not committed (the caller's commit failed)."""
    if _STORED_NAME.fullmatch(document.stored_name or ""):
        files.discard(stored_key(document.stored_name))


def upload_not_committed(document: CaseDocument, error: Exception) -> None:
    """After the commit of an upload failed: the file goes, unless the COMMIT itself was cut off.

    When the database went away during the COMMIT, the row may have been stored, so the file stays (an unused one has
    a random name and nothing serves it); the 503 page asks to check and try again.
    """
    if not isinstance(error, (OperationalError, InterfaceError)):
        discard_stored_file(document)


def list_documents(case_id: int, *, document_type: str | None = None) -> list[CaseDocument]:
    """A case's documents that were not removed, newest first, each with its uploader loaded (one statement)."""
    query = (
        select(CaseDocument)
        .where(CaseDocument.case_id == case_id, CaseDocument.removed_at.is_(None))
        .options(joinedload(CaseDocument.uploaded_by))
        .order_by(CaseDocument.uploaded_at.desc(), CaseDocument.id.desc())
    )
    if document_type is not None:
        query = query.where(CaseDocument.document_type == document_type)
    return list(db.session.scalars(query))


def get_document(case_id: int, document_id: int, *, include_removed: bool = False) -> CaseDocument:
    """One document of the case; 404 for another case's document, or a removed one unless asked for."""
    document = db.session.scalar(
        select(CaseDocument)
        .where(CaseDocument.id == document_id, CaseDocument.case_id == case_id)
        .options(joinedload(CaseDocument.uploaded_by))
    )
    if document is None or (document.is_removed and not include_removed):
        raise NotFound("There is no such document on this case.")
    return document


def usable_document(case_id: int, document_id: int | None, document_type: str, what: str) -> CaseDocument:
    """The document a rule rests on (an order's prescription, a physician's clearance): of this case, not removed,
    and of the type the rule needs; otherwise a refusal that says which."""
    document = db.session.get(CaseDocument, document_id) if isinstance(document_id, int) and document_id > 0 else None
    if document is None or document.case_id != case_id:
        raise DocumentError(f"The {what} must be a document of this case; upload it to the case first.")
    if document.is_removed:
        raise DocumentError(f"“{document.original_filename}” was removed from the case; it cannot serve as the {what}.")
    if document.document_type != document_type:
        raise DocumentError(
            f"“{document.original_filename}” is filed as “{document.type_label}”, not as "
            f"“{DOCUMENT_TYPES[document_type]}”: only such a document can be the {what}. "
            "Upload it with that type, or change the document's type if it was chosen wrongly."
        )
    return document


# Shown inline (preview) only when the stored bytes still start as their content type says.
PREVIEWABLE = tuple(KINDS)


def stored_content(document: CaseDocument) -> bytes:
    """The document's bytes from the store, refused when missing or not the bytes uploaded (audited)."""
    try:
        return files.read(stored_key(document.stored_name), document.sha256)
    except MissingFile as exc:
        current_app.logger.error("file of case document %s is missing from the store: %s", document.id, exc.message)
        raise NotFound(
            "The file of this document is missing from the archive. Ask an administrator to restore it."
        ) from exc


def is_previewable(document: CaseDocument) -> bool:
    return document.content_type in PREVIEWABLE


def open_document(
    case_id: int, document_id: int, actor_id: int, *, inline: bool = False, include_removed: bool = False
) -> tuple[bytes, CaseDocument]:
    """The stored file of one of the case's documents, for download or preview; every read is audited.

    For a preview (inline), the file's first bytes are checked again against its content type: only a real PDF,
    JPEG or PNG is shown by the browser; anything else is refused (and can still be downloaded).
    """
    document = get_document(case_id, document_id, include_removed=include_removed)
    content = stored_content(document)
    if inline and (not is_previewable(document) or sniff(content[:16]) != document.content_type):
        raise DocumentError(
            f"“{document.original_filename}” cannot be previewed: its content is not the "
            f"{kind_label(document.content_type)} it claims to be. Download it instead."
        )
    record_event(
        "case_document_previewed" if inline else "case_document_downloaded",
        actor_id=actor_id,
        object_type="case",
        object_id=case_id,
        details={"document_id": document.id, "filename": document.original_filename, "sha256": document.sha256},
    )
    return content, document
