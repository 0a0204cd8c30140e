"""Invoices from draft to issued: numbers, totals, archived PDF, deposits, final invoice, credit notes, payments."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing import accounts, credit_notes, deposits, drafts, finals, invoices, issuing, payments
from backoffice.invoicing.invoices import InvoiceConflict, InvoiceError, InvoiceImmutable
from backoffice.invoicing.models import Invoice, InvoiceLine
from backoffice.numbering import NumberSeries
from backoffice.trail import AuditEvent
from tests.helpers import change_settings
from tests.invoicing.factories import make_approved_bill

TODAY = date.today()


def issue(invoice_id: int, actor_id: int | None = None) -> Invoice:
    invoice = issuing.issue_invoice(invoice_id, actor_id=actor_id)
    db.session.commit()
    return invoice


def deposit(case, **fields) -> Invoice:
    invoice = deposits.create_deposit_draft(case.id, actor_id=None, **fields)
    db.session.commit()
    return invoice


def pay(invoice, amount, **fields):
    payments.record_payment(
        invoice.id,
        actor_id=None,
        amount=amount,
        currency=fields.pop("currency", invoice.currency),
        received_on=fields.pop("received_on", TODAY),
        method="bank_transfer",
        **fields,
    )
    db.session.commit()


def test_a_deposit_invoice_gets_the_next_number_of_the_year_and_its_pdf_is_archived(app, case):
    invoice = issue(deposit(case, share_percent="25").id)
    assert invoice.number == f"INV-{invoice.issue_date.year}-00001"
    assert invoice.status == "issued"
    assert invoice.total == Decimal("5000.00")
    path = settings(app).invoice_archive / invoice.pdf_filename
    assert hashlib.sha256(path.read_bytes()).hexdigest() == invoice.pdf_sha256
    assert invoice.issuer["iban"]
    second = issue(deposit(case, amount="1000.00").id)
    assert second.number == f"INV-{invoice.issue_date.year}-00002"


def test_a_deposit_above_the_accepted_offer_is_refused(case):
    deposit(case, amount="15000.00")
    with pytest.raises(InvoiceError, match="above the accepted offer"):
        deposits.create_deposit_draft(case.id, actor_id=None, amount="5000.01")


def test_an_invoice_without_lines_is_not_issued_and_uses_no_number(case):
    draft = deposit(case, amount="100.00")
    line = invoices.get_invoice(draft.id).lines[0]
    drafts.remove_line(draft.id, line.id, actor_id=None, expected_version=None)
    db.session.commit()
    with pytest.raises(InvoiceError, match="without lines"):
        issuing.issue_invoice(draft.id, actor_id=None)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(NumberSeries).where(NumberSeries.series == "INV")) == 0


def test_issuing_the_same_draft_twice_is_refused_the_second_time(case):
    draft = deposit(case, amount="100.00")
    version = draft.version
    issue(draft.id)
    with pytest.raises(InvoiceConflict, match="issued already"):
        issuing.issue_invoice(draft.id, actor_id=None, expected_version=version)
    db.session.rollback()
    assert db.session.scalar(select(NumberSeries.last_number).where(NumberSeries.series == "INV")) == 1


def test_an_issued_invoice_is_never_changed_and_the_attempt_is_logged(case):
    invoice = issue(deposit(case, amount="100.00").id)
    with pytest.raises(InvoiceImmutable, match="credit note"):
        drafts.update_draft(
            invoice.id,
            actor_id=None,
            expected_version=None,
            bill_to_name="Someone else",
            bill_to_address="Elsewhere",
            service_from=None,
            service_to=None,
        )
    db.session.rollback()
    with pytest.raises(InvoiceImmutable):
        drafts.delete_draft(invoice.id, actor_id=None, expected_version=None)
    db.session.rollback()
    # Past the operations too: the flush refuses it.
    row = db.session.get(Invoice, invoice.id)
    row.bill_to_name = "Tampered"
    with pytest.raises(InvoiceImmutable):
        db.session.flush()
    db.session.rollback()
    line = db.session.scalar(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    line.unit_price = Decimal("1.00")
    with pytest.raises(InvoiceImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Invoice, invoice.id).bill_to_name == "Amira Haddad"


def test_payments_move_the_status_and_a_payment_in_another_currency_is_refused(case):
    invoice = issue(deposit(case, amount="1000.00").id)
    with pytest.raises(InvoiceError, match="in EUR"):
        pay(invoice, "100.00", currency="USD")
    db.session.rollback()
    pay(invoice, "400.00")
    assert db.session.get(Invoice, invoice.id).status == "partially_paid"
    # Issue 14: more than is open is recorded as received; the cent beyond it is a credit on the case.
    pay(invoice, "600.01")
    assert db.session.get(Invoice, invoice.id).status == "paid"
    assert accounts.account_of(invoices.get_invoice(invoice.id)).outstanding == Decimal("0.00")


def test_the_final_invoice_passes_the_bill_at_resident_prices_and_deducts_the_deposit_paid(app, case):
    first = issue(deposit(case, amount="5000.00").id)
    pay(first, "5000.00")
    make_approved_bill(case)
    db.session.commit()
    draft, notes = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    assert notes == []
    draft = invoices.get_invoice(draft.id)
    treatment = [line for line in draft.lines if line.kind == "treatment"]
    assert [(line.unit_price, line.net_amount) for line in treatment] == [
        (Decimal("3900.00"), Decimal("3900.00")),  # charged 4,200, resident 3,900
        (Decimal("850.00"), Decimal("1700.00")),
        (Decimal("95.50"), Decimal("286.50")),  # charged below the tariff
    ]
    assert all(line.vat_category == "exempt" for line in treatment)
    fee = next(line for line in draft.lines if line.kind == "fee")
    assert (fee.net_amount, fee.tax_amount) == (Decimal("1500.00"), Decimal("285.00"))
    final = issue(draft.id)
    assert final.total == Decimal("3900.00") + Decimal("1700.00") + Decimal("286.50") + Decimal("1785.00")
    assert final.deductions_total == Decimal("5000.00")
    assert accounts.account_of(final).outstanding == final.total - Decimal("5000.00")


def test_a_final_invoice_needs_an_approved_bill(case):
    with pytest.raises(InvoiceError, match="approve the bill first"):
        finals.create_final_draft(case.id, actor_id=None)


def test_a_credit_note_reverses_lines_and_cannot_exceed_the_invoice(case):
    invoice = issue(deposit(case, amount="1000.00").id)
    line = invoices.get_invoice(invoice.id).lines[0]
    with pytest.raises(InvoiceError, match=r"at most 1000\.00"):
        credit_notes.create_credit_note_draft(
            invoice.id, actor_id=None, reason="Too much", amounts={line.id: "1000.01"}
        )
    db.session.rollback()
    note = credit_notes.create_credit_note_draft(
        invoice.id, actor_id=None, reason="Deposit lowered", amounts={line.id: "300"}
    )
    db.session.commit()
    note = issue(note.id)
    assert note.number == f"CN-{note.issue_date.year}-00001"
    assert note.total == Decimal("300.00")
    assert accounts.account_of(db.session.get(Invoice, invoice.id)).outstanding == Decimal("700.00")
    rest = credit_notes.create_credit_note_draft(invoice.id, actor_id=None, reason="Cancelled", amounts={line.id: None})
    db.session.commit()
    rest = issue(rest.id)
    assert rest.total == Decimal("700.00")
    assert db.session.get(Invoice, invoice.id).status == "credited"
    with pytest.raises(InvoiceError, match="already credited in full"):
        credit_notes.create_credit_note_draft(invoice.id, actor_id=None, reason="Again", amounts={line.id: None})


def test_a_failed_archive_write_issues_nothing_and_gives_the_number_back(app, case, monkeypatch, tmp_path):
    draft = deposit(case, amount="100.00")
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the archive should be")
    change_settings(monkeypatch, app, invoice_archive=str(blocked))
    with pytest.raises(Exception, match="archive"):
        issuing.issue_invoice(draft.id, actor_id=None)
    db.session.rollback()
    assert db.session.get(Invoice, draft.id).status == "draft"
    assert db.session.scalar(select(func.count()).select_from(NumberSeries).where(NumberSeries.series == "INV")) == 0
    monkeypatch.undo()
    assert issue(draft.id).number.endswith("-00001")


def test_making_and_issuing_a_draft_each_leave_an_audit_row(case):
    invoice = issue(deposit(case, amount="100.00").id)
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(invoice.id))))
    assert {"invoice.draft_created", "invoice.issued"} <= actions


def test_the_final_invoice_charges_the_medicines_bought_with_vat(app, case):
    from backoffice.shipments.models import MedicineOrder

    make_approved_bill(case)
    db.session.add(
        MedicineOrder(
            case_id=case.id,
            pharmacy_id=_pharmacy().id,
            status="delivered",
            cost_amount=Decimal("412.50"),
            cost_currency="EUR",
        )
    )
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    medicine = [line for line in invoices.get_invoice(draft.id).lines if line.kind == "medicine"]
    assert [(line.net_amount, line.tax_amount) for line in medicine] == [(Decimal("412.50"), Decimal("78.38"))]


def _pharmacy():
    from tests.shipments.factories import make_pharmacy

    return make_pharmacy()


def test_a_part_paid_deposit_is_settled_by_the_final_invoice_not_owed_twice(app, case):
    first = issue(deposit(case, amount="5000.00").id)
    pay(first, "3000.00")
    make_approved_bill(case)
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    final = issue(draft.id)
    assert final.deductions_total == Decimal("3000.00")
    settled = db.session.get(Invoice, first.id)
    assert settled.status == "settled"
    assert accounts.account_of(settled).outstanding == 0
    assert accounts.account_of(final).outstanding == final.total - Decimal("3000.00")
    # Cancelling the final invoice in full opens the deposit again.
    lines = {line.id: None for line in invoices.get_invoice(final.id).lines}
    note = credit_notes.create_credit_note_draft(final.id, actor_id=None, reason="Wrong bill", amounts=lines)
    db.session.commit()
    issue(note.id)
    assert db.session.get(Invoice, final.id).status == "credited"
    assert db.session.get(Invoice, first.id).status == "partially_paid"


def test_a_deposit_is_neither_drafted_nor_issued_once_the_final_invoice_is_issued(app, case):
    make_approved_bill(case)
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    waiting = deposit(case, amount="100.00")  # drafted while the final invoice was still a draft
    issue(draft.id)
    with pytest.raises(InvoiceError, match="bill the patient twice"):
        deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    db.session.rollback()
    with pytest.raises(InvoiceError, match="bill the patient twice"):
        issuing.issue_invoice(waiting.id, actor_id=None)
