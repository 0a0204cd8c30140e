"""Putting a received mail on a case: which case it answers, who wrote it, its files as case documents, who is told.

Shared by the fetch job (`receiving`), the unmatched list (`unmatched`: staff assign a mail by hand) and the delivery
reports (`bounces`). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.auth.permissions import ADMIN, COORDINATOR
from backoffice.cases.documents import DocumentError, store_bytes
from backoffice.cases.models import Case, CaseDocument
from backoffice.cases.operations import get_case, record_case_event
from backoffice.extensions import db
from backoffice.messages.attachments import read_kept, store_message_file
from backoffice.messages.incoming import ReceivedMail
from backoffice.messages.models import RECEIVED_FILE, Message, MessageAttachment
from backoffice.messages.reply_addresses import case_of_address, is_own_address
from backoffice.notifications.operations import notify

KEPT = RECEIVED_FILE  # MessageAttachment.source of a file kept (filed, or waiting on the unmatched list)
NOT_KEPT = "not_kept"  # listed by name only: not a PDF, JPEG or PNG, too large, or refused by the archive


def match_case(mail: ReceivedMail) -> tuple[Case | None, str | None]:
    """The case the mail answers and how it was found: In-Reply-To, then References (the nearest first), then the
    case's reply address the mail was sent to; (None, None) when nothing matches."""
    for ids, how in ((mail.in_reply_to, "in_reply_to"), (list(reversed(mail.references)), "references")):
        if not ids:
            continue
        rows = db.session.execute(
            select(Message.message_id, Message.case_id).where(Message.message_id.in_(ids), Message.case_id.is_not(None))
        ).all()
        found = dict(rows)
        for message_id in ids:
            if message_id in found:
                return db.session.get(Case, found[message_id]), how
    for address in mail.recipients:
        case_id = case_of_address(address)
        if case_id is not None and (case := db.session.get(Case, case_id)) is not None:
            return case, "token"
    return None, None


def counterpart_of(address: str, case: Case) -> str:
    """Who wrote, guessed from the sender's address: the case's patient, hospital contact, physician, or other."""
    address = (address or "").lower()
    if not address:
        return "other"
    case = get_case(case.id)  # with patient, hospital and physician loaded
    known = (
        ("patient", case.patient.email if case.patient else ""),
        ("hospital", case.hospital.contact_email if case.hospital else ""),
        ("physician", case.physician.email if case.physician else ""),
    )
    for counterpart, known_address in known:
        if known_address and known_address.strip().lower() == address:
            return counterpart
    return "staff" if is_own_address(address) else "other"


def keep_files(message: Message, files: Iterable, case: Case | None) -> list[CaseDocument]:
    """A MessageAttachment row per received file; on a case, the kept ones are filed as documents of type
    "received"; without one (the unmatched list), or refused by the case's documents, their bytes wait in the store
    (`attachments.store_message_file`) until staff assign the mail."""
    documents = []
    for file in files:
        row = MessageAttachment(
            message_id=message.id,
            filename=file.filename,
            content_type=file.content_type,
            size_bytes=file.size,
            sha256=file.sha256,
            source=NOT_KEPT if file.refused else KEPT,
        )
        db.session.add(row)
        if file.content is None:
            continue
        document = file_attachment(row, case, message, file.content) if case is not None else None
        if document is not None:
            documents.append(document)
        else:
            row.stored_key = store_message_file(message.id, file.filename, file.content, health_data=True).key
    db.session.flush()
    return documents


def file_attachment(
    row: MessageAttachment, case: Case, message: Message, content: bytes | None = None
) -> CaseDocument | None:
    """File a kept attachment (`content`, or its bytes in the store) as a case document (type "received"); it is
    opened there from then on (its copy in the store stays with the mail, erasable as health data).

    The documents' own rules apply (a closed case takes no documents): a refused file stays kept with the mail.
    Nobody uploaded it: the document has no uploader (pages say "Received by mail"; its description names the
    sender), not the name of whoever assigned the mail or coordinates the case.
    """
    try:
        with db.session.begin_nested():
            document = store_bytes(
                case.id,
                row.filename,
                content if content is not None else read_kept(row),
                description=f"By mail from {message.from_address or 'an unknown sender'}"[:300],
                actor_id=None,
            )
    except DocumentError:
        return None
    row.document_id = document.id
    return document


def staff_ids(roles: tuple[str, ...] = (ADMIN, COORDINATOR)) -> list[int]:
    """The active staff members holding one of `roles` (whom mail that nobody owns concerns)."""
    return list(
        db.session.scalars(select(User.id).where(User.role.in_(roles), User.active.is_(True)).order_by(User.id))
    )


def tell_about_reply(message: Message, case: Case, files: list[str], *, actor_id: int | None = None) -> None:
    """A reply on the case: a line on its timeline (with the names of the files it brought), and its coordinator
    (no coordinator: the administrators) told."""
    sender = message.from_address or "an unknown sender"
    note = f"Reply received from {sender}: {message.subject}"
    if files:
        note += f" (files: {', '.join(files)})"
    record_case_event(
        case,
        "message_received",
        actor_id,
        note=note[:2000],
        audit={"message_id": message.id, "matched_by": message.matched_by},
    )
    notify(
        "reply_received",
        [case.coordinator_id] if case.coordinator_id else staff_ids((ADMIN,)),
        text=f"{case.number}: reply from {sender}: {message.subject}",
        key=f"message:{message.id}",
        case_id=case.id,
        link=f"/cases/{case.id}",
    )


def tell_about_unmatched(message: Message) -> None:
    notify(
        "unmatched_mail",
        staff_ids(),
        text=f"Mail matching no case, from {message.from_address or 'an unknown sender'}: {message.subject}",
        key=f"message:{message.id}",
        link=f"/messages/unmatched/{message.id}",
    )
