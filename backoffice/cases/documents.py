"""Medical records on a case: uploading them into the document archive and handing them out again.

The archive is a folder outside anything the web server serves (CASE_DOCUMENTS_DIR). Files are stored under a name
the server chooses; the name the patient gave the file is kept only for display and as the download name. The type
is decided by the file's first bytes, never by its name alone, and the two must agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from backoffice.audit.operations import record_event
from backoffice.auth.permissions import ADMIN, COORDINATOR
from backoffice.cases import states
from backoffice.cases.models import CaseDocument
from backoffice.cases.operations import get_case, record_case_event
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db

# Finance and patients never see medical records, not even their names.
MEDICAL_RECORD_ROLES = (ADMIN, COORDINATOR)

# content type -> (label for people, signature at the start of the file, extensions it may be named with)
KINDS: dict[str, tuple[str, bytes, tuple[str, ...]]] = {
    "application/pdf": ("PDF document", b"%PDF-", (".pdf",)),
    "image/jpeg": ("JPEG image", b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": ("PNG image", b"\x89PNG\r\n\x1a\n", (".png",)),
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
    folder = Path(current_app.config["CASE_DOCUMENTS_DIR"]).resolve()
    static = Path(current_app.static_folder or "").resolve()
    if current_app.static_folder and folder.is_relative_to(static):
        raise RuntimeError("CASE_DOCUMENTS_DIR must not lie inside the static folder: records would be served")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def max_document_bytes() -> int:
    return int(current_app.config["MAX_DOCUMENT_MB"] * 1024 * 1024)


def store_document(case_id: int, file_storage: FileStorage | None, description: str, actor_id: int) -> CaseDocument:
    """Add an uploaded medical record to a case.

    Only PDF, JPEG and PNG files, recognised by their content, named with a matching extension, not empty and not
    above MAX_DOCUMENT_MB. Closed and cancelled cases take no more records. The file is written under a random name
    and removed again if the database refuses the row, so nothing half-stored is left behind.
    """
    case = get_case(case_id)
    if case.state in states.FINAL:
        raise DocumentError(
            f"Case {case.number} is {states.label(case.state).lower()}; no more documents can be added to it."
        )
    if file_storage is None or not file_storage.filename:
        raise DocumentError("Choose a file to upload.")
    name = display_name(file_storage.filename)
    extension = os.path.splitext(name)[1].lower()
    expected = EXTENSIONS.get(extension)
    if expected is None:
        raise DocumentError(
            f"“{name or 'The file'}” cannot be uploaded: only PDF, JPEG and PNG files are accepted "
            "(named .pdf, .jpg, .jpeg or .png)."
        )
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise DocumentError(f"Keep the description under {MAX_DESCRIPTION_LENGTH} characters.")

    folder = documents_dir()
    temporary, size, sha256, head = _receive(file_storage.stream, folder, name)
    try:
        if size == 0:
            raise DocumentError(f"“{name}” is empty.")
        detected = sniff(head)
        if detected is None:
            raise DocumentError(
                f"“{name}” is not a {kind_label(expected)}: its content is not a PDF, JPEG or PNG file."
            )
        if detected != expected:
            raise DocumentError(
                f"“{name}” looks like a {kind_label(detected)} but is named {extension}. "
                "Rename it with the right extension, or upload the intended file."
            )
        stored_name = secrets.token_hex(16)
        final = folder / stored_name
        os.replace(temporary, final)
    except BaseException:
        _remove(temporary)
        raise

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
        )
        db.session.add(document)
        db.session.flush()
        record_case_event(
            case,
            "document",
            actor_id,
            note=f"Uploaded {name}",
            audit={
                "document_id": document.id,
                "filename": name,
                "content_type": detected,
                "size_bytes": size,
                "sha256": sha256,
            },
        )
    except BaseException:
        _remove(final)
        raise
    return document


def _receive(stream: IO[bytes], folder: Path, name: str) -> tuple[Path, int, str, bytes]:
    """Copy the upload into a temporary file of the archive, hashing it; stop as soon as it passes the limit."""
    limit = max_document_bytes()
    digest, size, head = hashlib.sha256(), 0, b""
    handle, raw_path = tempfile.mkstemp(dir=folder, prefix=".upload-")
    path = Path(raw_path)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise DocumentTooLarge(
                        f"“{name}” is larger than the limit of {current_app.config['MAX_DOCUMENT_MB']} MB."
                    )
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        _remove(path)
        raise
    return path, size, digest.hexdigest(), head


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def discard_stored_file(document: CaseDocument) -> None:
    """Remove a document's file after its row was not committed (the caller's commit failed)."""
    if _STORED_NAME.fullmatch(document.stored_name or ""):
        _remove(documents_dir() / document.stored_name)


def list_documents(case_id: int) -> list[CaseDocument]:
    """A case's documents, newest first, each with its uploader loaded (one statement)."""
    return list(
        db.session.scalars(
            select(CaseDocument)
            .where(CaseDocument.case_id == case_id)
            .options(joinedload(CaseDocument.uploaded_by))
            .order_by(CaseDocument.uploaded_at.desc(), CaseDocument.id.desc())
        )
    )


def open_document(case_id: int, document_id: int, actor_id: int) -> tuple[Path, CaseDocument]:
    """The stored file of one of the case's documents, for download; every download is written to the audit log."""
    document = db.session.scalar(
        select(CaseDocument).where(CaseDocument.id == document_id, CaseDocument.case_id == case_id)
    )
    if document is None:
        raise NotFound("There is no such document on this case.")
    path = documents_dir() / document.stored_name
    if not _STORED_NAME.fullmatch(document.stored_name) or not path.is_file():
        current_app.logger.error("file of case document %s is missing from the archive", document.id)
        raise NotFound("The file of this document is missing from the archive. Ask an administrator to restore it.")
    record_event(
        "case_document_downloaded",
        actor_id=actor_id,
        object_type="case",
        object_id=case_id,
        details={"document_id": document.id, "filename": document.original_filename, "sha256": document.sha256},
    )
    return path, document
