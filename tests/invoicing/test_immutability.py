"""An issued invoice stays as issued: never set back to draft, no line added behind the flush guard's back, its
payments appended and never rewritten, and its PDF the same bytes every time it is rendered."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.invoicing.invoices import InvoiceImmutable
from backoffice.invoicing.models import Invoice, InvoiceLine, InvoicePayment
from backoffice.invoicing.printing import render_invoice_pdf
from tests.invoicing.factories import fresh, issued_deposit, pay


def test_an_issued_invoice_is_never_set_back_to_draft(case):
    deposit = issued_deposit(case)
    db.session.get(Invoice, deposit.id).status = "draft"  # a bug or a script

    with pytest.raises(InvoiceImmutable, match="status back to draft"):
        db.session.commit()
    db.session.rollback()
    stored = fresh(deposit.id)
    assert (stored.status, stored.number) == ("issued", deposit.number)


def test_a_line_attached_to_an_issued_invoice_through_its_relationship_is_refused(case):
    deposit = issued_deposit(case)
    db.session.expunge_all()
    invoice = db.session.get(Invoice, deposit.id)  # its lines not loaded: the guard must not rely on them
    db.session.add(
        InvoiceLine(
            invoice=invoice,
            position=2,
            kind="other",
            description="smuggled",
            quantity=Decimal(1),
            unit_price=Decimal(1000),
            vat_rate=Decimal(0),
            vat_category="exempt",
            net_amount=Decimal(1000),
            tax_amount=Decimal(0),
        )
    )

    with pytest.raises(InvoiceImmutable, match="its lines"):
        db.session.commit()
    db.session.rollback()
    assert [line.description for line in fresh(deposit.id).lines] == [deposit.lines[0].description]


def test_a_recorded_payment_is_never_rewritten_or_deleted(case):
    deposit = issued_deposit(case)
    pay(deposit, "100.00")
    payment = db.session.scalars(select(InvoicePayment)).one()

    payment.amount = Decimal("500.00")
    with pytest.raises(InvoiceImmutable, match="appended, never rewritten"):
        db.session.commit()
    db.session.rollback()

    db.session.delete(db.session.get(InvoicePayment, payment.id))
    with pytest.raises(InvoiceImmutable, match="appended, never rewritten"):
        db.session.commit()
    db.session.rollback()

    db.session.expire_all()
    assert db.session.scalars(select(InvoicePayment.amount)).all() == [Decimal("100.00")]


def test_the_same_invoice_renders_to_identical_pdf_bytes(case):
    deposit = issued_deposit(case)

    first = render_invoice_pdf(deposit, case_number=case.number)
    second = render_invoice_pdf(deposit, case_number=case.number)

    assert first == second


# ------------------------------------------------------------------------------------ at the same moment (PostgreSQL)
#
# Each test lines two sessions up right after their check: the first to pass its check waits (up to BARRIER_WAIT)
# for the other to pass its own. Without the case's row lock both pass and both write; with it the other waits on
# the lock instead, the first goes on when the wait runs out, and the other then checks against what it stored.

BARRIER_WAIT = 2  # seconds; long enough for an unlocked second session to reach its check
