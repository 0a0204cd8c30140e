"""The erasure certificate: what was erased, pseudonymised, restricted and kept, and why; for the administrator to
give the patient, as a page and as a PDF in the patient's language. The PDF is rendered once, when the erasure ends,
and kept in the archive as a letter given out (`keep_pdf`): every download gives those bytes, their hash checked.

It names the patient only by the pseudonym (their name is what was erased) and the case numbers they know."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.invoicing.printing import format_day, issuer_details
from backoffice.languages import N_, PATIENT_LANGUAGES
from backoffice.patients.models import Patient
from backoffice.pdf import render_pdf
from backoffice.rights import erasure_rules
from backoffice.rights.models import RESTRICTED_KINDS, DataRequest, RestrictedRecord
from backoffice.storage import archive, files
from backoffice.storage.transactions import discard_on_rollback

TEMPLATE = "rights/certificate_pdf.html"
# What was erased, by the tables the records step deleted from (and the files step, the portal step).
ERASED_GROUPS = {
    "documents": (N_("Medical records and other documents"), ("case_documents",)),
    "files": (N_("Stored files of those documents and messages"), ()),
    "messages": (N_("Messages and their files"), ("messages",)),
    "screening": (N_("Answers to the medical screening"), ("screening_answers",)),
    "notes": (N_("Notes and the case history"), ("case_notes", "case_events")),
    "bookings": (
        N_("Bookings: flights, hotels, transfers, interpreters, appointments"),
        ("flights", "hotel_stays", "transfers", "interpreter_bookings", "hospital_appointments"),
    ),
    "orders": (N_("Medicine orders"), ("medicine_orders",)),
    "tasks": (
        N_("Follow-ups, reminders and requests for documents"),
        ("follow_ups", "reminders", "document_requests", "notifications", "intake_attempts"),
    ),
    "consents": (N_("Consents to share records with physicians"), ("sharing_consents",)),
    "portal": (N_("Portal account and invitations"), ("portal_invites",)),
}
KEPT = {
    "pseudonym": N_(
        "Your cases' numbers, dates and country of residence, under the pseudonym, so that the invoices kept can be "
        "tied to them. Nothing else about you is in them."
    ),
    "trail": N_(
        "The log of who did what with your data and when, which shows that this erasure was done as the law requires "
        "(GDPR Art. 5(2))."
    ),
    "books": N_(
        "Bookings already handed to our tax adviser for the books of past periods, which the tax adviser keeps as "
        "the law requires (section 147 AO)."
    ),
}


def summarise(request: DataRequest, patient: Patient) -> dict:
    """The certificate's content, from what each step recorded and the restricted records (plain values only)."""
    steps = (request.certificate or {}).get("steps", {})
    deleted = steps.get("records_deleted", {})
    erased = {}
    for key, (_label, tables) in ERASED_GROUPS.items():
        count = sum(int(deleted.get(table, 0)) for table in tables)
        if key == "files":
            count = int(steps.get("files_deleted", {}).get("files", 0))
        if key == "portal":
            count += int(steps.get("portal_closed", {}).get("portal_account", 0))
        if count:
            erased[key] = count
    groups: dict[str, list[RestrictedRecord]] = defaultdict(list)
    for record in db.session.scalars(
        select(RestrictedRecord).where(RestrictedRecord.request_id == request.id).order_by(RestrictedRecord.id)
    ):
        groups[record.kind].append(record)
    restricted = [
        {
            "kind": kind,
            "count": len(records),
            "until": max(record.retain_until for record in records).isoformat(),
            "law": erasure_rules.RESTRICTED[kind].law,
        }
        for kind, records in sorted(groups.items(), key=lambda item: list(RESTRICTED_KINDS).index(item[0]))
    ]
    return {
        **(request.certificate or {}),
        "pseudonym": patient.pseudonym,
        "cases": [case.number for case in erasure_rules.cases_of(patient.id)],
        "requested_at": request.requested_at.isoformat(timespec="seconds"),
        "erased_at": patient.erased_at.isoformat(timespec="seconds") if patient.erased_at else None,
        "erased": erased,
        "restricted": restricted,
        "delete_on": request.delete_on.isoformat() if request.delete_on else None,
        "kept": list(KEPT),
        "language": patient.preferred_language,
    }


@dataclass(frozen=True)
class PrintedCertificate:
    title: str
    pseudonym: str
    cases: list[str]
    erased_on: str
    erased: list[tuple[str, int]]
    restricted: list[tuple[str, int, str, str]]  # what, how many, kept until, the law
    delete_on: str
    kept: list[str]
    issuer: dict
    reference: str


def printed(request: DataRequest) -> PrintedCertificate:
    """The certificate's words in the current locale (call under `force_locale`)."""
    content = request.certificate or {}
    return PrintedCertificate(
        title=_("Certificate of erasure"),
        pseudonym=content.get("pseudonym") or "",
        cases=list(content.get("cases") or []),
        erased_on=format_day(_date(content.get("erased_at"))),
        erased=[(_(ERASED_GROUPS[key][0]), count) for key, count in (content.get("erased") or {}).items()],
        restricted=[
            (_(RESTRICTED_KINDS[item["kind"]]), item["count"], format_day(_date(item["until"])), item["law"])
            for item in content.get("restricted") or []
        ],
        delete_on=format_day(_date(content.get("delete_on"))),
        kept=[_(KEPT[key]) for key in content.get("kept") or []],
        issuer=issuer_details(),
        reference=_("Erasure request %(number)s", number=request.id),
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def certificate_pdf(request: DataRequest) -> bytes:
    language = (request.certificate or {}).get("language")
    language = language if language in PATIENT_LANGUAGES else "en"
    with force_locale(language):
        certificate = printed(request)
    return render_pdf(TEMPLATE, language=language, certificate=certificate)


def keep_pdf(request: DataRequest) -> None:
    """Render the certificate (its content written) and keep it in the archive, in the caller's transaction: the
    request records its key, hash and size; the file goes again if the transaction rolls back."""
    stored = archive.store_pdf(
        f"erasure-{request.id}-certificate", operator_today().year, certificate_pdf(request), kind="letter"
    )
    key = archive.AREA + stored.filename
    discard_on_rollback(key)
    request.file_key, request.file_sha256, request.file_size = key, stored.sha256, stored.size


def kept_pdf(request: DataRequest) -> bytes:
    """The certificate's PDF as kept, refused unless its bytes are those recorded (`files.read`)."""
    return files.read(request.file_key, request.file_sha256)
