"""An erased patient's invoices and credit notes: in no invoice list, its totals or its CSV; their pages, PDFs and
e-invoices for finance and administrators only, under the restriction banner; no new invoice, credit note, issue,
payment or credit for them (`patients.restriction`)."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.extensions import db
from backoffice.invoicing import conversion, credit_notes, credits, deposits, drafts, finals, issuing, listing, payments
from backoffice.invoicing.list_filters import InvoiceFilters
from backoffice.invoicing.models import Invoice, InvoicePayment
from backoffice.patients.restriction import RecordRestricted
from tests.factories import make_patient
from tests.invoicing.factories import TODAY, count, fresh, issued_deposit, make_approved_bill, make_invoicing_case, text
from tests.patients.factories import BANNER, BANNER_END, PSEUDONYM, REFUSAL, erase


@pytest.fixture
def erased(users):
    """A case of a patient on record with an issued deposit, and a case of a patient erased since with an issued
    deposit (400.00 of 500.00 paid), a draft deposit and an approved bill, all made before the erasure."""
    kept_case = make_invoicing_case(patient=make_patient(name="Kept Patient"))
    db.session.commit()
    kept = issued_deposit(kept_case, "300.00")
    patient = make_patient(name="Gone Patient")
    case = make_invoicing_case(patient=patient)
    db.session.commit()
    invoice = issued_deposit(case, "500.00")
    payments.record_payment(
        invoice.id, actor_id=None, amount="400.00", currency="EUR", received_on=TODAY, method="bank_transfer"
    )
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    make_approved_bill(case)
    db.session.commit()
    erase(patient)
    return {"kept": kept, "case": case, "invoice": fresh(invoice.id), "draft": fresh(draft.id)}


def listed(**filters) -> set[str]:
    return {
        entry.invoice.number or f"draft-{entry.invoice.id}" for entry in listing.all_invoices(InvoiceFilters(**filters))
    }


def test_an_erased_patients_invoices_are_in_no_invoice_list(erased):
    kept = erased["kept"].number
    assert listed() == {kept}
    assert listing.list_invoices(InvoiceFilters()).total == 1
    assert listed(q="Erased") == set() and listed(q=erased["invoice"].number) == set()
    assert listed(status="draft") == set()


def test_the_invoice_lists_totals_leave_an_erased_patients_invoices_out(erased):
    (euros,) = listing.list_totals(InvoiceFilters())
    assert (euros.documents, str(euros.invoiced), str(euros.left)) == (1, "300.00", "300.00")


def test_the_invoice_lists_page_and_csv_show_no_erased_patients_invoice(as_role, erased):
    client = as_role("finance")
    for address in ("/invoices", "/invoices?q=Erased", "/invoices.csv"):
        page = text(client.get(address))
        assert erased["invoice"].number not in page and PSEUDONYM not in page, address
    assert erased["kept"].number in text(client.get("/invoices.csv"))


def test_finance_is_told_how_many_documents_of_erased_patients_the_list_leaves_out(as_role, erased):
    assert listing.restricted_count(InvoiceFilters()) == 2  # the issued deposit and the draft
    assert listing.restricted_count(InvoiceFilters(status="draft")) == 1
    page = text(as_role("finance").get("/invoices"))
    assert "2 documents of erased patients are not listed" in page
    assert "are not listed" not in text(as_role("finance").get("/invoices?kind=final"))


def test_the_invoice_list_runs_as_many_statements_with_erased_patients_invoices(as_role, erased, count_queries):
    client = as_role("finance")
    client.get("/invoices?open=1")
    with count_queries() as before:
        assert client.get("/invoices?open=1").status_code == 200
    patient = make_patient()
    case = make_invoicing_case(patient=patient)
    db.session.commit()
    issued_deposit(case, "50.00")
    erase(patient, pseudonym="Erased P-000002")
    with count_queries() as after:
        assert client.get("/invoices?open=1").status_code == 200
    assert len(after) == len(before)


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_administrators_read_an_erased_patients_invoice_under_the_banner(as_role, erased, role):
    client, invoice = as_role(role), erased["invoice"]
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert BANNER in page and BANNER_END in page  # an issued invoice keeps the addressee it was issued to
    assert f"/invoices/{invoice.id}/payments" not in page and f"/invoices/{invoice.id}/credit-note" not in page
    assert "Send first reminder" not in page
    case_page = text(client.get(f"/cases/{erased['case'].id}/invoices"))
    assert BANNER in case_page and PSEUDONYM in case_page and "/invoices/deposit" not in case_page
    assert client.get(f"/invoices/{invoice.number}.pdf").status_code == 200


def test_a_coordinator_finds_no_erased_patients_invoice_or_its_documents(as_role, erased):
    client, invoice = as_role("coordinator"), erased["invoice"]
    for address in (
        f"/invoices/{invoice.id}",
        f"/invoices/{invoice.number}.pdf",
        f"/invoices/{invoice.id}/xrechnung.xml",
        f"/invoices/{erased['draft'].id}",
        f"/cases/{erased['case'].id}/invoices",
    ):
        assert client.get(address).status_code == 404, address
    assert client.get(f"/invoices/{erased['kept'].id}").status_code == 200


def test_no_invoice_or_credit_note_is_made_for_an_erased_patient(erased):
    case, invoice = erased["case"], erased["invoice"]
    refused = (
        lambda: deposits.create_deposit_draft(case.id, actor_id=None, amount="10.00"),
        lambda: finals.create_final_draft(case.id, actor_id=None),
        lambda: credit_notes.create_credit_note_draft(
            invoice.id, actor_id=None, reason="x", amounts={invoice.lines[0].id: None}
        ),
        lambda: credit_notes.invoice_to_credit(invoice.id),
    )
    for attempt in refused:
        with pytest.raises(RecordRestricted):
            attempt()
        db.session.rollback()
    assert count(Invoice) == 3


def test_an_erased_patients_draft_is_neither_changed_nor_issued(as_role, erased):
    draft = erased["draft"]
    for attempt in (
        lambda: issuing.issue_invoice(draft.id, actor_id=None),
        lambda: drafts.update_draft(
            draft.id,
            actor_id=None,
            expected_version=None,
            bill_to_name="Someone Else",
            bill_to_address="",
            service_from=None,
            service_to=None,
        ),
        lambda: drafts.delete_draft(draft.id, actor_id=None, expected_version=None),
    ):
        with pytest.raises(RecordRestricted):
            attempt()
        db.session.rollback()
    response = as_role("finance").post(f"/invoices/{draft.id}/issue", data={"version": draft.version})
    assert response.status_code == 409 and REFUSAL in text(response)
    assert fresh(draft.id).status == "draft" and fresh(draft.id).number is None


def test_no_payment_refund_or_credit_is_recorded_for_an_erased_patient(as_role, erased):
    case, invoice = erased["case"], erased["invoice"]
    response = as_role("finance").post(
        f"/invoices/{invoice.id}/payments",
        data={
            "version": invoice.version,
            "received_on": TODAY.isoformat(),
            "amount": "100.00",
            "currency": "EUR",
            "method": "bank_transfer",
            "reference": "SEPA 4711",
        },
    )
    assert response.status_code == 409 and REFUSAL in text(response)
    for attempt in (
        lambda: payments.record_payment(
            invoice.id, actor_id=None, amount="50.00", currency="EUR", received_on=TODAY, method="cash", refund=True
        ),
        lambda: credits.apply_credit(case.id, invoice.id, actor_id=None),
        lambda: credits.refund_credit(
            case.id, actor_id=None, currency="EUR", amount="1.00", paid_on=date.today(), method="bank_transfer"
        ),
        lambda: conversion.set_invoicing_currency(case.id, "USD", actor_id=None),
    ):
        with pytest.raises(RecordRestricted):
            attempt()
        db.session.rollback()
    assert count(InvoicePayment) == 1  # the 400.00 paid before the erasure
