"""A month of a case's money for the accountant's export: a deposit paid, a final invoice with exempt, standard and
reduced lines that deducts it, a credit note of the hotel nights, and a payment of part of the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backoffice.extensions import db
from backoffice.invoicing import conversion, deposits, drafts, finals, issuing, payments
from backoffice.invoicing.models import Invoice
from tests.invoicing.factories import credit, fresh, make_approved_bill, make_invoicing_case

NOVEMBER = ("2026-11-01", "2026-11-30")


def issued_on(monkeypatch, day: date) -> None:
    """Invoices issued from now on are dated `day` (the operator's today, as issuing reads it)."""
    monkeypatch.setattr(issuing, "operator_today", lambda: day)


def pay_on(invoice: Invoice, amount: str, day: date, *, method: str = "bank_transfer", refund: bool = False) -> None:
    payments.record_payment(
        invoice.id,
        actor_id=None,
        amount=amount,
        currency=invoice.currency,
        received_on=day,
        method=method,
        refund=refund,
    )
    db.session.commit()


def issue(invoice_id: int) -> Invoice:
    issuing.issue_invoice(invoice_id, actor_id=None)
    db.session.commit()
    return fresh(invoice_id)


def issued_deposit(monkeypatch, case, amount: str, day: date, **rate) -> Invoice:
    issued_on(monkeypatch, day)
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount=amount, **rate)
    db.session.commit()
    return issue(draft.id)


@dataclass
class Month:
    deposit: Invoice
    final: Invoice
    credit_note: Invoice


def november(monkeypatch, *, patient=None) -> Month:
    """November 2026 of one case in euros: deposit 500.00 issued on the 3rd and paid by transfer on the 5th; the
    final invoice of the 20th (treatment 5,886.50 exempt, hotel 3 x 100.00 + 7 %, coordination fee 1,500.00 + 19 %,
    the deposit deducted); on the 25th a credit note of the hotel nights; on the 28th 1,000.00 paid in cash."""
    case = make_invoicing_case(**({"patient": patient} if patient is not None else {}))
    db.session.commit()
    deposit = issued_deposit(monkeypatch, case, "500.00", date(2026, 11, 3))
    pay_on(deposit, "500.00", date(2026, 11, 5))
    make_approved_bill(case)
    db.session.commit()
    issued_on(monkeypatch, date(2026, 11, 20))
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    drafts.add_line(
        draft.id,
        actor_id=None,
        expected_version=None,
        kind="hotel",
        description="Hotel Adlon, 3 nights",
        quantity="3",
        unit_price="100.00",
    )
    db.session.commit()
    final = issue(draft.id)
    issued_on(monkeypatch, date(2026, 11, 25))
    hotel = next(line for line in final.lines if line.kind == "hotel")
    note = credit(final, {hotel.id: None}, reason="The patient stayed with relatives")
    pay_on(fresh(final.id), "1000.00", date(2026, 11, 28), method="cash")
    return Month(deposit=deposit, final=final, credit_note=note)


def dollar_deposit(monkeypatch, amount: str = "333.33") -> Invoice:
    """A deposit in US dollars at 1 EUR = 1.25 USD, issued on 10 November 2026 and paid in full on the 12th."""
    case = make_invoicing_case(currency="USD")
    conversion.set_invoicing_currency(case.id, "USD", actor_id=None)
    db.session.commit()
    deposit = issued_deposit(
        monkeypatch, case, amount, date(2026, 11, 10), exchange_rate="1.25", exchange_rate_on=date(2026, 11, 9)
    )
    pay_on(deposit, amount, date(2026, 11, 12))
    return deposit
