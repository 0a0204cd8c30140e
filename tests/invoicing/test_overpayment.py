"""Money received beyond what was open: recorded as the bank shows it, the excess a credit on the case's account
(exact, in its currency), refunded or applied to another invoice of the case as finance chooses, every step audited."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.invoicing import (
    accounts,
    conversion,
    credit_notes,
    credits,
    deposits,
    finals,
    invoices,
    issuing,
    listing,
    payments,
)
from backoffice.invoicing.invoices import InvoiceError, InvoiceImmutable
from backoffice.invoicing.models import AccountCredit, InvoicePayment
from backoffice.patients.models import Patient
from backoffice.trail import AuditEvent
from tests.invoicing.factories import make_approved_bill, make_invoicing_case, text

TODAY = date.today()


def issued_deposit(case, amount: str):
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount=amount)
    issuing.issue_invoice(draft.id, actor_id=None)
    db.session.commit()
    return invoices.get_invoice(draft.id, refresh=True)


def _issued(invoice_id: int):
    issuing.issue_invoice(invoice_id, actor_id=None)
    db.session.commit()
    return invoices.get_invoice(invoice_id, refresh=True)


def receive(invoice, amount: str, **fields):
    payment = payments.record_payment(
        invoice.id,
        actor_id=None,
        amount=amount,
        currency=invoice.currency,
        received_on=TODAY,
        method="bank_transfer",
        reference=fields.pop("reference", "SEPA 4711"),
        **fields,
    )
    db.session.commit()
    return payment


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_payment_above_what_is_open_is_recorded_as_received_and_the_excess_is_a_credit_on_the_case(case):
    invoice = issued_deposit(case, "7710.00")
    payment = receive(invoice, "9000.00")

    stored = db.session.get(InvoicePayment, payment.id)
    assert (stored.amount, stored.to_credit) == (Decimal("9000.00"), Decimal("1290.00"))  # what the bank shows
    invoice = invoices.get_invoice(invoice.id, refresh=True)
    account = accounts.account_of(invoice)
    assert (invoice.status, account.paid, account.outstanding) == ("paid", Decimal("7710.00"), Decimal("0.00"))
    assert listing.credit_balances(case.id) == [listing.CreditBalance("EUR", Decimal("1290.00"))]
    step = db.session.scalars(select(AccountCredit)).one()
    assert (step.kind, step.amount, step.currency, step.invoice_id) == (
        "overpayment",
        Decimal("1290.00"),
        "EUR",
        invoice.id,
    )
    assert "case.credit_received" in actions()


def test_the_case_credit_applies_to_the_next_invoice_of_the_case_and_no_further(case):
    first = issued_deposit(case, "7710.00")
    receive(first, "9000.00")
    second = issued_deposit(case, "1000.00")

    payment = credits.apply_credit(case.id, second.id, actor_id=None)
    db.session.commit()

    assert (payment.method, payment.amount) == ("account_credit", Decimal("1000.00"))
    second = invoices.get_invoice(second.id, refresh=True)
    assert (second.status, accounts.account_of(second).outstanding) == ("paid", Decimal("0.00"))
    assert listing.credit_balances(case.id) == [listing.CreditBalance("EUR", Decimal("290.00"))]
    assert "case.credit_applied" in actions()
    with pytest.raises(InvoiceError, match="Nothing is open"):
        credits.apply_credit(case.id, second.id, actor_id=None)


def test_a_credit_is_never_applied_across_currencies_or_cases(app, case):
    receive(issued_deposit(case, "7710.00"), "9000.00")
    other = make_invoicing_case(estimate="20000.00", currency="USD")
    conversion.set_invoicing_currency(other.id, "USD", actor_id=None)
    usd = deposits.create_deposit_draft(
        other.id, actor_id=None, amount="500.00", exchange_rate="1.1", exchange_rate_on=TODAY
    )
    issuing.issue_invoice(usd.id, actor_id=None)
    db.session.commit()
    with pytest.raises(InvoiceError, match="is not an invoice of case"):
        credits.apply_credit(case.id, usd.id, actor_id=None)
    with pytest.raises(InvoiceError, match="holds no credit in USD; a credit is never applied across currencies"):
        credits.apply_credit(other.id, usd.id, actor_id=None)


def test_the_case_credit_refunded_is_recorded_never_more_than_held(case):
    receive(issued_deposit(case, "7710.00"), "9000.00")
    with pytest.raises(InvoiceError, match=r"holds 1290\.00 EUR; 1290\.01 EUR is more"):
        credits.refund_credit(
            case.id, actor_id=None, currency="EUR", amount="1290.01", paid_on=TODAY, method="bank_transfer"
        )
    db.session.rollback()
    credits.refund_credit(case.id, actor_id=None, currency="EUR", amount=None, paid_on=TODAY, method="bank_transfer")
    db.session.commit()
    assert listing.credit_balances(case.id) == []
    assert [step.kind for step in listing.credit_statement(case.id)] == ["overpayment", "refunded"]
    assert "case.credit_refunded" in actions()


def test_the_steps_of_a_case_credit_are_never_rewritten(case):
    receive(issued_deposit(case, "7710.00"), "9000.00")
    step = db.session.scalars(select(AccountCredit)).one()
    step.amount = Decimal("1.00")
    with pytest.raises(InvoiceImmutable):
        db.session.flush()
    db.session.rollback()


def test_finance_records_an_overpayment_and_sees_the_credit_wherever_the_case_balance_shows(as_role, users, case):
    invoice = issued_deposit(case, "7710.00")
    client = as_role("finance")
    response = client.post(
        f"/invoices/{invoice.id}/payments",
        data={
            "version": invoice.version,
            "received_on": TODAY.isoformat(),
            "amount": "9000.00",
            "currency": "EUR",
            "method": "bank_transfer",
            "reference": "SEPA 4711",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = text(response)
    assert "€1,290.00 above what was open is a credit on the case's account." in page
    assert "of which €1,290.00 to the" in page

    account_page = text(client.get(f"/cases/{case.id}/invoices"))
    assert "Credit on the case's account: €1,290.00" in account_page
    assert "Paid more than was open" in account_page
    assert "Credit on the case's account: €1,290.00" in text(client.get(f"/cases/{case.id}"))

    response = client.post(
        f"/cases/{case.id}/credit/refund",
        data={"currency": "EUR", "amount": "290.00", "paid_on": TODAY.isoformat(), "method": "bank_transfer"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Credit on the case's account: €1,000.00" in text(response)


def test_a_bad_credit_step_is_refused_with_a_message_and_nothing_stored(as_role, case):
    receive(issued_deposit(case, "7710.00"), "9000.00")
    client = as_role("finance")
    response = client.post(
        f"/cases/{case.id}/credit/refund",
        data={"currency": "EUR", "amount": "5000", "paid_on": TODAY.isoformat(), "method": "bank_transfer"},
    )
    assert response.status_code == 422
    assert "holds 1290.00 EUR" in text(response)
    response = client.post(f"/cases/{case.id}/credit/apply", data={"invoice_id": "abc"})
    assert response.status_code == 422
    assert "Choose the invoice to apply the credit to." in text(response)
    assert len(listing.credit_statement(case.id)) == 1


def test_the_patient_sees_the_credit_in_the_portal(as_role, users, case):
    patient = db.session.get(Patient, case.patient_id)
    patient.user_id, patient.preferred_language = users["patient"].id, "en"  # the portal in English
    db.session.commit()
    receive(issued_deposit(case, "7710.00"), "9000.00")
    page = text(as_role("patient").get("/portal/invoices"))
    assert "Credit on your account: €1,290.00" in page


def test_a_deposit_overpaid_leaves_a_credit_that_finance_applies_to_the_final_invoice(case):
    deposit = issued_deposit(case, "5000.00")
    receive(deposit, "6290.00")
    make_approved_bill(case)
    db.session.commit()
    draft, _ = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    final = _issued(draft.id)
    assert final.deductions_total == Decimal("5000.00")  # the deposit counts what it kept, not what went to credit
    before = accounts.account_of(final).outstanding

    credits.apply_credit(case.id, final.id, actor_id=None)
    db.session.commit()

    final = invoices.get_invoice(final.id, refresh=True)
    assert accounts.account_of(final).outstanding == before - Decimal("1290.00")
    assert final.status == "partially_paid"
    assert listing.credit_balances(case.id) == []
    assert [step.kind for step in listing.credit_statement(case.id)] == ["overpayment", "applied"]


# ---------------------------------------------------------------------------------------------- what is due back


def shown(page: str, section_id: str) -> str:
    """The words of one section of a page as a reader sees them (tags dropped, white space collapsed)."""
    start = page.index(f'id="{section_id}"')
    part = page[start : page.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", part).split())


def account_row(page: str) -> str:
    """The EUR row of the case's Account table: invoiced, credited, paid, outstanding, refund due."""
    return re.search(r"EUR((?: €[0-9,]+\.[0-9]{2}){5})", shown(page, "account")).group(1).strip()


def test_the_case_account_shows_an_overpayment_as_refund_due_until_applied_or_refunded(as_role, case):
    receive(issued_deposit(case, "750.00"), "1000.00")
    client = as_role("finance")
    page = text(client.get(f"/cases/{case.id}/invoices"))
    assert account_row(page) == "€750.00 €0.00 €750.00 €0.00 €250.00"
    assert "Credit on the case's account: €250.00" in shown(page, "account")
    assert "Refund due €0.00" not in shown(page, "account")

    credits.refund_credit(case.id, actor_id=None, currency="EUR", amount="100.00", paid_on=TODAY, method="cash")
    db.session.commit()
    assert account_row(text(client.get(f"/cases/{case.id}/invoices"))) == "€750.00 €0.00 €750.00 €0.00 €150.00"

    second = issued_deposit(case, "150.00")
    credits.apply_credit(case.id, second.id, actor_id=None)
    db.session.commit()
    page = text(client.get(f"/cases/{case.id}/invoices"))
    assert account_row(page) == "€900.00 €0.00 €900.00 €0.00 €0.00"
    assert "Credit on the case's account:" not in shown(page, "account")


def test_refund_due_counts_credit_notes_beyond_payments_and_the_case_credit_together(as_role, case):
    invoice = issued_deposit(case, "750.00")
    receive(invoice, "1000.00")
    line = invoices.get_invoice(invoice.id, refresh=True).lines[0]
    note = credit_notes.create_credit_note_draft(
        invoice.id, actor_id=None, reason="Lower deposit", amounts={line.id: "300"}
    )
    db.session.commit()
    _issued(note.id)

    page = text(as_role("finance").get(f"/cases/{case.id}/invoices"))
    assert account_row(page) == "€750.00 €300.00 €750.00 €0.00 €550.00"
    assert (
        "Refund due €550.00: €300.00 on invoices (credit notes beyond what was paid) and €250.00 of the case's credit."
        in shown(page, "account")
    )


def test_refund_due_is_summed_per_currency_and_never_across_currencies():
    from backoffice.invoicing.accounts import Account

    accounts = [
        Account("EUR", Decimal("750.00"), Decimal("0.00"), Decimal("300.00"), Decimal("750.00")),  # 300 back
        Account("USD", Decimal("500.00"), Decimal("0.00"), Decimal("0.00"), Decimal("200.00")),  # 300 open
    ]
    credit = [listing.CreditBalance("EUR", Decimal("250.00")), listing.CreditBalance("USD", Decimal("40.00"))]
    due = listing.refunds_due(accounts, credit)
    assert due == {
        "EUR": listing.RefundDue("EUR", Decimal("300.00"), Decimal("250.00")),
        "USD": listing.RefundDue("USD", Decimal("0.00"), Decimal("40.00")),
    }
    assert (due["EUR"].total, due["USD"].total) == (Decimal("550.00"), Decimal("40.00"))


def test_the_case_page_shows_the_refund_due_of_the_case_account(as_role, case):
    receive(issued_deposit(case, "750.00"), "1000.00")
    panel = shown(text(as_role("finance").get(f"/cases/{case.id}")), "invoices")
    assert "Refund due to the patient: €250.00" in panel
    assert "Credit on the case's account: €250.00" in panel


def test_the_portal_shows_the_refund_due_of_the_patients_account(as_role, users, case):
    patient = db.session.get(Patient, case.patient_id)
    patient.user_id, patient.preferred_language = users["patient"].id, "en"  # the portal in English
    db.session.commit()
    invoice = issued_deposit(case, "750.00")
    receive(invoice, "1000.00")
    line = invoices.get_invoice(invoice.id, refresh=True).lines[0]
    note = credit_notes.create_credit_note_draft(
        invoice.id, actor_id=None, reason="Lower deposit", amounts={line.id: "300"}
    )
    db.session.commit()
    _issued(note.id)
    portal = " ".join(re.sub(r"<[^>]+>", " ", text(as_role("patient").get("/portal/invoices"))).split())
    assert "Due back to you: €550.00 (€300.00 on your invoices, €250.00 of the credit on your account)." in portal
    assert "Credit on your account: €250.00" in portal


def test_the_credit_statement_shows_the_method_and_reference_of_the_payment_the_credit_came_from(as_role, case):
    receive(issued_deposit(case, "750.00"), "1000.00", reference="SEPA 4711")
    page = text(as_role("finance").get(f"/cases/{case.id}/invoices"))
    statement = shown(page, "credit")
    assert re.search(r"Paid more than was open \S+ €250\.00 Bank transfer SEPA 4711", statement), statement
    step = listing.credit_statement(case.id)[0]
    assert (step.method_label, step.shown_reference) == ("Bank transfer", "SEPA 4711")
