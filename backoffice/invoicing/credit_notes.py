"""Credit notes: correcting an issued invoice by reversing some of its lines, in full or in part, never more than
earlier credit notes left of a line or of its VAT.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from flask_babel import gettext as _

from backoffice import vat
from backoffice.cases.operations import get_case
from backoffice.extensions import db
from backoffice.invoicing import sources
from backoffice.invoicing.invoices import (
    InvoiceError,
    get_invoice,
    parse_amount,
    record_invoice_event,
    set_amounts,
    shown_label,
)
from backoffice.invoicing.models import Invoice, InvoiceLine
from backoffice.invoicing.totals import VatKey, apply_vat, invoice_totals, rate_tax, vat_key
from backoffice.patients.restriction import refuse_changes


def invoice_to_credit(invoice_id: int) -> Invoice:
    """The issued invoice a credit note is drafted for: never a draft (edited or deleted instead) nor a credit note,
    nor an erased patient's (kept as issued, for the tax law)."""
    invoice = get_invoice(invoice_id)
    refuse_changes(invoice.patient_id)
    if invoice.is_draft or invoice.is_credit_note:
        raise InvoiceError(
            _(
                "Only an issued invoice is corrected with a credit note; a draft is edited or deleted, and a credit "
                "note is not credited."
            )
        )
    return invoice


def creditable_lines(invoice: Invoice) -> dict[int, Decimal]:
    """Per line of an issued invoice, the net amount no issued credit note has reversed yet."""
    credited = sources.credited_line_amounts([line.id for line in invoice.lines])
    return {line.id: line.net_amount - credited.get(line.id, (Decimal(0), Decimal(0)))[0] for line in invoice.lines}


def open_by_rate(invoice: Invoice) -> dict[VatKey, tuple[Decimal, Decimal]]:
    """Per VAT category and rate of an issued invoice, the (net, VAT) no issued credit note has reversed."""
    credited = sources.credited_line_amounts([line.id for line in invoice.lines])
    result: dict[VatKey, tuple[Decimal, Decimal]] = {}
    for line in invoice.lines:
        key = vat_key(line)
        net, tax = result.get(key, (Decimal(0), Decimal(0)))
        credited_net, credited_tax = credited.get(line.id, (Decimal(0), Decimal(0)))
        result[key] = (net + line.net_amount - credited_net, tax + line.tax_amount - credited_tax)
    return result


def credit_note_taxes(note: Invoice, original: Invoice) -> dict[VatKey, Decimal]:
    """The VAT a credit note reverses per rate: its net at that rate x the rate, rounded once, never more than is
    left of the invoice's VAT at that rate; and exactly what is left when it reverses the rest of that rate's net, so
    an invoice and the credit notes that cancel it add up to nothing, to the cent."""
    left = open_by_rate(original)
    nets: dict[VatKey, Decimal] = {}
    for line in note.lines:
        key = vat_key(line)
        nets[key] = nets.get(key, Decimal(0)) + line.net_amount
    taxes = {}
    for (category, rate), net in nets.items():
        if category not in vat.TAXED:
            continue
        net_left, tax_left = left.get((category, rate), (Decimal(0), Decimal(0)))
        tax = tax_left if net == net_left else min(rate_tax(net, rate, note.currency), tax_left)
        taxes[(category, rate)] = max(tax, Decimal(0))
    return taxes


def create_credit_note_draft(
    invoice_id: int, *, actor_id: int | None, reason: str, amounts: Mapping[int, str | Decimal | None]
) -> Invoice:
    """A draft credit note reversing some lines of an issued invoice, each in full (None) or by a net amount up to
    what earlier credit notes left of it. The reason is printed on it."""
    original = get_invoice(invoice_id)
    refuse_changes(original.patient_id)  # an erased patient's invoice is kept as issued
    if original.is_draft:
        raise InvoiceError(_("A draft is changed or deleted, not credited."))
    if original.is_credit_note:
        raise InvoiceError(_("A credit note cannot be credited; issue a new invoice instead."))
    _refuse_credit_of_taken_over_deposit(original)
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceError(_("Say why the invoice is corrected: the reason is printed on the credit note."))
    if len(reason) > 1000:
        raise InvoiceError(_("The reason has at most 1,000 characters."))
    if not amounts:
        raise InvoiceError(_("Choose at least one line of the invoice to credit."))
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
        # The payer's details for the e-invoice: a credit note goes to whom its invoice went.
        bill_to_reference=original.bill_to_reference,
        bill_to_vat_id=original.bill_to_vat_id,
        bill_to_postcode=original.bill_to_postcode,
        bill_to_city=original.bill_to_city,
        bill_to_country=original.bill_to_country,
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
            raise InvoiceError(
                _("Line %(line)s is not a line of %(invoice)s.", line=line_id, invoice=shown_label(original))
            )
        left = open_amounts[line.id]
        if left <= 0:
            raise InvoiceError(
                _(
                    "Line %(position)s (%(description)s) is already credited in full.",
                    position=line.position,
                    description=line.description,
                )
            )
        net = (
            left
            if value in (None, "")
            else parse_amount(value, _("amount to credit on line %(position)s", position=line.position))
        )
        if net > left:
            raise InvoiceError(
                _(
                    "Line %(position)s can be credited by at most %(left)s %(currency)s (net); %(net)s %(currency)s "
                    "is more than is left of it.",
                    position=line.position,
                    left=left,
                    net=net,
                    currency=original.currency,
                )
            )
        _credit_line(note, line, net)
    apply_vat(note.lines, note.currency, fixed=credit_note_taxes(note, original))
    db.session.add(note)
    db.session.flush()
    record_invoice_event(
        note, case, actor_id, "draft_created", f"Draft credit note for {original.label}: {reason[:200]}"
    )
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
        vat_category=line.vat_category,
        vat_note=line.vat_note,
        credited_line_id=line.id,
    )
    set_amounts(credit, note.currency)
    note.lines.append(credit)
    return credit


def _refuse_credit_of_taken_over_deposit(original: Invoice) -> None:
    """What was paid on a deposit is deducted on the final invoice in force, and its rest is part of that invoice:
    the deposit is corrected through the final invoice, never on its own (that would pay the deposit back twice)."""
    if original.kind == "deposit" and original.id in sources.superseded_deposits([original.id]):
        raise InvoiceError(
            _(
                "%(invoice)s is taken over by the final invoice of this case; correct the final invoice instead.",
                invoice=shown_label(original),
            )
        )


def check_credit_note_at_issue(note: Invoice) -> None:
    """Issuing a credit note re-checks its lines against the credit notes issued meanwhile."""
    original = get_invoice(note.credited_invoice_id)
    if original.is_draft or original.is_credit_note:
        raise InvoiceError(_("A credit note corrects an issued invoice."))
    _refuse_credit_of_taken_over_deposit(original)
    open_amounts = creditable_lines(original)
    for line in note.lines:
        left = open_amounts.get(line.credited_line_id, Decimal(0))
        if line.net_amount > left:
            raise InvoiceError(
                _(
                    "Line %(position)s of this credit note reverses %(net)s %(currency)s, but only %(left)s "
                    "%(currency)s of that line is left to credit (another credit note was issued meanwhile).",
                    position=line.position,
                    net=line.net_amount,
                    left=left,
                    currency=note.currency,
                )
            )
    open_rates = open_by_rate(original)
    for group in invoice_totals(note.lines, note.currency).by_rate:
        if group.tax > open_rates.get((group.category, group.rate), (Decimal(0), Decimal(0)))[1]:
            raise InvoiceError(
                _(
                    "This credit note reverses %(tax)s %(currency)s of VAT, more than is left of that VAT on "
                    "%(invoice)s (another credit note was issued meanwhile).",
                    tax=group.tax,
                    currency=note.currency,
                    invoice=shown_label(original),
                )
            )
