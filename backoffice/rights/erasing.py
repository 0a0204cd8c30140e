"""A patient's erasure (GDPR Art. 17), as a job of steps, each committed on its own with what it did.

The rows are found as the export finds them (`exporting.collect`: the database's own foreign keys from the patient
row), and every table so reached has one rule here: erased (`ERASED`), restricted for the tax law (`RESTRICTED`:
finance only, deleted with their files when their retention ends, `retention`), pseudonymised (`PSEUDONYMISED`) or
kept as the operator's record (`KEPT`). A table added later that can hold a patient's data fails a test until it is
given one.

Steps, in order (`STEPS`): check the refusals again, restrict what the law keeps, delete the stored files of the
medical records and the files of messages, delete the records (and the job payloads that named them), close the
portal account, pseudonymise the patient and their cases; then the certificate is written. The request's `step`
names the last one done and its `certificate` holds what each did, so an erasure stopped by a crash or an outage
resumes at the next step and never leaves a patient half-erased without the record of where it stopped.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import delete, or_, select, update

from backoffice.auth.models import LoginAttempt, User, new_session_token
from backoffice.auth.operations import hash_password
from backoffice.cases.models import CaseDocument
from backoffice.dbtypes import operator_today, utcnow
from backoffice.extensions import db
from backoffice.jobs.models import OutboxEntry
from backoffice.messages.models import Message, MessageAttachment
from backoffice.patients.models import Patient
from backoffice.rights import erasure_rules, exporting
from backoffice.rights.models import DataRequest, RestrictedRecord
from backoffice.storage import files, retention
from backoffice.storage.backends import MissingFile
from backoffice.trail import record_event

ERASED = frozenset(
    {
        "case_documents", "case_events", "case_notes", "document_requests", "follow_ups", "reminders",
        "notifications", "intake_attempts", "screening_answers", "flights", "hotel_stays", "transfers",
        "interpreter_bookings", "hospital_appointments", "medicine_orders", "medicine_order_items",
        "medicine_order_steps", "messages", "message_attachments", "sharing_consents", "undeliverable_addresses",
        "portal_invites",
    }
)  # fmt: skip
# table -> its restricted kind (None: it goes with the row it belongs to: lines, findings, items, instalments)
RESTRICTED = {
    "invoices": "invoice",
    "invoice_payments": "payment",
    "account_credits": "payment",
    "payment_reminders": "payment_reminder",
    "offers": "offer",
    "hospital_bills": "hospital_bill",
    "supplier_invoices": "supplier_invoice",
    "invoice_lines": None,
    "invoice_deductions": None,
    "offer_items": None,
    "offer_instalments": None,
    "bill_lines": None,
    "bill_findings": None,
    "supplier_invoice_lines": None,
    "supplier_findings": None,
}
# The records the tax law keeps, each named by a RestrictedRecord (the rest go with them), letters sent included.
RESTRICTED_RECORDS = frozenset({table for table, kind in RESTRICTED.items() if kind} | {"messages"})
REFERENCES = {"offers": "version {}"}  # how a record is named where its column alone says too little
PSEUDONYMISED = frozenset({"patients", "cases"})
KEPT = frozenset({"data_requests", "restricted_records"})  # the record of the erasure itself
OWN_JOBS = ("rights.export", "rights.erase")
# Outbox arguments that name a patient's rows: argument -> table.
JOB_ARGUMENTS = {
    "message_id": "messages",
    "order_id": "medicine_orders",
    "case_id": "cases",
    "patient_id": "patients",
    "document_id": "case_documents",
}


def pseudonym() -> str:
    return f"Erased P-{secrets.token_hex(3).upper()}"


def note(request: DataRequest, step: str, **counts) -> None:
    """Record a step as done: the request's `step` and its line in the certificate, with the trail's entry."""
    certificate = dict(request.certificate or {})
    steps = dict(certificate.get("steps") or {})
    steps[step] = {"at": utcnow().isoformat(timespec="seconds"), **counts}
    certificate["steps"] = steps
    request.certificate, request.step = certificate, step
    record_event(
        "data_request.erasure_step",
        object_type="patient",
        object_id=request.patient_id,
        details={"request_id": request.id, "step": step, **counts},
    )


def _letter_messages(message_ids: set[int]) -> set[int]:
    """Messages that carry a business letter the law keeps (a dispute letter, an invoice's copy): kept, restricted."""
    if not message_ids:
        return set()
    return set(
        db.session.scalars(
            select(MessageAttachment.message_id).where(
                MessageAttachment.message_id.in_(message_ids),
                MessageAttachment.health_data.is_(False),
                MessageAttachment.stored_key.is_not(None),
            )
        )
    )


def _messages_without_case(patient: Patient) -> set[int]:
    """Mail from or to the patient's address that waits for a case (or never had one)."""
    if not patient.email:
        return set()
    address = patient.email.lower()
    return set(
        db.session.scalars(
            select(Message.id).where(
                Message.case_id.is_(None),
                or_(Message.from_address == address, Message.to_addresses.contains(address, autoescape=True)),
            )
        )
    )


def found_rows(patient: Patient) -> dict[str, set[int]]:
    """Every row of the patient's data by table (ids), as the export finds them, plus mail waiting for a case."""
    found = exporting.collect(patient.id)
    rows = {table: set(ids) for table, ids in found.rows.items()}
    loose = _messages_without_case(patient) - rows.get("messages", set())
    if loose:
        rows.setdefault("messages", set()).update(loose)
        rows.setdefault("message_attachments", set()).update(
            db.session.scalars(select(MessageAttachment.id).where(MessageAttachment.message_id.in_(loose)))
        )
    return rows


# --- the steps: each takes the request and its patient, does its work (flushed) and returns its counts -------------


def check(request: DataRequest, patient: Patient) -> dict:
    reasons = erasure_rules.refusals(patient.id)
    if reasons:
        raise ErasureRefused(reasons)
    return {}


def restrict(request: DataRequest, patient: Patient) -> dict:
    """One RestrictedRecord per invoice, credit note, payment, reminder, offer, bill, supplier invoice and letter
    sent; the erasure's deletion day is the day after the last of them may go."""
    rows = found_rows(patient)
    made: dict[str, int] = {}
    mine = RestrictedRecord.request_id == request.id
    known = {
        tuple(row)
        for row in db.session.execute(select(RestrictedRecord.table_name, RestrictedRecord.row_id).where(mine))
    }
    for table_name, kind, reference, dated in _restricted_rows(rows):
        for row_id, row_reference, row_dated in zip(*_columns(table_name, rows, reference, dated), strict=True):
            if (table_name, row_id) in known:
                continue
            row_kind = kind(row_id) if callable(kind) else kind
            kept = erasure_rules.RESTRICTED[row_kind]
            db.session.add(
                RestrictedRecord(
                    request_id=request.id,
                    patient_id=patient.id,
                    kind=row_kind,
                    table_name=table_name,
                    row_id=row_id,
                    reference=REFERENCES.get(table_name, "{}").format(row_reference or "")[:120],
                    dated=row_dated,
                    retain_until=retention.end_of_retention(kept.storage_kind, row_dated),
                    reason=kept.law,
                )
            )
            made[row_kind] = made.get(row_kind, 0) + 1
    db.session.flush()
    last = db.session.scalars(
        select(RestrictedRecord.retain_until)
        .where(RestrictedRecord.request_id == request.id)
        .order_by(RestrictedRecord.retain_until.desc())
        .limit(1)
    ).first()
    request.delete_on = last + timedelta(days=1) if last else None
    return made


def _restricted_rows(rows: dict[str, set[int]]):
    """(table, kind or kind-of-row, reference column, date column) for each restricted table with rows."""
    tables = db.metadata.tables
    invoices = tables["invoices"]
    found = db.session.execute(
        select(invoices.c.id, invoices.c.kind).where(invoices.c.id.in_(rows.get("invoices", ())))
    )
    kinds = dict(found.all())
    yield "invoices", lambda i: "credit_note" if kinds[i] == "credit_note" else "invoice", "number", "issue_date"
    yield "invoice_payments", "payment", "reference", "received_on"
    yield "account_credits", "payment", "reference", "happened_on"
    yield "payment_reminders", "payment_reminder", "pdf_filename", "sent_on"
    yield "offers", "offer", "version", "created_at"
    yield "hospital_bills", "hospital_bill", "reference", "received_on"
    yield "supplier_invoices", "supplier_invoice", "reference", "issued_on"
    yield "messages", "letter", "subject", "created_at"


def _columns(table_name: str, rows: dict[str, set[int]], reference: str, dated: str):
    ids = rows.get(table_name, set())
    if table_name == "messages":
        ids = _letter_messages(ids)
    if not ids:
        return [], [], []
    table = db.metadata.tables[table_name]
    found = db.session.execute(
        select(table.c.id, table.c[reference], table.c[dated]).where(table.c.id.in_(ids)).order_by(table.c.id)
    ).all()
    return (
        [row[0] for row in found],
        [row[1] for row in found],
        [_day(row[2]) for row in found],
    )


def _day(value) -> date:
    if value is None:
        return operator_today()
    return value if type(value) is date else value.date()


def delete_files(request: DataRequest, patient: Patient) -> dict:
    """The bytes of the medical records and other case documents, and of the files of the messages erased."""
    rows = found_rows(patient)
    today = operator_today()
    keys = [
        f"documents/{name}"
        for name in db.session.scalars(
            select(CaseDocument.stored_name).where(CaseDocument.id.in_(rows.get("case_documents", set())))
        )
    ]
    erased_messages = rows.get("messages", set()) - _letter_messages(rows.get("messages", set()))
    keys += [
        key
        for key in db.session.scalars(
            select(MessageAttachment.stored_key).where(
                MessageAttachment.message_id.in_(erased_messages), MessageAttachment.stored_key.is_not(None)
            )
        )
        if key
    ]
    deleted = 0
    for key in keys:
        stored = files.record_of(key)
        if stored is None or stored.deleted_at is not None:
            continue
        try:
            files.delete(key, today=today)
        except MissingFile:
            stored.deleted_at = utcnow()  # already gone from the store (an earlier run): recorded as deleted
        deleted += 1
    return {"files": deleted}


def delete_records(request: DataRequest, patient: Patient) -> dict:
    """Delete every erased row, children first; references to them from kept rows are cleared."""
    rows = found_rows(patient)
    letters = _letter_messages(rows.get("messages", set()))
    doomed = {table: set(ids) for table, ids in rows.items() if table in ERASED}
    doomed["messages"] = doomed.get("messages", set()) - letters
    attachments_kept = set(
        db.session.scalars(select(MessageAttachment.id).where(MessageAttachment.message_id.in_(letters)))
    )
    doomed["message_attachments"] = doomed.get("message_attachments", set()) - attachments_kept
    tables = db.metadata.tables
    counts = {"jobs": _purge_jobs(doomed, patient)}
    undeliverable = tables["undeliverable_addresses"]  # keyed by the address: the patient's, or bounced with theirs
    counts["undeliverable_addresses"] = db.session.execute(
        delete(undeliverable).where(
            or_(undeliverable.c.message_id.in_(doomed["messages"]), undeliverable.c.address == patient.email.lower())
        )
    ).rowcount
    _clear_references(doomed)
    for table in reversed(db.metadata.sorted_tables):
        ids = doomed.get(table.name)
        if ids:
            result = db.session.execute(delete(tables[table.name]).where(tables[table.name].c.id.in_(ids)))
            counts[table.name] = result.rowcount
    return counts


def _clear_references(doomed: dict[str, set[int]]) -> None:
    """Rows that stay but point at a row that goes lose the pointer (an offer's signed acceptance, a kept letter's
    filed copy of a document)."""
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            target_ids = doomed.get(key.column.table.name)
            if not target_ids or not key.parent.nullable:
                continue
            conditions = [key.parent.in_(target_ids)]
            if "id" in table.c and doomed.get(table.name):
                conditions.append(table.c.id.not_in(doomed[table.name]))
            db.session.execute(update(table).where(*conditions).values({key.parent.name: None}))


def close_portal(request: DataRequest, patient: Patient) -> dict:
    """The portal account goes: signed out everywhere, no password that works, no name or address left."""
    if patient.user_id is None:
        return {"portal_account": 0}
    user = db.session.get(User, patient.user_id)
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    user.email = f"erased-{user.id}@erased.invalid"
    user.name = patient.pseudonym or ""
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.active = False
    user.session_token = new_session_token()
    user.language = None
    patient.user_id = None
    return {"portal_account": 1}


def pseudonymise(request: DataRequest, patient: Patient) -> dict:
    """The patient's identity becomes the pseudonym; the cases keep their numbers and dates, not what was asked."""
    patient.name = patient.pseudonym
    patient.email = ""
    patient.phone = ""
    patient.date_of_birth = None
    patient.address = ""
    patient.languages = ""
    cases = erasure_rules.cases_of(patient.id)
    for case in cases:
        case.requested_treatment = ""
        case.message = ""
        case.next_action = ""
        case.cancel_reason = ""
    return {"patient": 1, "cases": len(cases)}


def _purge_jobs(doomed: dict[str, set[int]], patient: Patient) -> int:
    """Job rows whose arguments name the patient, their cases or rows erased with them go, done or not (their payload
    would outlive the erasure)."""
    named = {**doomed, "patients": {patient.id}, "cases": {case.id for case in erasure_rules.cases_of(patient.id)}}
    purged = [
        entry.id
        for entry in db.session.scalars(select(OutboxEntry).where(OutboxEntry.job.not_in(OWN_JOBS)))
        if any((entry.args or {}).get(name) in named.get(table, ()) for name, table in JOB_ARGUMENTS.items())
    ]
    if purged:
        db.session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(purged)))
    return len(purged)


class ErasureRefused(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


STEPS: tuple[tuple[str, Callable[[DataRequest, Patient], dict]], ...] = (
    ("checked", check),
    ("restricted", restrict),
    ("files_deleted", delete_files),
    ("records_deleted", delete_records),
    ("portal_closed", close_portal),
    ("pseudonymised", pseudonymise),
)


def steps_left(request: DataRequest) -> list[tuple[str, Callable]]:
    names = [name for name, _ in STEPS]
    start = names.index(request.step) + 1 if request.step in names else 0
    return list(STEPS[start:])
