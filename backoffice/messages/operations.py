"""Queueing a message: checked, stored, and its send job recorded in the caller's transaction.

Nothing here talks to a mail server: the row and its outbox job commit with the change that wants the message (a new
case, an invoice), or neither does. `sending.send_message` delivers it later, as often as it takes, once.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice import validators
from backoffice.config import settings
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.jobs.outbox import record_job
from backoffice.languages import N_, PATIENT_LANGUAGES
from backoffice.messages.attachments import store_message_file
from backoffice.messages.models import Message, MessageAttachment, UndeliverableAddress
from backoffice.trail import record_event

SEND_JOB = "messages.send"
MAX_RECIPIENTS = 20
LANGUAGES = PATIENT_LANGUAGES  # the languages a message may be written in (a catalogue each); others: English
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # all of a message's files together: what most mail servers still accept
# The fields a refusal names (in the page's language where shown).
FIELD_NAMES = {
    "recipient": N_("recipient"),
    "copy recipient": N_("copy recipient"),
    "subject": N_("subject"),
    "kind": N_("kind"),
    "reply reference": N_("reply reference"),
    "thread references": N_("thread references"),
    "file name": N_("file name"),
    "file type": N_("file type"),
    "typed address": N_("typed address"),
    "language": N_("language"),
    "counterpart": N_("counterpart"),
}


@dataclass(frozen=True)
class OutgoingAttachment:
    """A file to send with a message, as bytes: kept in the store with the message, so every attempt sends the same
    file (`messages.attachments`)."""

    filename: str
    content_type: str
    content: bytes
    health_data: bool = False  # only to the case's patient, physician or hospital (the caller checks who that is)
    source: str = ""  # where it came from: "case_document", "itinerary", "invoice" ...
    document_id: int | None = None  # the case document it is a copy of


class MessageRefused(DomainError):
    """The message cannot be sent as written (a bad address, a line break in a header)."""


def queue_message(
    *,
    kind: str,
    to: Iterable[str],
    subject: str,
    body_text: str,
    language: str = "en",
    cc: Iterable[str] = (),
    body_html: str | None = None,
    case_id: int | None = None,
    actor_id: int | None = None,
    counterpart: str | None = None,
    in_reply_to: str = "",
    thread_references: str = "",
    attachments: Iterable[OutgoingAttachment] = (),
) -> Message:
    """Store a message to send and record its send job (key `message:<id>`); flushes, the caller commits.

    Every address must be one address (validators.email) and no header field may hold a line break or another
    control character: a CR/LF there would let the text write headers of its own (header injection).
    """
    to_list = _addresses(to, "recipient")
    cc_list = _addresses(cc, "copy recipient")
    if not to_list:
        raise MessageRefused(_("A message needs at least one recipient."))
    if len(to_list) + len(cc_list) > MAX_RECIPIENTS:
        raise MessageRefused(_("A message goes to at most %(max)s addresses.", max=MAX_RECIPIENTS))
    _header_safe(subject, "subject")
    _header_safe(kind, "kind")
    subject = validators.text(subject, "subject", 300, required=True, error=MessageRefused)
    if not (body_text or "").strip():
        raise MessageRefused(_("A message needs a text."))
    _header_safe(in_reply_to, "reply reference")
    _header_safe(thread_references, "thread references")
    files = _attachments(attachments)
    message = Message(
        case_id=case_id,
        kind=kind,
        language=language if language in LANGUAGES or language in PATIENT_LANGUAGES else "en",
        to_addresses=",".join(to_list),
        cc_addresses=",".join(cc_list),
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        message_id=new_message_id(),
        state="queued",
        created_by_id=actor_id,
        counterpart=counterpart,
        in_reply_to=in_reply_to,
        thread_references=thread_references,
    )
    db.session.add(message)
    db.session.flush()
    for file in files:
        stored = store_message_file(message.id, file.filename, file.content, health_data=file.health_data)
        db.session.add(
            MessageAttachment(
                message_id=message.id,
                filename=file.filename,
                content_type=file.content_type,
                size_bytes=stored.size,
                sha256=stored.sha256,
                stored_key=stored.key,
                document_id=file.document_id,
                health_data=file.health_data,
                source=file.source,
            )
        )
    record_job(SEND_JOB, {"message_id": message.id}, key=f"message:{message.id}")
    record_event(
        "message.queued",
        actor_id=actor_id,
        object_type="message",
        object_id=message.id,
        details={
            "kind": kind,
            "to": to_list,
            "cc": cc_list,
            "case_id": case_id,
            "attachments": [{"filename": f.filename, "source": f.source, "document_id": f.document_id} for f in files],
        },
    )
    return message


def new_message_id() -> str:
    """A Message-ID in the sender's domain: `<random@domain of MAIL_FROM>`."""
    domain = parseaddr(settings().mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<{secrets.token_hex(16)}@{domain}>"


def _addresses(values: Iterable[str] | str, label: str) -> list[str]:
    if isinstance(values, str):
        values = [values]
    checked: list[str] = []
    for value in values:
        _header_safe(value, label)
        address = validators.email(value, f"{label}'s address", error=MessageRefused)
        if not address:
            continue
        if any(ch in address for ch in ',;<>()[]"\\') or "." not in address.rpartition("@")[2]:
            raise MessageRefused(
                _(
                    "The %(field)s's address %(address)s is not an email address.",
                    field=_field(label),
                    address=repr(address),
                )
            )
        if address not in checked:
            checked.append(address)
    return checked


def _field(label: str) -> str:
    return _(FIELD_NAMES[label]) if label in FIELD_NAMES else label


def _header_safe(value: str | None, label: str) -> None:
    """Refuse line breaks and other control characters in a value that becomes (part of) a mail header."""
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value or ""):
        raise MessageRefused(_("The %(field)s may not contain line breaks or control characters.", field=_field(label)))


def _attachments(attachments: Iterable[OutgoingAttachment]) -> list[OutgoingAttachment]:
    """At most MAX_ATTACHMENTS files of MAX_ATTACHMENT_BYTES together, each with a name that is safe in a header."""
    files = list(attachments)
    if len(files) > MAX_ATTACHMENTS:
        raise MessageRefused(_("A message carries at most %(max)s files.", max=MAX_ATTACHMENTS))
    total = sum(len(file.content) for file in files)
    if total > MAX_ATTACHMENT_BYTES:
        raise MessageRefused(
            _(
                "The files together are %(size)s MB; a message carries at most %(max)s MB.",
                size=f"{total / 1024 / 1024:.1f}",
                max=MAX_ATTACHMENT_BYTES // 1024 // 1024,
            )
        )
    for file in files:
        _header_safe(file.filename, "file name")
        _header_safe(file.content_type, "file type")
        if not file.filename.strip() or len(file.filename) > 255:
            raise MessageRefused(_("Every attached file needs a name of at most 255 characters."))
        if not file.content:
            raise MessageRefused(_("The file %(name)s is empty.", name=repr(file.filename)))
    return files


def undeliverable(addresses: Iterable[str]) -> dict[str, str]:
    """Which of `addresses` a delivery report said cannot be reached: address (lower-case) -> the server's reason.

    Queueing does not refuse them (an address may work again; a typo is fixed on the contact): the compose form warns.
    """
    wanted = sorted({address.strip().lower() for address in addresses if address and address.strip()})
    if not wanted:
        return {}
    found = select(UndeliverableAddress.address, UndeliverableAddress.reason)
    return dict(db.session.execute(found.where(UndeliverableAddress.address.in_(wanted))).all())
