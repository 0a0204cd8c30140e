"""Rows for invoicing tests: a case ready to invoice, an approved hospital bill, invoices issued, credited and paid."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from backoffice.billing.models import BillLine, HospitalBill, TariffImport, TariffItem
from backoffice.extensions import db
from backoffice.invoicing import credit_notes, deposits, finals, invoices, issuing, payments
from backoffice.invoicing.models import Invoice
from backoffice.money import Money
from tests.factories import make_case, make_hospital, make_patient


def make_invoicing_case(*, estimate: str = "20000.00", currency: str = "EUR", state: str = "discharged", **fields):
    """A discharged case with a hospital, a cost estimate and a patient with an address."""
    hospital = fields.pop("hospital", None) or make_hospital()
    patient = fields.pop("patient", None) or make_patient(name="Amira Haddad")
    patient.address = "Villa 12, Al Wasl Road\nDubai\nUnited Arab Emirates"
    case = make_case(
        patient=patient,
        state=state,
        hospital_id=hospital.id,
        cost_estimate=Money(estimate, currency) if estimate else None,
        **fields,
    )
    db.session.flush()
    return case


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

TODAY = date.today()


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
