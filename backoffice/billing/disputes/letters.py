"""The dispute letter: what we ask a hospital to correct on a bill, with the resident tariff as evidence.

The letter is built as plain data (`dispute_letter`) and printed by the one PDF renderer (`dispute_letter_pdf`), so
nothing a hospital wrote on its bill is more than text in a table cell.

What a disputed line asks to correct:
- an overcharged line (priced above the resident tariff): the difference, charged minus resident expected;
- any other disputed line (a duplicate, a code not in the tariff, a service outside the stay or the programme, or a
  line finance refuses for a reason of its own): the whole charged amount;
- a line the audit could not read (or a credit) has no amount: the hospital is asked to restate it, nothing is
  totalled for it.
Totals are per currency, never added up across currencies: the amount found (`billing.figures`), as the savings
report, the case page and the dashboard show it.

A bill above what the patient's accepted treatment offer promised (its `exceeds_offer` findings: the treatment total
or a code's charges) says so too, with the offer's figures: charged, agreed, difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.numbers import format_currency
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from backoffice.billing.bills.offer_findings import Excess
from backoffice.billing.figures import ISO_PATTERN, format_amount, to_correct
from backoffice.billing.models import NEEDS_DECISION, BillLine, HospitalBill, TariffItem
from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.patients.models import Patient
from backoffice.pdf import render_pdf

OVERCHARGED = "overcharged"
DISPUTED = "disputed"
DEFAULT_OPERATOR_NAME = "Your medical travel team"

# Why the audit flagged a line, in words a hospital's billing office reads.
FINDINGS = {
    "invalid": "The line cannot be read",
    "duplicate": "Charged twice",
    "unknown_code": "Code not in your resident tariff",
    "no_valid_tariff": "No resident price valid on the date of service",
    "currency_mismatch": "Currency differs from your resident tariff",
    "outside_stay": "Service dated outside the patient's stay",
    "not_in_programme": "Service not part of the agreed programme",
    "overcharged": "Charged above the resident price",
    "below_tariff": "Charged below the resident price",
    "ok": "Charged at the resident price",
}


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    email: str
    phone: str
    address: str = ""
    vat_id: str = ""


@dataclass(frozen=True, slots=True)
class Recipient:
    name: str
    address: str
    city: str
    country: str
    contact_name: str
    contact_email: str
    contact_phone: str


@dataclass(frozen=True, slots=True)
class TariffEvidence:
    """The version of the resident tariff that priced the line."""

    code: str
    description: str
    valid_from: date
    valid_to: date | None
    resident_price: Decimal  # per unit, with every decimal the tariff has (up to 4)
    currency: str


@dataclass(frozen=True, slots=True)
class DisputedLine:
    line_no: int
    service_on: date | None
    raw_date: str
    code: str
    description: str
    quantity: Decimal | None
    raw_quantity: str
    unit_price: Decimal | None
    currency: str | None
    status: str
    finding: str  # the audit's finding, in words
    audit_reason: str  # the audit's detail, such as "3.2 % above the resident price"
    reason: str  # finance's reason for disputing the line
    charged: Decimal | None
    expected: Decimal | None
    evidence: TariffEvidence | None

    @property
    def difference(self) -> Decimal | None:
        """Charged minus resident expected, on a priced line."""
        if self.charged is None or self.expected is None:
            return None
        return self.charged - self.expected

    @property
    def to_correct(self) -> Decimal | None:
        """What the hospital is asked to take off this line: `figures.to_correct`, the one definition of found."""
        return to_correct(self.status, self.charged, self.expected)


@dataclass(frozen=True, slots=True)
class DisputeLetter:
    bill_id: int
    reference: str
    received_on: date
    case_number: str
    patient_name: str
    operator: Operator
    hospital: Recipient
    written_on: date
    signatory: str
    lines: list[DisputedLine]
    totals: dict[str, Decimal] = field(default_factory=dict)  # amount to correct, by currency
    unpriced_lines: int = 0  # disputed lines with no amount (unreadable)
    undecided: list[int] = field(default_factory=list)  # line numbers nobody has decided yet: the letter accepts none
    above_offer: list[Excess] = field(default_factory=list)  # the bill's total or codes above the accepted offer

    @property
    def subject(self) -> str:
        return f"Correction requested: bill {self.reference} (case {self.case_number})"

    @property
    def filename(self) -> str:
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in self.reference).strip(".-") or "bill"
        return f"dispute-{safe}.pdf"


def operator_from_config() -> Operator:
    config = settings()
    return Operator(
        name=config.operator_name or DEFAULT_OPERATOR_NAME,
        email=config.operator_email,
        phone=config.operator_phone,
        address=config.operator_address,
        vat_id=config.operator_vat_id,
    )


def dispute_letter(bill_id: int, *, signatory: str = "", written_on: date | None = None) -> DisputeLetter:
    """The letter asking the hospital to correct the disputed lines of a bill, as plain data.

    Refused (422) when no line of the bill is disputed: there would be nothing to ask. Four statements whatever the
    number of lines: the bill with its hospital, its lines, its findings, its case with the patient, the tariff items.
    """
    bill = db.session.scalar(
        select(HospitalBill)
        .where(HospitalBill.id == bill_id)
        .options(
            joinedload(HospitalBill.hospital), selectinload(HospitalBill.lines), selectinload(HospitalBill.findings)
        )
    )
    if bill is None:
        raise NotFound("There is no such hospital bill.")
    disputed = [line for line in bill.lines if line.decision == DISPUTED]
    if not disputed:
        raise DomainError(
            f"Bill {bill.reference} has no disputed line: dispute at least one line before writing to the hospital."
        )
    case, patient = db.session.execute(
        select(Case, Patient).join(Patient, Patient.id == Case.patient_id).where(Case.id == bill.case_id)
    ).one()
    item_ids = {line.tariff_item_id for line in disputed if line.tariff_item_id is not None}
    items = (
        {item.id: item for item in db.session.scalars(select(TariffItem).where(TariffItem.id.in_(item_ids)))}
        if item_ids
        else {}
    )
    lines = [_disputed_line(line, items.get(line.tariff_item_id)) for line in disputed]
    totals: dict[str, Decimal] = {}
    for line in lines:
        if line.to_correct is not None and line.currency:
            totals[line.currency] = totals.get(line.currency, Decimal("0.00")) + line.to_correct
    hospital = bill.hospital
    return DisputeLetter(
        bill_id=bill.id,
        reference=bill.reference,
        received_on=bill.received_on,
        case_number=case.number,
        patient_name=patient.name,
        operator=operator_from_config(),
        hospital=Recipient(
            name=hospital.name,
            address=hospital.address,
            city=hospital.city,
            country=hospital.country,
            contact_name=hospital.contact_name,
            contact_email=hospital.contact_email,
            contact_phone=hospital.contact_phone,
        ),
        written_on=written_on or utcnow().date(),
        signatory=signatory,
        lines=lines,
        totals=dict(sorted(totals.items())),
        unpriced_lines=sum(1 for line in lines if line.to_correct is None),
        undecided=[line.line_no for line in bill.lines if line.status in NEEDS_DECISION and line.decision is None],
        above_offer=[
            Excess(f.code, f.description, f.charged, f.promised, f.currency, f.offer_id or 0, f.offer_label)
            for f in bill.findings
            if f.kind == "exceeds_offer"
        ],
    )


def _disputed_line(line: BillLine, item: TariffItem | None) -> DisputedLine:
    evidence = None
    if item is not None:
        evidence = TariffEvidence(
            code=item.code,
            description=item.description,
            valid_from=item.valid_from,
            valid_to=item.valid_to,
            resident_price=item.resident_price,
            currency=item.currency,
        )
    return DisputedLine(
        line_no=line.line_no,
        service_on=line.service_on,
        raw_date=line.raw_date,
        code=line.code,
        description=line.description,
        quantity=line.quantity,
        raw_quantity=line.raw_quantity,
        unit_price=line.unit_price,
        currency=line.currency,
        status=line.status,
        finding=FINDINGS.get(line.status, line.status),
        audit_reason=line.reason,
        reason=line.decision_reason,
        charged=line.charged,
        expected=line.expected,
        evidence=evidence,
    )


# ---------------------------------------------------------------------------------------------- printing


def format_unit_price(amount: Decimal | None, currency: str | None) -> str:
    """A unit price with every decimal it has (up to 4), never rounded to the cent: EUR 12.3456."""
    if amount is None or not currency:
        return "—"
    return format_currency(amount, currency, ISO_PATTERN, locale="en", decimal_quantization=False)


def format_quantity(quantity: Decimal | None, raw: str = "") -> str:
    """2 rather than 2.0000; 1.5 stays 1.5."""
    if quantity is None:
        return raw or "—"
    return f"{quantity.normalize():f}"


def format_day(day: date | None, raw: str = "") -> str:
    return day.strftime("%d %b %Y") if day else (raw or "—")


PRINT_HELPERS = {
    "format_amount": format_amount,
    "format_unit_price": format_unit_price,
    "format_quantity": format_quantity,
    "format_day": format_day,
}


def dispute_letter_pdf(letter: DisputeLetter) -> bytes:
    """The letter as an A4 PDF (needs an app or request context for the template)."""
    return render_pdf("billing/dispute_letter.html", letter=letter, **PRINT_HELPERS)
