"""What a final invoice takes over from the rest of the case: the approved hospital bill at resident prices, the
trip's costs, the coordination fee, and the deposits the patient has paid.

Each source gives plain `LineDraft`s in the currency it is priced in; `drafts.append_line` converts them to the
invoice's currency. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import aliased

from backoffice.billing.models import NEEDS_DECISION, BillLine, HospitalBill, TariffItem
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice, InvoiceDeduction, InvoiceLine, InvoicePayment
from backoffice.logistics.models import Flight, HospitalAppointment, HotelStay, InterpreterBooking, Transfer
from backoffice.money import Amount
from backoffice.shipments.models import MedicineOrder, OrderItem

APPROVED = ("approved", "paid")


@dataclass(frozen=True, slots=True)
class LineDraft:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    currency: str
    vat_category: str = ""  # empty: the category the VAT table gives the line's kind
    service_on: date | None = None
    bill_line_id: int | None = None


def approved_bill(case_id: int) -> HospitalBill | None:
    """The case's bill as finally approved: the newest approved (or paid) bill that no correction replaced."""
    corrected = select(HospitalBill.supersedes_id).where(HospitalBill.supersedes_id.is_not(None))
    return db.session.scalar(
        select(HospitalBill)
        .where(HospitalBill.case_id == case_id, HospitalBill.status.in_(APPROVED), HospitalBill.id.not_in(corrected))
        .order_by(HospitalBill.received_on.desc(), HospitalBill.id.desc())
        .limit(1)
    )


def treatment_lines(bill: HospitalBill) -> list[LineDraft]:
    """The approved bill's lines at what a resident pays: the resident unit price where the tariff priced the line
    and the hospital charged more; what the hospital charged otherwise (below tariff, or a code finance accepted
    without a tariff price). Only lines finance accepted pass on: a line that needed a decision (a finding, a line
    without a price comparison, a credit) only when it was accepted, so a line approved past by an override note is
    never charged; unreadable lines and disputed lines pass nothing on."""
    rows = db.session.execute(
        select(BillLine, TariffItem.resident_price, TariffItem.currency)
        .outerjoin(TariffItem, TariffItem.id == BillLine.tariff_item_id)
        .where(BillLine.bill_id == bill.id)
        .order_by(BillLine.position)
    ).all()
    drafts = []
    for line, resident_price, tariff_currency in rows:
        if line.quantity is None or line.unit_price is None or not line.currency or line.decision == "disputed":
            continue
        if line.status in NEEDS_DECISION and line.decision != "accepted":
            continue
        unit_price = line.unit_price
        if resident_price is not None and tariff_currency == line.currency and resident_price < unit_price:
            unit_price = resident_price
        code = f"{line.code} " if line.code else ""
        drafts.append(
            LineDraft(
                kind="treatment",
                description=f"{code}{line.description}".strip()[:300] or "Hospital service",
                quantity=line.quantity,
                unit_price=unit_price,
                currency=line.currency,
                service_on=line.service_on,
                bill_line_id=line.id,
            )
        )
    return drafts


LOGISTICS_LABELS = {
    "hospital_appointments": "Hospital appointment booking",
    "hotel_stays": "Hotel accommodation",
    "flights": "Flights",
    "transfers": "Airport and hospital transfers",
    "interpreter_bookings": "Medical interpreter",
}
# Each kind of booking is its own kind of invoice line, so that it carries its own VAT category.
LOGISTICS_LINE_KINDS = {
    "hospital_appointments": "appointment",
    "hotel_stays": "hotel",
    "flights": "flight",
    "transfers": "transfer",
    "interpreter_bookings": "interpreter",
}


def logistics_lines(case_id: int) -> list[LineDraft]:
    """The trip's booked costs, one line per kind of booking and currency (cancelled bookings cost nothing)."""
    parts = [
        select(
            literal(model.__tablename__).label("kind"),
            model.cost_amount.label("amount"),
            model.cost_currency.label("currency"),
        ).where(model.case_id == case_id, model.status != "cancelled", model.cost_amount.is_not(None))
        for model in (HospitalAppointment, HotelStay, Flight, Transfer, InterpreterBooking)
    ]
    costs = union_all(*parts).subquery()
    rows = db.session.execute(
        select(costs.c.kind, costs.c.currency, func.count(), func.sum(costs.c.amount)).group_by(
            costs.c.kind, costs.c.currency
        )
    ).all()
    order = list(LOGISTICS_LABELS)
    drafts = []
    for kind, currency, count, amount in sorted(rows, key=lambda row: (order.index(row[0]), row[1])):
        label = LOGISTICS_LABELS[kind]
        drafts.append(
            LineDraft(
                kind=LOGISTICS_LINE_KINDS[kind],
                description=f"{label} ({count} booking{'s' if count != 1 else ''})",
                quantity=Decimal(1),
                unit_price=amount,
                currency=currency,
            )
        )
    return drafts


def medicine_lines(case_id: int) -> list[LineDraft]:
    """Medicines bought for the patient: one line per order the pharmacy has charged (purchased or later)."""
    orders = db.session.execute(
        select(MedicineOrder.id, MedicineOrder.cost_amount, MedicineOrder.cost_currency, MedicineOrder.submitted_at)
        .where(
            MedicineOrder.case_id == case_id,
            MedicineOrder.status.in_(("purchased", "packed", "shipped", "delivered")),
            MedicineOrder.cost_amount.is_not(None),
        )
        .order_by(MedicineOrder.id)
    ).all()
    if not orders:
        return []
    items: dict[int, list[str]] = {}
    for order_id, medicine, quantity in db.session.execute(
        select(OrderItem.order_id, OrderItem.medicine, OrderItem.quantity)
        .where(OrderItem.order_id.in_([order.id for order in orders]))
        .order_by(OrderItem.order_id, OrderItem.position)
    ):
        items.setdefault(order_id, []).append(f"{quantity} x {medicine}")
    return [
        LineDraft(
            kind="medicine",
            description=f"Medicines, order #{order_id}: {', '.join(items.get(order_id, []))}"[:300],
            quantity=Decimal(1),
            unit_price=amount,
            currency=currency,
            service_on=submitted_at.date() if submitted_at else None,
        )
        for order_id, amount, currency, submitted_at in orders
    ]


def coordination_fee_line() -> LineDraft | None:
    """The operator's fee for coordinating the case, in the base currency, before VAT (none when set to 0)."""
    fee = settings().coordination_fee
    if fee <= 0:
        return None
    return LineDraft(
        kind="fee",
        description="Coordination of treatment, travel and aftercare",
        quantity=Decimal(1),
        unit_price=fee,
        currency=settings().invoice_base_currency,
    )


def credited_amounts(invoice_ids: list[int]) -> dict[int, Decimal]:
    """What issued credit notes took off each invoice (their totals, VAT included)."""
    if not invoice_ids:
        return {}
    rows = db.session.execute(
        select(Invoice.credited_invoice_id, func.sum(Invoice.total))
        .where(Invoice.credited_invoice_id.in_(invoice_ids), Invoice.status != "draft")
        .group_by(Invoice.credited_invoice_id)
    ).all()
    return dict(rows)


def paid_amounts(invoice_ids: list[int]) -> dict[int, Decimal]:
    """Payments received minus refunds, per invoice; of a payment above what was open, only what the invoice kept
    (the rest went to the case's credit)."""
    if not invoice_ids:
        return {}
    rows = db.session.execute(
        select(
            InvoicePayment.invoice_id,
            func.sum(InvoicePayment.amount - InvoicePayment.to_credit, type_=Amount(scale=2)),
        )
        .where(InvoicePayment.invoice_id.in_(invoice_ids))
        .group_by(InvoicePayment.invoice_id)
    ).all()
    return dict(rows)


def credited_line_amounts(line_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """What issued credit notes reversed of each invoice line: (net, tax)."""
    if not line_ids:
        return {}
    rows = db.session.execute(
        select(InvoiceLine.credited_line_id, func.sum(InvoiceLine.net_amount), func.sum(InvoiceLine.tax_amount))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.credited_line_id.in_(line_ids), Invoice.status != "draft")
        .group_by(InvoiceLine.credited_line_id)
    ).all()
    return {line_id: (net, tax) for line_id, net, tax in rows}


@dataclass(frozen=True, slots=True)
class DepositPaid:
    invoice: Invoice
    amount: Decimal


def deposits_to_deduct(case_id: int, currency: str, *, final_invoice_id: int | None = None) -> list[DepositPaid]:
    """The case's issued deposit invoices with what the patient paid on them (net of refunds, never more than the
    deposit left after credit notes), unless a final invoice still in force already deducted them."""
    deposits = list(
        db.session.scalars(
            select(Invoice)
            .where(
                Invoice.case_id == case_id,
                Invoice.kind == "deposit",
                Invoice.status != "draft",
                Invoice.currency == currency,
            )
            .order_by(Invoice.issue_date, Invoice.id)
        )
    )
    if not deposits:
        return []
    ids = [deposit.id for deposit in deposits]
    in_force = (
        select(InvoiceDeduction.deposit_invoice_id)
        .join(Invoice, Invoice.id == InvoiceDeduction.invoice_id)
        .where(
            InvoiceDeduction.deposit_invoice_id.in_(ids),
            Invoice.status.not_in(("draft", "credited")),
        )
    )
    if final_invoice_id is not None:
        in_force = in_force.where(Invoice.id != final_invoice_id)
    deducted = set(db.session.scalars(in_force))
    paid = paid_amounts(ids)
    credited = credited_amounts(ids)
    result = []
    for deposit in deposits:
        if deposit.id in deducted:
            continue
        amount = min(paid.get(deposit.id, Decimal(0)), deposit.total - credited.get(deposit.id, Decimal(0)))
        if amount > 0:
            result.append(DepositPaid(invoice=deposit, amount=amount))
    return result


def superseded_deposits(deposit_ids: list[int]) -> set[int]:
    """Deposits a final invoice in force has taken over: what was paid on them is deducted there, and what was not
    is part of that invoice's balance, so nothing more is due on the deposit itself."""
    if not deposit_ids:
        return set()
    final = aliased(Invoice)
    return set(
        db.session.scalars(
            select(Invoice.id)
            .join(
                final,
                (final.case_id == Invoice.case_id)
                & (final.currency == Invoice.currency)
                & (final.kind == "final")
                & final.status.not_in(("draft", "credited"))
                & (final.issued_at >= Invoice.issued_at),
            )
            .where(Invoice.id.in_(deposit_ids), Invoice.kind == "deposit")
            .distinct()
        )
    )
