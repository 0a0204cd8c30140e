"""Asking the physician in advance: a consultation request with the medical records the coordinator selects.

The patient's consent to share those records with that physician is recorded first (`SharingConsent`: how it was
given, a note, which documents); a request carrying a document no consent covers is refused. The request goes to
the case's physician or one picked from the directory (the consent names that physician, so the records may go
there although the address is not the case's); the physician's reply comes back onto the thread by In-Reply-To.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice import validators
from backoffice.cases.documents import list_documents
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case
from backoffice.directory.models import Physician
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.languages import N_, STAFF_LANGUAGES
from backoffice.messages.compose import (
    NOT_HEALTH_DATA,
    Draft,
    check_composer,
    document_attachable,
    draft,
    outgoing,
)
from backoffice.messages.models import SHARING_CONSENT_FORMS, Message, SharingConsent
from backoffice.messages.operations import LANGUAGES, MessageRefused, queue_message
from backoffice.messages.signals import Contact
from backoffice.params import MAX_ID
from backoffice.patients.restriction import refuse_changes
from backoffice.trail import record_event

CONSENT_FORMS = {
    "written": N_("In writing (signed form, letter)"),
    "verbal": N_("Verbally (phone, video)"),
    "portal": N_("In the portal"),
}
MAX_NOTE = 2000


class ConsultationRefused(MessageRefused):
    """The consultation request or the consent cannot be recorded as given."""


def physician_of(physician_id: int | None) -> Physician:
    if physician_id is None or not 0 < physician_id <= MAX_ID:
        raise NotFound(_("There is no such physician in the directory."))
    physician = db.session.scalar(
        select(Physician).where(Physician.id == physician_id).options(joinedload(Physician.hospital))
    )
    if physician is None:
        raise NotFound(_("There is no such physician in the directory."))
    return physician


def physicians_to_ask(case: Case) -> list[tuple[str, str]]:
    """(id, label) of the active physicians with an email address: the case's own first, then the directory's."""
    physicians = db.session.scalars(
        select(Physician)
        .where(Physician.active.is_(True), Physician.email != "")
        .options(joinedload(Physician.hospital))
        .order_by(Physician.name)
    ).all()
    ordered = sorted(physicians, key=lambda p: (p.id != case.physician_id, p.name))
    return [
        (
            str(p.id),
            _("%(physician)s (the case's physician)", physician=f"{p.name}, {p.specialty} — {p.hospital.name}")
            if p.id == case.physician_id
            else f"{p.name}, {p.specialty} — {p.hospital.name}",
        )
        for p in ordered
    ]


def physician_contact(physician: Physician) -> Contact:
    language = next((code for code in physician.languages if code in STAFF_LANGUAGES), "en")
    return Contact("physician", "physician", physician.name, physician.email, language, on_record=True)


def shareable_records(case_id: int) -> list:
    """The case's documents that are health data (every type but a passport or visa), newest first."""
    return [document for document in list_documents(case_id) if document.document_type not in NOT_HEALTH_DATA]


def _selected_records(case_id: int, document_ids: Iterable[int]) -> list:
    records = {document.id: document for document in shareable_records(case_id)}
    wanted = list(dict.fromkeys(document_ids))
    if not wanted:
        raise ConsultationRefused(_("Select the medical records to share."))
    missing = [document_id for document_id in wanted if document_id not in records]
    if missing:
        raise ConsultationRefused(_("A selected record is not (or no longer) a medical record of this case."))
    return [records[document_id] for document_id in wanted]


def consents_of_case(case_id: int) -> list[SharingConsent]:
    """The case's recorded consents, newest first."""
    return list(
        db.session.scalars(
            select(SharingConsent)
            .where(SharingConsent.case_id == case_id)
            .order_by(SharingConsent.recorded_at.desc(), SharingConsent.id.desc())
        )
    )


def record_consent(
    case_id: int, *, physician_id: int, document_ids: Iterable[int], given_as: str, note: str, actor_id: int
) -> SharingConsent:
    """Record that the patient agreed these medical records of the case go to this physician; flushes.

    Only the case's own, current medical records; how the consent was given (in writing, verbally, in the portal)
    is stated, a verbal one with a note saying when and to whom.
    """
    check_composer(actor_id)
    case = get_case(case_id)
    physician = physician_of(physician_id)
    records = _selected_records(case.id, document_ids)
    if given_as not in SHARING_CONSENT_FORMS:
        raise ConsultationRefused(_("Say how the patient gave the consent: in writing, verbally or in the portal."))
    note = validators.text(note, "note", MAX_NOTE, error=ConsultationRefused)
    if given_as == "verbal" and not note:
        raise ConsultationRefused(_("A verbal consent needs a note: when, and to whom, the patient gave it."))
    consent = SharingConsent(
        case_id=case.id,
        physician_id=physician.id,
        document_ids=[document.id for document in records],
        given_as=given_as,
        note=note,
        recorded_by_id=actor_id,
    )
    db.session.add(consent)
    db.session.flush()
    record_event(
        "sharing_consent.recorded",
        actor_id=actor_id,
        object_type="case",
        object_id=case.id,
        details={
            "consent_id": consent.id,
            "physician_id": physician.id,
            "document_ids": consent.document_ids,
            "given_as": given_as,
        },
    )
    return consent


def covering_consents(case_id: int, physician_id: int, document_ids: Iterable[int]) -> list[SharingConsent]:
    """The consents for this physician on this case that together cover every document; refused otherwise."""
    consents = [c for c in consents_of_case(case_id) if c.physician_id == physician_id]
    covered = {document_id for consent in consents for document_id in consent.document_ids}
    uncovered = [document_id for document_id in document_ids if document_id not in covered]
    if uncovered:
        raise ConsultationRefused(
            ngettext(
                "Record the patient's consent to share every selected record with this physician first: "
                "%(num)d of the selected records is not covered.",
                "Record the patient's consent to share every selected record with this physician first: "
                "%(num)d of the selected records are not covered.",
                len(uncovered),
            )
        )
    wanted = set(document_ids)
    return [consent for consent in consents if wanted & set(consent.document_ids)]


def request_draft(case: Case, physician: Physician | None, *, actor=None) -> Draft:
    """The "ask the physician" template for this physician, in their language, signed by `actor`."""
    return draft(case, "ask_physician", physician_contact(physician) if physician else None, actor=actor)


def request_consultation(
    case_id: int,
    *,
    physician_id: int,
    document_ids: Iterable[int],
    subject: str,
    body: str,
    language: str,
    actor_id: int,
) -> Message:
    """Queue a consultation request to the physician with the selected medical records; flushes.

    Refused: a physician without an email address, a record that is not the case's, and any record the patient's
    recorded consent for this physician does not cover. The consents it rests on name the message. Nothing goes out
    from an erased patient's case.
    """
    check_composer(actor_id)
    case = get_case(case_id)
    refuse_changes(case.patient)
    physician = physician_of(physician_id)
    if not physician.email:
        raise ConsultationRefused(
            _("%(name)s has no email address in the directory; add it there first.", name=physician.name)
        )
    if language not in LANGUAGES:
        raise ConsultationRefused(_("Write in English, German, Russian or Arabic (the languages with catalogues)."))
    records = _selected_records(case.id, document_ids)
    consents = covering_consents(case.id, physician.id, [document.id for document in records])
    files = [document_attachable(case.id, document, actor_id) for document in records]
    message = queue_message(
        kind="consultation_request",
        to=[physician.email],
        subject=subject,
        body_text=body,
        language=language,
        case_id=case.id,
        actor_id=actor_id,
        counterpart="physician",
        attachments=[outgoing(file) for file in files],
    )
    for consent in consents:
        if consent.message_id is None:
            consent.message_id = message.id
    db.session.flush()
    record_event(
        "consultation.requested",
        actor_id=actor_id,
        object_type="case",
        object_id=case.id,
        details={
            "message_id": message.id,
            "physician_id": physician.id,
            "to": physician.email,
            "document_ids": [document.id for document in records],
            "consent_ids": [consent.id for consent in consents],
        },
    )
    return message
