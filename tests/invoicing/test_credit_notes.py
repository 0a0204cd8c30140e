"""Credit notes never reverse more than the invoice carried: not more VAT than a line had, even in halves, nor a
line twice when two are issued at once; and a deposit the final invoice took over is corrected through the final
invoice, never credited on its own (that would pay it back twice)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.invoicing import accounts, credit_notes, drafts, finals, issuing
from backoffice.invoicing.invoices import InvoiceError
from backoffice.invoicing.models import Invoice
from tests.invoicing.concurrency import after_the_check, at_once, one_stored_one_refused
from tests.invoicing.factories import count, credit, fresh, issue, issued_deposit, issued_final, make_approved_bill, pay


def test_two_half_credit_notes_never_reverse_more_vat_than_the_line_carried(case):
    make_approved_bill(case)
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    for line_id in [line.id for line in fresh(draft.id).lines]:
        drafts.remove_line(draft.id, line_id, actor_id=None, expected_version=None)
    drafts.add_line(
        draft.id,
        actor_id=None,
        expected_version=None,
        kind="other",
        description="Service",
        quantity="1",
        unit_price="1.00",
        vat_category="standard",
    )
    db.session.commit()
    final = issue(draft.id)
    assert (final.net_total, final.tax_total, final.total) == (Decimal("1.00"), Decimal("0.19"), Decimal("1.19"))
    line_id = final.lines[0].id

    # Each half alone would round its VAT up to 0.10; together they reverse exactly the line's 0.19.
    notes = [credit(final, {line_id: "0.50"}), credit(final, {line_id: "0.50"})]

    assert sum(note.net_total for note in notes) == Decimal("1.00")
    assert sum(note.tax_total for note in notes) == Decimal("0.19")
    assert sum(note.total for note in notes) == final.total
    final = fresh(final.id)
    assert final.status == "credited"
    assert accounts.account_of(final).outstanding == 0
    with pytest.raises(InvoiceError, match="already credited in full"):
        credit_notes.create_credit_note_draft(final.id, actor_id=None, reason="again", amounts={line_id: None})


def test_a_deposit_the_final_invoice_took_over_is_corrected_through_the_final_invoice_not_credited(case):
    deposit = issued_deposit(case)
    deposit_line_id = deposit.lines[0].id
    pay(deposit, "500.00")
    final = issued_final(case)
    assert final.deductions_total == Decimal("500.00")

    # Crediting the deposit would pay the 500 back although the final invoice already counts it as paid.
    with pytest.raises(InvoiceError, match="taken over by the final invoice of this case; correct the final invoice"):
        credit_notes.create_credit_note_draft(
            deposit.id, actor_id=None, reason="cancelled", amounts={deposit_line_id: None}
        )
    db.session.rollback()
    assert count(Invoice) == 2
    assert accounts.account_of(fresh(deposit.id)).outstanding == 0
    assert accounts.account_of(fresh(final.id)).deducted == Decimal("500.00")


def test_a_credit_note_drafted_on_a_deposit_is_not_issued_once_the_final_invoice_took_the_deposit_over(case):
    deposit = issued_deposit(case)
    pay(deposit, "500.00")
    note = credit_notes.create_credit_note_draft(
        deposit.id, actor_id=None, reason="cancelled", amounts={deposit.lines[0].id: None}
    )
    db.session.commit()
    issued_final(case)

    with pytest.raises(InvoiceError, match="taken over by the final invoice"):
        issuing.issue_invoice(note.id, actor_id=None)
    db.session.rollback()
    assert fresh(note.id).status == "draft"
    assert accounts.account_of(fresh(deposit.id)).outstanding == 0


@pytest.mark.postgresql_only
def test_two_credit_notes_issued_at_once_never_credit_a_line_twice(app, monkeypatch, case):
    deposit = issued_deposit(case)
    line_id = deposit.lines[0].id
    notes = [
        credit_notes.create_credit_note_draft(deposit.id, actor_id=None, reason=reason, amounts={line_id: "300.00"}).id
        for reason in ("first", "second")
    ]
    db.session.commit()
    after_the_check(monkeypatch, issuing, "_check")

    outcomes = at_once(app, {f"note {n}": (lambda n=n: issuing.issue_invoice(n, actor_id=None)) for n in notes})

    assert "only 200.00 EUR of that line is left to credit" in one_stored_one_refused(outcomes)
    db.session.expire_all()
    issued = select(Invoice.total).where(Invoice.credited_invoice_id == deposit.id, Invoice.status != "draft")
    assert db.session.scalars(issued).all() == [Decimal("300.00")]
