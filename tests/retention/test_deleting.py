"""An erased patient's restricted records go on their erasure's deletion day, all together: the rows named, the rows
that cannot exist without them, and their files in the store; nothing of anyone else; once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update

from backoffice.billing.models import BillLine, HospitalBill
from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice, InvoiceLine, InvoicePayment
from backoffice.messages.models import Message, MessageAttachment, UndeliverableAddress
from backoffice.offers.models import Offer, OfferInstalment, OfferItem
from backoffice.patients.models import Patient
from backoffice.retention import operations
from backoffice.retention.operations import DELETED, REFUSED
from backoffice.rights.models import RestrictedRecord
from backoffice.storage import files
from backoffice.storage.backends import MissingFile
from backoffice.trail import AuditEvent
from tests.retention.factories import another_patient, erased_patient, stored


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def in_store(key: str) -> bool:
    try:
        files.backend().get(key)
    except MissingFile:
        return False
    return True


def test_restricted_records_stay_until_their_erasures_deletion_day(app, store):
    erased = erased_patient()

    assert operations.delete_due(erased.delete_on - timedelta(days=1)) == []

    assert db.session.get(Invoice, erased.invoice_id) is not None
    assert all(in_store(key) for key in erased.keys)
    assert count(RestrictedRecord, RestrictedRecord.deleted_at.is_not(None)) == 0


def test_on_the_deletion_day_the_group_goes_entirely_rows_children_and_files(app, store):
    erased = erased_patient()

    [outcome] = operations.delete_due(erased.delete_on)

    assert outcome.outcome == "deleted" and outcome.records == 5 and outcome.files == 4
    db.session.expire_all()
    for model, row_id in ((Invoice, erased.invoice_id), (InvoicePayment, erased.payment_id), (Offer, erased.offer_id),
                          (HospitalBill, erased.bill_id), (Message, erased.message_id)):  # fmt: skip
        assert db.session.get(model, row_id) is None, model
    assert count(InvoiceLine, InvoiceLine.invoice_id == erased.invoice_id) == 0
    assert count(OfferItem, OfferItem.offer_id == erased.offer_id) == 0
    assert count(OfferInstalment, OfferInstalment.offer_id == erased.offer_id) == 0
    assert count(BillLine, BillLine.bill_id == erased.bill_id) == 0
    assert count(MessageAttachment, MessageAttachment.message_id == erased.message_id) == 0
    for key in erased.keys:
        assert not in_store(key), key
        assert stored(key).deleted_at is not None, key  # the row stays as the record of the file
    assert count(RestrictedRecord, RestrictedRecord.deleted_at.is_(None)) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == DELETED))
    assert event.object_id == str(erased.patient_id)
    assert event.details["records"] == 5 and event.details["files"] == 4
    assert event.details["rows"]["invoices"] == 1 and event.details["rows"]["bill_lines"] == 3


def test_nothing_of_another_patient_nor_the_pseudonymised_case_is_touched(app, store):
    other = another_patient()
    erased = erased_patient()

    operations.delete_due(erased.delete_on)

    db.session.expire_all()
    assert db.session.get(Invoice, other.invoice_id).status == "issued"
    assert count(InvoiceLine, InvoiceLine.invoice_id == other.invoice_id) >= 1
    assert in_store(other.key) and stored(other.key).deleted_at is None
    case = db.session.get(Case, erased.case_id)
    assert case is not None and db.session.get(Patient, erased.patient_id).name == f"Erased {erased.pseudonym}"
    assert db.session.get(Case, other.case_id) is not None


def test_a_second_run_deletes_nothing_more(app, store):
    erased = erased_patient()
    operations.delete_due(erased.delete_on)

    again = operations.delete_due(erased.delete_on + timedelta(days=1))

    assert again == []
    assert count(AuditEvent, AuditEvent.action == DELETED) == 1


def test_a_file_the_law_still_keeps_holds_the_whole_group_and_the_refusal_is_recorded(app, store):
    erased = erased_patient()
    kept = stored(erased.keys[0])
    kept.retain_until = erased.delete_on + timedelta(days=365)  # the period lengthened after the erasure
    db.session.commit()

    [outcome] = operations.delete_due(erased.delete_on)

    assert outcome.outcome == "refused" and "kept by law until" in outcome.note
    db.session.expire_all()
    assert db.session.get(Invoice, erased.invoice_id) is not None
    assert db.session.get(Offer, erased.offer_id) is not None
    assert count(BillLine, BillLine.bill_id == erased.bill_id) == 3
    assert all(in_store(key) and stored(key).deleted_at is None for key in erased.keys)
    assert count(RestrictedRecord, RestrictedRecord.deleted_at.is_not(None)) == 0
    refusal = db.session.scalar(select(AuditEvent).where(AuditEvent.action == REFUSED))
    assert refusal.details["request_id"] == erased.request_id and "kept by law" in refusal.details["reason"]


def test_a_record_of_the_books_outside_the_group_that_needs_one_of_its_rows_holds_the_group(app, local_storage):
    erased = erased_patient()
    db.session.execute(delete(RestrictedRecord).where(RestrictedRecord.kind == "payment"))  # its payment not named
    db.session.commit()

    [outcome] = operations.delete_due(erased.delete_on)

    assert outcome.outcome == "refused" and f"invoice_payments {erased.payment_id}" in outcome.note
    db.session.expire_all()
    assert db.session.get(Invoice, erased.invoice_id) is not None and db.session.get(Offer, erased.offer_id)
    assert all(in_store(key) for key in erased.keys)


def test_a_kept_invoices_line_pointing_at_the_groups_bill_holds_the_group(app, local_storage):
    other = another_patient()
    erased = erased_patient()
    bill_line = db.session.scalar(select(BillLine.id).where(BillLine.bill_id == erased.bill_id).limit(1))
    db.session.execute(
        update(InvoiceLine).where(InvoiceLine.invoice_id == other.invoice_id).values(bill_line_id=bill_line)
    )
    db.session.commit()

    [outcome] = operations.delete_due(erased.delete_on)

    assert outcome.outcome == "refused" and f"invoices {other.invoice_id}" in outcome.note
    db.session.expire_all()
    assert db.session.get(HospitalBill, erased.bill_id) is not None
    assert db.session.scalar(select(InvoiceLine.bill_line_id).where(InvoiceLine.invoice_id == other.invoice_id))


def test_a_kept_row_pointing_at_a_deleted_letter_stays_with_its_reference_emptied(app, local_storage):
    erased = erased_patient()
    db.session.add(UndeliverableAddress(address="billing@clinic.example", reason="550", message_id=erased.message_id))
    db.session.commit()

    operations.delete_due(erased.delete_on)

    db.session.expire_all()
    assert db.session.get(UndeliverableAddress, "billing@clinic.example").message_id is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == DELETED))
    assert event.details["references_emptied"] == 1


def test_a_run_takes_at_most_its_batch_and_the_next_takes_the_rest(app, local_storage):
    first, second = erased_patient(), erased_patient(name="Bea Example")
    day = max(first.delete_on, second.delete_on)

    assert [o.outcome for o in operations.delete_due(day, limit=1)] == ["deleted"]
    assert [o.outcome for o in operations.delete_due(day, limit=1)] == ["deleted"]
    assert operations.delete_due(day, limit=1) == []
