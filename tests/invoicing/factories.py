"""Rows for invoicing tests: a case ready to invoice, an approved hospital bill, invoices issued, credited and paid."""

from __future__ import annotations

import html
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from backoffice.billing.models import BillLine, HospitalBill, TariffImport, TariffItem
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.invoicing import credit_notes, deposits, finals, invoices, issuing, payments
from backoffice.invoicing.models import Invoice
from backoffice.money import round_half_up
from backoffice.offers import pricing
from backoffice.offers.models import Offer, OfferInstalment, OfferItem
from tests.factories import make_case, make_hospital, make_patient

TODAY = date.today()


def make_invoicing_case(*, estimate: str = "20000.00", currency: str = "EUR", state: str = "discharged", **fields):
    """A discharged case with a hospital, an accepted offer of `estimate` (a one-line offer, as the migration made of
    a typed estimate; none when empty) and a patient with an address."""
    hospital = fields.pop("hospital", None) or make_hospital()
    patient = fields.pop("patient", None) or make_patient(name="Amira Haddad")
    patient.address = "Villa 12, Al Wasl Road\nDubai\nUnited Arab Emirates"
    case = make_case(patient=patient, state=state, hospital_id=hospital.id, **fields)
    if estimate:
        offer = make_offer(
            case, [("", "Treatment programme (the price agreed before offers)", "1", estimate)], currency=currency
        )
        offer.from_estimate, offer.acceptance_channel = True, "migrated"
    db.session.flush()
    return case


def make_offer(
    case,
    items,
    *,
    currency: str = "EUR",
    status: str = "accepted",
    version: int = 1,
    schedule=(("Deposit", "100", None),),
    services=(),
) -> Offer:
    """An offer of the case priced in `currency` (tariffs in the same currency, no conversion): treatment `items`
    (code, description, quantity, unit price[, optional[, chosen]]), service items (description, quantity, price,
    VAT category), the payment `schedule` (label, percent, due date or None: in 30 days); sent (a PDF hash kept) or
    accepted as recorded, its accepted total with the options chosen."""
    offer = Offer(
        case_id=case.id,
        version=version,
        status="sent",
        language="en",
        currency=currency,
        base_currency=settings().invoice_base_currency,
        valid_until=TODAY + timedelta(days=30),
        treatment_on=TODAY + timedelta(days=20),
        pdf_filename="offer.pdf",
        pdf_sha256="0" * 64,
        pdf_size=1,
    )
    lines = []
    for position, (code, description, quantity, price, *flags) in enumerate(items, start=1):
        optional, chosen = [*flags, False, False][:2]
        lines.append(
            _item(position, "treatment", code, description, quantity, price, currency, "exempt", optional, chosen)
        )
    for position, (description, quantity, price, category) in enumerate(services, start=len(lines) + 1):
        lines.append(_item(position, "service", "", description, quantity, price, currency, category, False, False))
    offer.items = lines
    offer.instalments = [
        OfferInstalment(position=i, label=label, percent=Decimal(percent), due_on=due_on or TODAY + timedelta(days=30))
        for i, (label, percent, due_on) in enumerate(schedule, start=1)
    ]
    pricing.total_up(offer)
    db.session.add(offer)
    db.session.flush()
    if status == "accepted":
        offer.status = "accepted"
        offer.accepted_at = utcnow()
        offer.acceptance_channel = "recorded"
        offer.accepted_name = "Amira Haddad"
        offer.accepted_total = pricing.with_options(offer, [item.id for item in offer.items if item.chosen])
        db.session.flush()
    return offer


def _item(position, section, code, description, quantity, price, currency, category, optional, chosen) -> OfferItem:
    quantity, price = Decimal(quantity), Decimal(price)
    return OfferItem(
        position=position,
        section=section,
        code=code,
        description=description,
        quantity=quantity,
        unit_price=price,
        source_currency=currency,
        amount=round_half_up(quantity * price, 2),
        vat_category=category,
        vat_rate=pricing.vat_rate_of(category),
        optional=optional,
        chosen=chosen,
    )


# code, description, quantity, charged unit price, resident unit price (None: not in the tariff)
DEFAULT_BILL_LINES = (
    ("SC-001", "Leukocytapheresis", "1", "4200.00", "3900.00"),  # overcharged: the patient pays 3,900
    ("SC-002", "Cryopreservation", "2", "850.00", "850.00"),
    ("LAB-17", "Laboratory panel", "3", "95.50", "110.00"),  # below tariff: the patient pays what was charged
)


def make_approved_bill(case, lines=DEFAULT_BILL_LINES, *, status: str = "approved", currency: str = "EUR"):
    """An approved bill of the case's hospital, its lines priced against a resident tariff."""
    tariff = TariffImport(hospital_id=case.hospital_id, filename="tariff.csv", sha256="0" * 64, item_count=len(lines))
    db.session.add(tariff)
    db.session.flush()
    bill = HospitalBill(
        case_id=case.id,
        hospital_id=case.hospital_id,
        reference=f"H-{case.id}-{status}",
        received_on=date(2026, 11, 2),
        status=status,
        tariff_import_id=tariff.id,
    )
    db.session.add(bill)
    db.session.flush()
    for position, (code, description, quantity, charged, resident) in enumerate(lines, start=1):
        item = None
        if resident is not None:
            item = TariffItem(
                import_id=tariff.id,
                hospital_id=case.hospital_id,
                code=code,
                description=description,
                resident_price=Decimal(resident),
                currency=currency,
                valid_from=date(2026, 1, 1),
            )
            db.session.add(item)
            db.session.flush()
        qty, price = Decimal(quantity), Decimal(charged)
        db.session.add(
            BillLine(
                bill_id=bill.id,
                position=position,
                line_no=position,
                raw_date="2026-10-20",
                code=code,
                description=description,
                raw_quantity=quantity,
                raw_unit_price=charged,
                raw_currency=currency,
                service_on=date(2026, 10, 19 + position),
                quantity=qty,
                unit_price=price,
                currency=currency,
                status="ok" if item is None or Decimal(resident) == price else "overcharged",
                charged=(qty * price).quantize(Decimal("0.01")),
                expected=None if item is None else (qty * Decimal(resident)).quantize(Decimal("0.01")),
                tariff_item_id=item.id if item else None,
                decision="accepted",
            )
        )
    db.session.flush()
    return bill


# ---------------------------------------------------------------------------------------------- invoices as they go


def fresh(invoice_id: int) -> Invoice:
    """The invoice as stored now, lines included."""
    db.session.expire_all()
    return invoices.get_invoice(invoice_id, refresh=True)


def issue(invoice_id: int) -> Invoice:
    issuing.issue_invoice(invoice_id, actor_id=None)
    db.session.commit()
    return fresh(invoice_id)


def issued_deposit(case, amount: str = "500.00") -> Invoice:
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount=amount)
    db.session.commit()
    return issue(draft.id)


def issued_final(case) -> Invoice:
    make_approved_bill(case)
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    return issue(draft.id)


def credit(invoice: Invoice, amounts: dict[int, str | None], reason: str = "correction") -> Invoice:
    note = credit_notes.create_credit_note_draft(invoice.id, actor_id=None, reason=reason, amounts=amounts)
    db.session.commit()
    return issue(note.id)


def pay(invoice: Invoice, amount: str, *, refund: bool = False) -> None:
    payments.record_payment(
        invoice.id,
        actor_id=None,
        amount=amount,
        currency=invoice.currency,
        received_on=TODAY,
        method="bank_transfer",
        refund=refund,
    )
    db.session.commit()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))
