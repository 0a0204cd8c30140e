"""Final invoices: what the case cost the patient (the approved hospital bill at resident prices, the trip, the
medicines, the coordination fee), less the deposits paid. One final invoice in force per case, shown beside the
patient's accepted offer (`offer_difference`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice import vat
from backoffice.cases.operations import get_case
from backoffice.extensions import db
from backoffice.invoicing import sources
from backoffice.invoicing.drafts import append_line, new_draft, retax
from backoffice.invoicing.invoices import AmountTooLarge, InvoiceError, record_invoice_event, shown_label
from backoffice.invoicing.models import Invoice, InvoiceDeduction
from backoffice.logistics.stay import stay_of
from backoffice.offers.operations import accepted_offer
from backoffice.patients.restriction import refuse_changes


def final_in_force(case_id: int, *, exclude_id: int | None = None) -> Invoice | None:
    """The case's final invoice that counts: a draft, or issued and not entirely cancelled by credit notes."""
    query = select(Invoice).where(Invoice.case_id == case_id, Invoice.kind == "final", Invoice.status != "credited")
    if exclude_id is not None:
        query = query.where(Invoice.id != exclude_id)
    return db.session.scalars(query.order_by(Invoice.id).limit(1)).first()


def create_final_draft(
    case_id: int,
    *,
    actor_id: int | None,
    exchange_rate: str | Decimal | None = None,
    exchange_rate_on: date | None = None,
) -> tuple[Invoice, list[str]]:
    """A draft final invoice: the approved hospital bill at resident prices, the trip's costs, the medicines bought
    and the coordination fee, less the deposits paid. Returns the draft and notes on what could not be taken over.

    Needs the hospital bill approved; one final invoice per case (another one only after a credit note cancelled
    the first entirely)."""
    case = get_case(case_id)
    refuse_changes(case.patient)  # an erased patient gets no new invoice
    bill = sources.approved_bill(case.id)
    if bill is None:
        raise InvoiceError(
            _(
                "Case %(number)s has no approved hospital bill: the final invoice passes the approved bill on, so "
                "approve the bill first.",
                number=case.number,
            )
        )
    existing = final_in_force(case.id)
    if existing is not None:
        raise InvoiceError(
            _(
                "Case %(number)s already has %(invoice)s. Correct it with a credit note; a new final invoice "
                "is possible once a credit note has cancelled it in full.",
                number=case.number,
                invoice=shown_label(existing),
            )
        )
    invoice = new_draft(case, "final", actor_id, exchange_rate, exchange_rate_on)
    invoice.hospital_bill_id = bill.id
    offer = accepted_offer(case.id)
    invoice.offer_id = offer.id if offer is not None else None  # shown beside the invoice; see offer_difference
    notes: list[str] = []
    drafts = sources.treatment_lines(bill) + sources.logistics_lines(case.id) + sources.medicine_lines(case.id)
    fee = sources.coordination_fee_line()
    if fee is not None:
        drafts.append(fee)
    table = vat.rules()
    for draft in drafts:
        try:
            append_line(invoice, draft, table)
        except AmountTooLarge:
            raise
        except InvoiceError:
            notes.append(
                _(
                    "Not taken over: %(description)s (%(quantity)s x %(price)s %(currency)s); add it in "
                    "%(invoice_currency)s by hand.",
                    description=draft.description,
                    quantity=format(draft.quantity.normalize(), "f"),
                    price=draft.unit_price,
                    currency=draft.currency,
                    invoice_currency=invoice.currency,
                )
            )
    # The service is the stay the patient had, not the span of the bill's lines (pre-admission tests are billed
    # days before it); only a case without a confirmed stay falls back to the days the bill names.
    stay = stay_of(case)
    if stay is not None:
        invoice.service_from, invoice.service_to = stay.admission_on, stay.discharge_on
    else:
        treatment_days = [line.service_on for line in invoice.lines if line.service_on is not None]
        invoice.service_from, invoice.service_to = min(treatment_days, default=None), max(treatment_days, default=None)
    retax(invoice)
    refresh_deductions(invoice)
    db.session.flush()
    record_invoice_event(invoice, case, actor_id, "draft_created", f"Draft final invoice from bill {bill.reference}")
    return invoice, notes


def refresh_deductions(invoice: Invoice) -> None:
    """A final invoice deducts the deposits paid so far (recomputed until it is issued)."""
    if invoice.kind != "final":
        return
    invoice.deductions.clear()
    db.session.flush()
    for paid in sources.deposits_to_deduct(invoice.case_id, invoice.currency, final_invoice_id=invoice.id):
        invoice.deductions.append(
            InvoiceDeduction(deposit_invoice_id=paid.invoice.id, deposit_invoice=paid.invoice, amount=paid.amount)
        )
