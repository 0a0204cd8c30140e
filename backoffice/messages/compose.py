"""Writing from the case: to whom, from which template, with which files, and the rules that guard each.

A coordinator writes to the case's patient, the hospital's contact, the physician, or someone another feature names
(`signals.case_contacts`: the booked interpreters), or to an address typed in (a hotel has no address on record).
Templates (`templates/messages/compose/<name>.txt`, first line the subject, text in `{% trans %}` blocks) are filled
with the case's fields in the recipient's language where known: the patient's when shipped (English otherwise), the
hospital's or physician's first of English and German. Files come from the case's documents and from other features
(`signals.case_attachables`: the itinerary, issued invoices).

Health data (medical records: every document but a passport or visa; the itinerary; invoices) goes only to the
case's patient, physician or hospital at the address on record: nobody else, whatever the coordinator types.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from backoffice.auth.models import User
from backoffice.auth.permissions import CARE_COORDINATORS
from backoffice.cases.documents import list_documents, open_document
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case
from backoffice.config import settings
from backoffice.errors import NotFound, PermissionDenied
from backoffice.extensions import db
from backoffice.languages import N_, STAFF_LANGUAGES, for_patient
from backoffice.messages import signals
from backoffice.messages.automatic import render
from backoffice.messages.models import COUNTERPARTS, Message
from backoffice.messages.operations import LANGUAGES, MessageRefused, OutgoingAttachment, _header_safe, queue_message
from backoffice.messages.signals import Attachable, Contact
from backoffice.patients.restriction import refuse_changes
from backoffice.trail import record_event

# The templates a coordinator starts from, in the order offered.
TEMPLATES = {
    "blank": N_("Blank"),
    "travel_details": N_("Travel details"),
    "documents_needed": N_("Documents needed"),
    "ask_physician": N_("Ask the physician"),
}


def template_labels() -> dict[str, str]:
    """The templates to start from, named in the page's language."""
    return {name: _(label) for name, label in TEMPLATES.items()}


# Documents that are not about the patient's health; every other type (including "other") is treated as health data.
NOT_HEALTH_DATA = ("passport_visa",)
# Who a typed-in address may be: the counterparts without an address on record.
TYPED_COUNTERPARTS = ("hotel", "interpreter", "other")
MAX_REFERENCES = 20  # Message-IDs kept in a reply's References header (the newest ones)


@dataclass(frozen=True)
class Draft:
    language: str
    subject: str
    body: str


def check_composer(actor_id: int) -> User:
    """The actor arranges care (coordinators, administrators); nobody else writes from a case."""
    actor = db.session.get(User, actor_id)
    if actor is None or actor.role not in CARE_COORDINATORS:
        raise PermissionDenied(_("Only coordinators and administrators write to a case's contacts."))
    return actor


# ---------------------------------------------------------------------------------------------- contacts


def _first_language(languages: Sequence[str]) -> str:
    """A hospital's or physician's language to write in: the first of theirs we write to them in (else English)."""
    return next((code for code in languages if code in STAFF_LANGUAGES), "en")


def case_contacts(case: Case) -> list[Contact]:
    """Everyone of the case with an address: the patient, the hospital's contact, the physician (on record), then
    whom other features name (`signals.case_contacts`)."""
    contacts: list[Contact] = []
    patient = case.patient
    if patient.email:
        language = for_patient(patient.preferred_language)
        contacts.append(Contact("patient", "patient", patient.name, patient.email, language, on_record=True))
    if case.hospital and case.hospital.contact_email:
        hospital = case.hospital
        name = f"{hospital.contact_name or 'Contact'}, {hospital.name}"
        language = _first_language(hospital.languages)
        contacts.append(Contact("hospital", "hospital", name, hospital.contact_email, language, on_record=True))
    if case.physician and case.physician.email:
        physician = case.physician
        language = _first_language(physician.languages)
        contacts.append(Contact("physician", "physician", physician.name, physician.email, language, on_record=True))
    for _receiver, answer in signals.case_contacts.send(case):
        contacts.extend(contact for contact in answer if not contact.on_record)  # only `messages` says what is
    return contacts


def find_contact(case: Case, key: str, typed_address: str = "", typed_counterpart: str = "other") -> Contact:
    """The contact chosen by key, or the typed address (the case's contact when it is one of their addresses)."""
    _header_safe(typed_address, "typed address")
    _header_safe(key, "recipient")
    contacts = case_contacts(case)
    if key == "typed":
        address = (typed_address or "").strip().lower()
        if not address:
            raise MessageRefused(_("Type the address to write to, or choose someone of the case."))
        known = next((contact for contact in contacts if contact.address.lower() == address), None)
        if known is not None:
            return known
        if typed_counterpart not in TYPED_COUNTERPARTS:
            raise MessageRefused(_("Say who the typed address belongs to: a hotel, an interpreter or someone else."))
        return Contact("typed", typed_counterpart, address, address)
    contact = next((contact for contact in contacts if contact.key == key), None)
    if contact is None:
        raise MessageRefused(_("Choose someone of the case to write to (they need an email address on record)."))
    return contact


# ---------------------------------------------------------------------------------------------- files


def document_attachable(case_id: int, document, actor_id: int | None) -> Attachable:
    def load() -> bytes:  # read as a download is: the read is in the trail
        content, _document = open_document(case_id, document.id, actor_id)
        return content

    return Attachable(
        key=f"document:{document.id}",
        label=f"{document.original_filename} ({document.type_label.lower()})",
        filename=document.original_filename,
        content_type=document.content_type,
        health_data=document.document_type not in NOT_HEALTH_DATA,
        source="case_document",
        load=load,
        document_id=document.id,
    )


def case_attachables(case: Case, actor_id: int | None = None) -> list[Attachable]:
    """The case's documents (not removed), then the files other features offer (`signals.case_attachables`)."""
    files = [document_attachable(case.id, document, actor_id) for document in list_documents(case.id)]
    for _receiver, answer in signals.case_attachables.send(case):
        files.extend(answer)
    return files


def _chosen_files(case: Case, keys: Iterable[str], actor_id: int) -> list[Attachable]:
    available = {file.key: file for file in case_attachables(case, actor_id)}
    chosen = []
    for key in dict.fromkeys(keys):
        if key not in available:
            raise MessageRefused(_("A chosen file is no longer on the case; reload the page and choose again."))
        chosen.append(available[key])
    return chosen


def outgoing(file: Attachable) -> OutgoingAttachment:
    """The file's bytes, made now, to go with a message."""
    return OutgoingAttachment(
        file.filename,
        file.content_type,
        file.load(),
        health_data=file.health_data,
        source=file.source,
        document_id=file.document_id,
    )


def check_health_data(contact: Contact, files: Iterable[Attachable]) -> None:
    """Health data goes only to the case's patient, physician or hospital, at the address on record."""
    sensitive = [file.filename for file in files if file.health_data]
    if sensitive and not contact.on_record:
        raise MessageRefused(
            ngettext(
                "%(files)s is health data: such files go only to the case's patient, physician or hospital at the "
                "address on record, not to %(address)s. Leave it out, or write to one of them.",
                "%(files)s are health data: such files go only to the case's patient, physician or hospital at the "
                "address on record, not to %(address)s. Leave them out, or write to one of them.",
                len(sensitive),
                files=", ".join(sensitive),
                address=contact.address,
            )
        )


# ---------------------------------------------------------------------------------------------- templates


def draft(case: Case, template: str, contact: Contact | None, *, actor: User | None = None) -> Draft:
    """Template `template` filled with the case's fields, in the recipient's language where a template exists."""
    if template not in TEMPLATES:
        template = "blank"
    language, subject, body = render(
        f"compose/{template}",
        contact.language if contact is not None else "en",
        counterpart=contact.counterpart if contact is not None else "other",
        case=case,
        patient=case.patient,
        hospital=case.hospital,
        physician=case.physician,
        contact=contact,
        name=_greeting_name(case, contact),
        sender=actor,
        operator_name=settings().operator_name,
    )
    return Draft(language, " ".join(subject.split()), body)


def _greeting_name(case: Case, contact: Contact | None) -> str:
    if contact is None or contact.counterpart not in ("patient", "physician", "hospital"):
        return ""
    if contact.counterpart == "hospital":
        return case.hospital.contact_name if case.hospital else ""
    return contact.name


def reply_draft(case: Case, message: Message) -> dict:
    """What a reply to `message` starts with: its sender (for a message of ours, its recipient) as recipient, the
    "Re:" subject, the quoted text."""
    contacts = case_contacts(case)
    sender = (message.from_address if message.direction == "inbound" else message.recipients[0]).lower()
    contact = next((c for c in contacts if c.address.lower() == sender), None)
    subject = message.subject if message.subject.lower().startswith("re:") else f"Re: {message.subject}"
    quoted = "\n".join(f"> {line}" for line in message.body_text.strip().splitlines())
    return {
        "to": contact.key if contact else "typed",
        "typed_address": "" if contact else sender,
        "typed_counterpart": message.counterpart if message.counterpart in TYPED_COUNTERPARTS else "other",
        "language": contact.language if contact else message.language,
        "subject": subject[:300],
        "body": f"\n\n{quoted}\n" if quoted else "",
    }


def message_of_case(case_id: int, message_id: int) -> Message:
    message = db.session.get(Message, message_id)
    if message is None or message.case_id != case_id:
        raise NotFound(_("There is no such message on this case."))
    return message


def _references(parent: Message) -> str:
    ids = [*parent.thread_references.split(), parent.message_id]
    return " ".join(ids[-MAX_REFERENCES:])


# ---------------------------------------------------------------------------------------------- writing


def compose_message(
    case_id: int,
    *,
    actor_id: int,
    to: str,
    subject: str,
    body: str,
    language: str = "en",
    typed_address: str = "",
    typed_counterpart: str = "other",
    attachments: Iterable[str] = (),
    reply_to_id: int | None = None,
) -> Message:
    """Queue a message written on the case; flushes, the caller commits.

    Refused: a recipient who is not of the case (or no typed address), a header field with a line break, a language
    without templates, a file no longer on the case, and health data to anyone but the case's patient, physician or
    hospital at the address on record. A reply carries In-Reply-To and References, so the other side's mail program
    threads it. Nobody writes from an erased patient's case (`patients.restriction`).
    """
    check_composer(actor_id)
    case = get_case(case_id)
    refuse_changes(case.patient)
    for value, label in ((subject, "subject"), (language, "language"), (typed_counterpart, "counterpart")):
        _header_safe(value, label)
    if language not in LANGUAGES:
        raise MessageRefused(_("Write in English, German, Russian or Arabic (the languages there are catalogues for)."))
    if typed_counterpart not in COUNTERPARTS:
        raise MessageRefused(_("Say who the typed address belongs to."))
    contact = find_contact(case, to, typed_address, typed_counterpart)
    files = _chosen_files(case, attachments, actor_id)
    check_health_data(contact, files)
    parent = message_of_case(case.id, reply_to_id) if reply_to_id else None
    message = queue_message(
        kind="reply" if parent else "manual",
        to=[contact.address],
        subject=subject,
        body_text=body,
        language=language,
        case_id=case.id,
        actor_id=actor_id,
        counterpart=contact.counterpart,
        in_reply_to=parent.message_id if parent else "",
        thread_references=_references(parent) if parent else "",
        attachments=[outgoing(file) for file in files],
    )
    record_event(
        "message.written",
        actor_id=actor_id,
        object_type="case",
        object_id=case.id,
        details={
            "message_id": message.id,
            "to": contact.address,
            "counterpart": contact.counterpart,
            "in_reply_to": parent.id if parent else None,
            "attachments": [
                {"filename": f.filename, "source": f.source, "document_id": f.document_id, "health_data": f.health_data}
                for f in files
            ],
        },
    )
    return message
