"""Invoices while they are drafts: creating deposit invoices, final invoices and credit notes, and editing them.

Every invoice of a case is in the case's invoicing currency (EUR by default). Amounts priced in the operator's base
currency are converted with the exchange rate fixed on the draft; the unit price before conversion stays on the line.
Issuing (numbering, PDF, archive) is in `issuing.py`, payments in `payments.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from backoffice.cases.models import Case
from backoffice.cases.operations import get_case, record_case_event
from backoffice.config import settings
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.invoicing import sources
from backoffice.invoicing.models import (
    KIND_LABELS,
    LINE_KINDS,
    PRICE_SCALE,
    RATE_SCALE,
    Invoice,
    InvoiceDeduction,
    InvoiceLine,
)
from backoffice.invoicing.totals import (
    InvoiceTotals,
    apply_vat,
    invoice_totals,
    line_amounts,
    minor_digits,
    rate_tax,
)
from backoffice.logistics.stay import stay_of
from backoffice.money import MAX_AMOUNT, MoneyError, check_currency, round_half_up, to_decimal
from backoffice.patients.models import Patient
from backoffice.trail import record_event

MAX_LINES = 500
HUNDRED = Decimal(100)


class InvoiceError(DomainError):
    """An invoice rule refused the change; the message says which and what to do instead."""


class InvoiceConflict(InvoiceError):
    """Someone else changed or issued the invoice first."""

    status_code = 409


class InvoiceImmutable(InvoiceError):
    """An issued invoice or credit note was about to change."""

    status_code = 409


# ---------------------------------------------------------------------------------------------- loading


def get_invoice(invoice_id: int, *, refresh: bool = False) -> Invoice:
    """An invoice with its lines, deductions (with their deposits), payments and the invoice it credits; `refresh`
    reads it again from the database even if this session holds it (after an UPDATE written past the ORM)."""
    invoice = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(
            selectinload(Invoice.lines),
            selectinload(Invoice.deductions).joinedload(InvoiceDeduction.deposit_invoice),
            selectinload(Invoice.payments),
            selectinload(Invoice.credited_invoice),
        )
        .execution_options(populate_existing=refresh)
    )
    if invoice is None:
        raise NotFound("There is no such invoice.")
    return invoice


def lock_case(case_id: int) -> None:
    """Take the case's row lock until commit (PostgreSQL; SQLite has one writer): every check-then-write on a
    case's invoices (issuing, payments) runs one at a time, so a rule checked is still true when the write commits."""
    db.session.execute(select(Case.id).where(Case.id == case_id).with_for_update())


def lock_case_of(invoice_id: int) -> None:
    case_id = db.session.scalar(select(Invoice.case_id).where(Invoice.id == invoice_id))
    if case_id is None:
        raise NotFound("There is no such invoice.")
    lock_case(case_id)


def totals_of(invoice: Invoice) -> InvoiceTotals:
    return invoice_totals(invoice.lines, invoice.currency, [deduction.amount for deduction in invoice.deductions])


def refuse_change(invoice: Invoice, actor_id: int | None, attempted: str) -> None:
    """Refuse any change to an issued invoice, and keep the attempt in the audit log although nothing changes."""
    if invoice.is_draft:
        return
    remedy = (
        "A credit note cannot be changed either; issue a new invoice if needed."
        if invoice.is_credit_note
        else "To correct it, issue a credit note."
    )
    raise InvoiceImmutable(
        f"{invoice.label} is issued and can never be changed or deleted. {remedy}",
        trace={
            "action": "invoice.change_refused",
            "actor_id": actor_id,
            "object_type": "invoice",
            "object_id": invoice.id,
            "details": {"number": invoice.number, "attempted": attempted},
        },
    )


def check_version(invoice: Invoice, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != invoice.version:
        raise InvoiceConflict(f"{invoice.label} was changed by someone else meanwhile. Look at it again and retry.")


def _event(invoice: Invoice, case: Case | None, actor_id: int | None, action: str, note: str, **details) -> None:
    record_event(
        f"invoice.{action}",
        actor_id=actor_id,
        object_type="invoice",
        object_id=invoice.id,
        details={"case_id": invoice.case_id, "number": invoice.number, "kind": invoice.kind, **details},
    )
    if case is not None:
        record_case_event(case, "invoice", actor_id, note=note)


# ---------------------------------------------------------------------------------------------- values


def parse_amount(value: str | Decimal | None, what: str, *, scale: int = 2, positive: bool = True) -> Decimal:
    """An exact amount from a form: refused, never rounded, when it has more decimals than `scale`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvoiceError(f"Enter the {what}.")
    try:
        amount = to_decimal(value)
    except MoneyError as error:
        raise InvoiceError(f"The {what}: {error}") from None
    if amount != round_half_up(amount, scale):
        raise InvoiceError(f"The {what} has at most {scale} decimal places.")
    if positive and amount <= 0:
        raise InvoiceError(f"The {what} must be more than 0.")
    return amount


def operator_today() -> date:
    """Today where the operator issues its invoices (an invoice issued at 00:30 in Frankfurt is dated that day)."""
    return datetime.now(ZoneInfo(settings().operator_timezone)).date()


def base_currency() -> str:
    return settings().invoice_base_currency


def vat_rate() -> Decimal:
    return settings().vat_rate


def _rate_values(currency: str, exchange_rate, exchange_rate_on: date | None) -> tuple[Decimal | None, date | None]:
    """The exchange rate of an invoice: required (with its date) when it is not in the base currency."""
    if currency == base_currency():
        return None, None
    if exchange_rate in (None, "") or exchange_rate_on is None:
        raise InvoiceError(
            f"This case is invoiced in {currency}: enter the exchange rate (1 {base_currency()} = ? {currency}) "
            "and the date of that rate."
        )
    rate = parse_amount(exchange_rate, "exchange rate", scale=RATE_SCALE)
    if exchange_rate_on > operator_today():
        raise InvoiceError("The exchange rate's date cannot be in the future.")
    return rate, exchange_rate_on


def _converted(unit_price: Decimal, currency: str, invoice: Invoice) -> tuple[Decimal, Decimal | None, str | None]:
    """(unit price in the invoice's currency, source unit price, source currency) of a price in `currency`."""
    if currency == invoice.currency:
        return unit_price, None, None
    if currency != invoice.base_currency or invoice.exchange_rate is None:
        raise InvoiceError(
            f"An amount in {currency} cannot go on an invoice in {invoice.currency}: only {invoice.base_currency} "
            "amounts are converted. Add it as a line of its own in the invoice's currency."
        )
    converted = round_half_up(unit_price * invoice.exchange_rate, PRICE_SCALE)
    _check_bound(converted)
    return converted, unit_price, currency


class AmountTooLarge(InvoiceError):
    """An amount beyond what an invoice can hold (a typo in a quantity, a price or a rate)."""


def _check_bound(value: Decimal) -> None:
    if abs(value) >= MAX_AMOUNT:
        raise AmountTooLarge(
            "That comes to more than an invoice can hold; check the quantity, the unit price and the exchange rate."
        )


def _set_amounts(line: InvoiceLine, currency: str) -> None:
    line.net_amount, line.tax_amount = line_amounts(line.quantity, line.unit_price, line.vat_rate, currency)
    _check_bound(line.net_amount + line.tax_amount)


def retax(invoice: Invoice) -> None:
    """Set the VAT of a draft's lines again: per rate on the rate's net total, each line carrying its share; on a
    credit note, what it reverses of each rate's VAT (`credit_note_taxes`). Run after any change of a draft's lines
    and once more when it is issued."""
    if invoice.is_credit_note:
        original = get_invoice(invoice.credited_invoice_id)
        apply_vat(invoice.lines, invoice.currency, fixed=credit_note_taxes(invoice, original))
    else:
        apply_vat(invoice.lines, invoice.currency)


def _add_line(invoice: Invoice, draft: sources.LineDraft) -> InvoiceLine:
    unit_price, source_price, source_currency = _converted(draft.unit_price, draft.currency, invoice)
    line = InvoiceLine(
        position=len(invoice.lines) + 1,
        kind=draft.kind,
        description=draft.description[:300],
        service_on=draft.service_on,
        quantity=draft.quantity,
        unit_price=unit_price,
        vat_rate=vat_rate() if draft.taxed else Decimal(0),
        vat_exempt=not draft.taxed,
        source_unit_price=source_price,
        source_currency=source_currency,
        bill_line_id=draft.bill_line_id,
    )
    _set_amounts(line, invoice.currency)
    invoice.lines.append(line)
    return line


def _new_invoice(case: Case, kind: str, actor_id: int | None, exchange_rate, exchange_rate_on) -> Invoice:
    currency = case.invoicing_currency
    rate, rate_on = _rate_values(currency, exchange_rate, exchange_rate_on)
    patient: Patient = case.patient
    invoice = Invoice(
        case_id=case.id,
        patient_id=case.patient_id,
        kind=kind,
        status="draft",
        currency=currency,
        base_currency=base_currency(),
        exchange_rate=rate,
        exchange_rate_on=rate_on,
        bill_to_name=patient.name,
        bill_to_address=patient.address or "",
        created_by_id=actor_id,
    )
    invoice.lines = []
    invoice.deductions = []
    invoice.payments = []
    db.session.add(invoice)
    return invoice


def _treatment_period(case_id: int) -> tuple[date | None, date | None]:
    """The planned treatment (a deposit is asked before the hospital confirms); the final invoice uses `stay_of`."""
    from backoffice.logistics.models import HospitalAppointment

    row = db.session.execute(
        select(HospitalAppointment.admission_on, HospitalAppointment.discharge_on)
        .where(HospitalAppointment.case_id == case_id, HospitalAppointment.status != "cancelled")
        .order_by(HospitalAppointment.admission_on.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)


# ---------------------------------------------------------------------------------------------- deposits


def estimate_in(case: Case, invoice: Invoice) -> Decimal:
    """The case's cost estimate in the invoice's currency (converted when it is in the base currency)."""
    estimate = case.cost_estimate
    if estimate is None:
        raise InvoiceError(
            f"Case {case.number} has no cost estimate yet: a deposit is an amount or a share of the estimate."
        )
    converted, _, _ = _converted(estimate.amount, estimate.currency, invoice)
    return round_half_up(converted, 2)


def deposits_so_far(
    case_id: int, currency: str, *, exclude_id: int | None = None, issued_only: bool = False
) -> Decimal:
    """What the case's deposit invoices ask for (drafts included unless `issued_only`), less their credit notes."""
    query = (
        select(Invoice)
        .where(Invoice.case_id == case_id, Invoice.kind == "deposit", Invoice.currency == currency)
        .options(selectinload(Invoice.lines))
    )
    if issued_only:
        query = query.where(Invoice.status != "draft")
    if exclude_id is not None:
        query = query.where(Invoice.id != exclude_id)
    deposits = list(db.session.scalars(query))
    asked = sum((invoice_totals(deposit.lines, currency).total for deposit in deposits), Decimal(0))
    credited = sources.credited_amounts([deposit.id for deposit in deposits if not deposit.is_draft])
    return asked - sum(credited.values(), Decimal(0))


def _programme_label(case: Case) -> str:
    return case.programme.name if case.programme is not None else case.requested_treatment


def create_deposit_draft(
    case_id: int,
    *,
    actor_id: int | None,
    amount: str | Decimal | None = None,
    share_percent: str | Decimal | None = None,
    exchange_rate: str | Decimal | None = None,
    exchange_rate_on: date | None = None,
) -> Invoice:
    """A draft deposit invoice for an amount or a share of the cost estimate; together with the case's other
    deposits (less what credit notes took back) it never asks for more than the estimate."""
    case = get_case(case_id)
    if case.state in ("new", "cancelled"):
        raise InvoiceError(f"Case {case.number} is {case.state.replace('_', ' ')}: there is nothing to invoice.")
    _refuse_after_final(case)
    has_amount = amount not in (None, "")
    has_share = share_percent not in (None, "")
    if has_amount == has_share:
        raise InvoiceError("Enter either the deposit's amount or its share of the cost estimate, not both.")
    invoice = _new_invoice(case, "deposit", actor_id, exchange_rate, exchange_rate_on)
    estimate = estimate_in(case, invoice)
    if has_share:
        share = parse_amount(share_percent, "share of the estimate")
        if share > HUNDRED:
            raise InvoiceError("A deposit is at most 100 % of the cost estimate.")
        value = round_half_up(estimate * share / HUNDRED, minor_digits(invoice.currency))
        description = f"Deposit ({share.normalize():f} % of the cost estimate) for {_programme_label(case)}"
    else:
        value = parse_amount(amount, "deposit amount", scale=minor_digits(invoice.currency))
        description = f"Deposit for {_programme_label(case)}"
    _check_deposit_limit(case, invoice, value, estimate)
    invoice.service_from, invoice.service_to = _treatment_period(case.id)
    _add_line(
        invoice,
        sources.LineDraft(
            kind="deposit",
            description=description[:300],
            quantity=Decimal(1),
            unit_price=value,
            currency=invoice.currency,
            taxed=False,
        ),
    )
    retax(invoice)
    db.session.flush()
    _event(invoice, case, actor_id, "draft_created", f"Draft deposit invoice of {value} {invoice.currency}")
    return invoice


def _check_deposit_limit(case: Case, invoice: Invoice, value: Decimal, estimate: Decimal, *, issued_only=False):
    earlier = deposits_so_far(case.id, invoice.currency, exclude_id=invoice.id, issued_only=issued_only)
    if earlier + value > estimate:
        left = max(estimate - earlier, Decimal(0))
        raise InvoiceError(
            f"Deposits would come to {earlier + value} {invoice.currency}, above the cost estimate of {estimate} "
            f"{invoice.currency}; at most {left} {invoice.currency} is left for a deposit."
        )


def _refuse_after_final(case: Case) -> None:
    """Once a final invoice stands, the patient is billed there: a deposit now would ask for the money twice."""
    final = final_in_force(case.id)
    if final is not None and not final.is_draft:
        raise InvoiceError(
            f"Case {case.number} has {final.label}: a deposit now would bill the patient twice. "
            "Correct the final invoice with a credit note instead."
        )


def check_deposit_at_issue(invoice: Invoice) -> None:
    """Issuing a deposit re-checks the estimate against the deposits issued meanwhile, and that no final invoice
    was issued meanwhile."""
    case = get_case(invoice.case_id)
    _refuse_after_final(case)
    total = invoice_totals(invoice.lines, invoice.currency).total
    _check_deposit_limit(case, invoice, total, estimate_in(case, invoice), issued_only=True)


# ---------------------------------------------------------------------------------------------- final invoices


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
    bill = sources.approved_bill(case.id)
    if bill is None:
        raise InvoiceError(
            f"Case {case.number} has no approved hospital bill: the final invoice passes the approved bill on, so "
            "approve the bill first."
        )
    existing = final_in_force(case.id)
    if existing is not None:
        raise InvoiceError(
            f"Case {case.number} already has {existing.label}. Correct it with a credit note; a new final invoice "
            "is possible once a credit note has cancelled it in full."
        )
    invoice = _new_invoice(case, "final", actor_id, exchange_rate, exchange_rate_on)
    invoice.hospital_bill_id = bill.id
    notes: list[str] = []
    drafts = sources.treatment_lines(bill) + sources.logistics_lines(case.id) + sources.medicine_lines(case.id)
    fee = sources.coordination_fee_line()
    if fee is not None:
        drafts.append(fee)
    for draft in drafts:
        try:
            _add_line(invoice, draft)
        except AmountTooLarge:
            raise
        except InvoiceError:
            notes.append(
                f"Not taken over: {draft.description} ({draft.quantity.normalize():f} x {draft.unit_price} "
                f"{draft.currency}); add it in {invoice.currency} by hand."
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
    _event(invoice, case, actor_id, "draft_created", f"Draft final invoice from bill {bill.reference}")
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


# ---------------------------------------------------------------------------------------------- credit notes


def creditable_lines(invoice: Invoice) -> dict[int, Decimal]:
    """Per line of an issued invoice, the net amount no issued credit note has reversed yet."""
    credited = sources.credited_line_amounts([line.id for line in invoice.lines])
    return {line.id: line.net_amount - credited.get(line.id, (Decimal(0), Decimal(0)))[0] for line in invoice.lines}


def open_by_rate(invoice: Invoice) -> dict[tuple[bool, Decimal], tuple[Decimal, Decimal]]:
    """Per VAT treatment (exempt, rate) of an issued invoice, the (net, VAT) no issued credit note has reversed."""
    credited = sources.credited_line_amounts([line.id for line in invoice.lines])
    result: dict[tuple[bool, Decimal], tuple[Decimal, Decimal]] = {}
    for line in invoice.lines:
        key = (bool(line.vat_exempt), Decimal(line.vat_rate))
        net, tax = result.get(key, (Decimal(0), Decimal(0)))
        credited_net, credited_tax = credited.get(line.id, (Decimal(0), Decimal(0)))
        result[key] = (net + line.net_amount - credited_net, tax + line.tax_amount - credited_tax)
    return result


def credit_note_taxes(note: Invoice, original: Invoice) -> dict[tuple[bool, Decimal], Decimal]:
    """The VAT a credit note reverses per rate: its net at that rate x the rate, rounded once, never more than is
    left of the invoice's VAT at that rate; and exactly what is left when it reverses the rest of that rate's net, so
    an invoice and the credit notes that cancel it add up to nothing, to the cent."""
    left = open_by_rate(original)
    nets: dict[tuple[bool, Decimal], Decimal] = {}
    for line in note.lines:
        key = (bool(line.vat_exempt), Decimal(line.vat_rate))
        nets[key] = nets.get(key, Decimal(0)) + line.net_amount
    taxes = {}
    for (exempt, rate), net in nets.items():
        if exempt:
            continue
        net_left, tax_left = left.get((exempt, rate), (Decimal(0), Decimal(0)))
        tax = tax_left if net == net_left else min(rate_tax(net, rate, note.currency), tax_left)
        taxes[(exempt, rate)] = max(tax, Decimal(0))
    return taxes


def create_credit_note_draft(
    invoice_id: int, *, actor_id: int | None, reason: str, amounts: Mapping[int, str | Decimal | None]
) -> Invoice:
    """A draft credit note reversing some lines of an issued invoice, each in full (None) or by a net amount up to
    what earlier credit notes left of it. The reason is printed on it."""
    original = get_invoice(invoice_id)
    if original.is_draft:
        raise InvoiceError("A draft is changed or deleted, not credited.")
    if original.is_credit_note:
        raise InvoiceError("A credit note cannot be credited; issue a new invoice instead.")
    _refuse_credit_of_taken_over_deposit(original)
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceError("Say why the invoice is corrected: the reason is printed on the credit note.")
    if len(reason) > 1000:
        raise InvoiceError("The reason has at most 1,000 characters.")
    if not amounts:
        raise InvoiceError("Choose at least one line of the invoice to credit.")
    open_amounts = creditable_lines(original)
    by_id = {line.id: line for line in original.lines}
    case = get_case(original.case_id)
    note = Invoice(
        case_id=original.case_id,
        patient_id=original.patient_id,
        kind="credit_note",
        status="draft",
        currency=original.currency,
        base_currency=original.base_currency,
        exchange_rate=original.exchange_rate,
        exchange_rate_on=original.exchange_rate_on,
        credited_invoice_id=original.id,
        note=reason,
        bill_to_name=original.bill_to_name,
        bill_to_address=original.bill_to_address,
        service_from=original.service_from,
        service_to=original.service_to,
        created_by_id=actor_id,
    )
    note.lines = []
    note.deductions = []
    note.payments = []
    for line_id, value in sorted(amounts.items(), key=lambda item: by_id[item[0]].position if item[0] in by_id else 0):
        line = by_id.get(line_id)
        if line is None:
            raise InvoiceError(f"Line {line_id} is not a line of {original.label}.")
        left = open_amounts[line.id]
        if left <= 0:
            raise InvoiceError(f"Line {line.position} ({line.description}) is already credited in full.")
        net = left if value in (None, "") else parse_amount(value, f"amount to credit on line {line.position}")
        if net > left:
            raise InvoiceError(
                f"Line {line.position} can be credited by at most {left} {original.currency} (net); "
                f"{net} {original.currency} is more than is left of it."
            )
        _credit_line(note, line, net)
    apply_vat(note.lines, note.currency, fixed=credit_note_taxes(note, original))
    db.session.add(note)
    db.session.flush()
    _event(note, case, actor_id, "draft_created", f"Draft credit note for {original.label}: {reason[:200]}")
    return note


def _credit_line(note: Invoice, line: InvoiceLine, net: Decimal) -> InvoiceLine:
    """A credit-note line reversing `net` of `line` at the same VAT rate (its share of the VAT: `credit_note_taxes`)."""
    credit = InvoiceLine(
        position=len(note.lines) + 1,
        kind=line.kind,
        description=f"Credit: {line.description}"[:300],
        service_on=line.service_on,
        quantity=Decimal(1),
        unit_price=net,
        vat_rate=line.vat_rate,
        vat_exempt=line.vat_exempt,
        credited_line_id=line.id,
    )
    _set_amounts(credit, note.currency)
    note.lines.append(credit)
    return credit


def _refuse_credit_of_taken_over_deposit(original: Invoice) -> None:
    """What was paid on a deposit is deducted on the final invoice in force, and its rest is part of that invoice:
    the deposit is corrected through the final invoice, never on its own (that would pay the deposit back twice)."""
    if original.kind == "deposit" and original.id in sources.superseded_deposits([original.id]):
        raise InvoiceError(
            f"{original.label} is taken over by the final invoice of this case; correct the final invoice instead."
        )


def check_credit_note_at_issue(note: Invoice) -> None:
    """Issuing a credit note re-checks its lines against the credit notes issued meanwhile."""
    original = get_invoice(note.credited_invoice_id)
    if original.is_draft or original.is_credit_note:
        raise InvoiceError("A credit note corrects an issued invoice.")
    _refuse_credit_of_taken_over_deposit(original)
    open_amounts = creditable_lines(original)
    for line in note.lines:
        left = open_amounts.get(line.credited_line_id, Decimal(0))
        if line.net_amount > left:
            raise InvoiceError(
                f"Line {line.position} of this credit note reverses {line.net_amount} {note.currency}, but only "
                f"{left} {note.currency} of that line is left to credit (another credit note was issued meanwhile)."
            )
    open_rates = open_by_rate(original)
    for group in invoice_totals(note.lines, note.currency).by_rate:
        if group.tax > open_rates.get((group.exempt, group.rate), (Decimal(0), Decimal(0)))[1]:
            raise InvoiceError(
                f"This credit note reverses {group.tax} {note.currency} of VAT, more than is left of that VAT on "
                f"{original.label} (another credit note was issued meanwhile)."
            )


# ---------------------------------------------------------------------------------------------- editing drafts


def get_draft(invoice_id: int, *, actor_id: int | None, attempted: str, expected_version: int | None) -> Invoice:
    invoice = get_invoice(invoice_id)
    refuse_change(invoice, actor_id, attempted)
    check_version(invoice, expected_version)
    return invoice


def update_draft(
    invoice_id: int,
    *,
    actor_id: int | None,
    expected_version: int | None,
    bill_to_name: str,
    bill_to_address: str,
    service_from: date | None,
    service_to: date | None,
    note: str = "",
    exchange_rate: str | Decimal | None = None,
    exchange_rate_on: date | None = None,
) -> Invoice:
    """Change a draft's addressee, service period, remark and exchange rate (converted lines follow the rate)."""
    invoice = get_draft(invoice_id, actor_id=actor_id, attempted="edit", expected_version=expected_version)
    name, address = (bill_to_name or "").strip(), (bill_to_address or "").strip()
    if not name or not address:
        raise InvoiceError("An invoice names the patient and their full address.")
    if len(name) > 200 or len(address) > 1000 or len(note or "") > 1000:
        raise InvoiceError("The name has at most 200 characters, the address and the remark at most 1,000.")
    if service_from and service_to and service_to < service_from:
        raise InvoiceError("The service period ends before it starts.")
    invoice.bill_to_name, invoice.bill_to_address = name, address
    invoice.service_from, invoice.service_to = service_from, service_to
    if not invoice.is_credit_note:
        invoice.note = (note or "").strip()
        rate, rate_on = _rate_values(invoice.currency, exchange_rate, exchange_rate_on)
        if rate != invoice.exchange_rate:
            invoice.exchange_rate, invoice.exchange_rate_on = rate, rate_on
            for line in invoice.lines:
                if line.source_currency is not None:
                    line.unit_price = round_half_up(line.source_unit_price * rate, PRICE_SCALE)
                    _set_amounts(line, invoice.currency)
            retax(invoice)
        invoice.exchange_rate_on = rate_on
    patient = db.session.get(Patient, invoice.patient_id)
    if patient is not None and not patient.address:
        patient.address = address  # the first address finance learns is the patient's
    db.session.flush()
    _event(invoice, None, actor_id, "draft_updated", "")
    return invoice


def add_line(
    invoice_id: int,
    *,
    actor_id: int | None,
    expected_version: int | None,
    kind: str,
    description: str,
    quantity: str | Decimal,
    unit_price: str | Decimal,
    taxed: bool,
    service_on: date | None = None,
) -> InvoiceLine:
    """Add a line by hand to a deposit or final draft, in the invoice's currency."""
    invoice = get_draft(invoice_id, actor_id=actor_id, attempted="add line", expected_version=expected_version)
    if invoice.is_credit_note:
        raise InvoiceError("A credit note only reverses lines of its invoice; create a new credit note instead.")
    if kind not in LINE_KINDS or kind == "deposit":
        raise InvoiceError("Choose what kind of line this is.")
    if kind == "treatment" and taxed:
        raise InvoiceError("Medical treatment is VAT-exempt; choose another kind for a taxed service.")
    description = (description or "").strip()
    if not description or len(description) > 300:
        raise InvoiceError("Describe the line (at most 300 characters).")
    if len(invoice.lines) >= MAX_LINES:
        raise InvoiceError(f"An invoice has at most {MAX_LINES} lines.")
    quantity = parse_amount(quantity, "quantity", scale=PRICE_SCALE)
    price = parse_amount(unit_price, "unit price", scale=PRICE_SCALE, positive=False)
    if price < 0:
        raise InvoiceError("A unit price cannot be negative; corrections are made with a credit note.")
    line = _add_line(
        invoice,
        sources.LineDraft(
            kind=kind,
            description=description,
            quantity=quantity,
            unit_price=price,
            currency=invoice.currency,
            taxed=taxed,
            service_on=service_on,
        ),
    )
    retax(invoice)
    try:
        check_currency(invoice.currency)
        invoice_totals(invoice.lines, invoice.currency)
    except MoneyError as error:  # pragma: no cover - amounts are bounded above
        raise InvoiceError(str(error)) from None
    _touch(invoice)
    _event(invoice, None, actor_id, "line_added", "", description=description)
    return line


def remove_line(invoice_id: int, line_id: int, *, actor_id: int | None, expected_version: int | None) -> Invoice:
    """Remove a line from a draft; the remaining lines keep their order."""
    invoice = get_draft(invoice_id, actor_id=actor_id, attempted="remove line", expected_version=expected_version)
    line = next((line for line in invoice.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("That line is not on this invoice.")
    invoice.lines.remove(line)
    db.session.flush()
    for position, remaining in enumerate(invoice.lines, start=1):
        remaining.position = -position  # two steps: the (invoice, position) pairs are unique at every flush
    db.session.flush()
    for remaining in invoice.lines:
        remaining.position = -remaining.position
    retax(invoice)
    _touch(invoice)
    _event(invoice, None, actor_id, "line_removed", "", description=line.description)
    return invoice


def _touch(invoice: Invoice) -> None:
    """Changes to a draft's lines change the draft: its version moves, so a stale form cannot issue it."""
    flag_modified(invoice, "note")
    db.session.flush()


def delete_draft(invoice_id: int, *, actor_id: int | None, expected_version: int | None) -> Case:
    """Delete a draft (it never had a number). An issued invoice is never deleted: the attempt is refused and kept."""
    invoice = get_draft(invoice_id, actor_id=actor_id, attempted="delete", expected_version=expected_version)
    case = get_case(invoice.case_id)
    _event(invoice, case, actor_id, "draft_deleted", f"Draft {KIND_LABELS[invoice.kind].lower()} deleted")
    db.session.delete(invoice)
    db.session.flush()
    return case


def set_invoicing_currency(case_id: int, currency: str, *, actor_id: int | None) -> Case:
    """The currency every invoice of the case is in; fixed once the case has any invoice (drafts included)."""
    case = get_case(case_id)
    try:
        code = check_currency(currency)
    except MoneyError as error:
        raise InvoiceError(str(error)) from None
    if minor_digits(code) > 2:
        raise InvoiceError(
            f"Invoices are kept to the cent: {code} has {minor_digits(code)} decimals and cannot be used."
        )
    if code == case.invoicing_currency:
        return case
    count = db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.case_id == case.id))
    if count:
        raise InvoiceError(
            f"Case {case.number} already has invoices in {case.invoicing_currency}; its invoicing currency stays. "
            "(Delete its drafts first if none is issued.)"
        )
    before = case.invoicing_currency
    case.invoicing_currency = code
    db.session.flush()
    record_case_event(case, "invoicing_currency", actor_id, note=f"Invoicing currency: {before} -> {code}")
    return case
