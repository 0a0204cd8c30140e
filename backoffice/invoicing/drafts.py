"""Invoices while they are drafts: the new draft every kind starts from, its lines, and editing it (addressee, service
period, remark, exchange rate, lines by hand) until it is issued or deleted.

Every change of a draft's lines sets its VAT again (`retax`) and moves its version, so a stale form cannot issue it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified

from backoffice import vat
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.geo import check_country, countries
from backoffice.invoicing import sources
from backoffice.invoicing.conversion import base_currency, in_invoice_currency, rate_values
from backoffice.invoicing.credit_notes import credit_note_taxes
from backoffice.invoicing.invoices import (
    InvoiceError,
    check_version,
    get_invoice,
    parse_amount,
    record_invoice_event,
    refuse_change,
    set_amounts,
)
from backoffice.invoicing.models import KIND_LABELS, LINE_KINDS, PRICE_SCALE, Invoice, InvoiceLine
from backoffice.invoicing.totals import apply_vat, invoice_totals
from backoffice.money import MoneyError, check_currency, round_half_up
from backoffice.patients.models import Patient
from backoffice.patients.restriction import refuse_changes
from backoffice.text import clean_line

MAX_LINES = 500


def new_draft(case: Case, kind: str, actor_id: int | None, exchange_rate, exchange_rate_on) -> Invoice:
    """A new draft of `kind` for the case, in its invoicing currency, addressed to its patient; outside the base
    currency it needs the exchange rate and its date."""
    currency = case.invoicing_currency
    rate, rate_on = rate_values(currency, exchange_rate, exchange_rate_on)
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
        bill_to_country=patient.country or "",
        created_by_id=actor_id,
    )
    invoice.lines = []
    invoice.deductions = []
    invoice.payments = []
    db.session.add(invoice)
    return invoice


def append_line(invoice: Invoice, draft: sources.LineDraft, table: dict[str, vat.VatRule] | None = None) -> InvoiceLine:
    """Put a line on a draft in the invoice's currency (a base-currency price converted at the draft's rate); refused
    when priced in any other currency or beyond what an invoice can hold. Its VAT follows the VAT table (`table`: read
    once for many lines). The caller sets the VAT again (`retax`)."""
    unit_price, source_price, source_currency = in_invoice_currency(draft.unit_price, draft.currency, invoice)
    treatment = line_vat(draft.kind, draft.vat_category, table)
    line = InvoiceLine(
        position=len(invoice.lines) + 1,
        kind=draft.kind,
        description=draft.description[:300],
        service_on=draft.service_on,
        quantity=draft.quantity,
        unit_price=unit_price,
        vat_rate=treatment.rate,
        vat_category=treatment.category,
        vat_note=treatment.note,
        source_unit_price=source_price,
        source_currency=source_currency,
        bill_line_id=draft.bill_line_id,
    )
    set_amounts(line, invoice.currency)
    invoice.lines.append(line)
    return line


def line_vat(kind: str, category: str = "", table: dict[str, vat.VatRule] | None = None) -> vat.Treatment:
    """The VAT a new line carries: the table's rule for its kind, or the category finance chose for it by hand,
    printed with the note the table keeps for that category."""
    table = table if table is not None else vat.rules()
    if not category or category == table[kind].category:
        return vat.treatment_for(kind, table)
    if category not in vat.CATEGORIES:
        raise InvoiceError(_("Choose one of the VAT categories."))
    note = next((rule.note for rule in table.values() if rule.category == category and rule.note), "")
    if category in ("exempt", "outside_scope") and not note:
        raise InvoiceError(
            _(
                "The VAT table has no reason to print for “%(category)s”; set one there first.",
                category=_(vat.LABELS[category]),
            )
        )
    return vat.treatment_of(category, note)


def retax(invoice: Invoice) -> None:
    """Set the VAT of a draft's lines again: per rate on the rate's net total, each line carrying its share; on a
    credit note, what it reverses of each rate's VAT (`credit_note_taxes`). Run after any change of a draft's lines
    and once more when it is issued."""
    if invoice.is_credit_note:
        original = get_invoice(invoice.credited_invoice_id)
        apply_vat(invoice.lines, invoice.currency, fixed=credit_note_taxes(invoice, original))
    else:
        apply_vat(invoice.lines, invoice.currency)


def get_draft(invoice_id: int, *, actor_id: int | None, attempted: str, expected_version: int | None) -> Invoice:
    invoice = get_invoice(invoice_id)
    refuse_change(invoice, actor_id, attempted)
    refuse_changes(invoice.patient_id)  # an erased patient's draft is kept as it is
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
    payer: Payer | None = None,
) -> Invoice:
    """Change a draft's addressee, service period, remark and exchange rate (converted lines follow the rate), and
    given a `payer`, the details its e-invoice states of the payer (`payer_details`)."""
    invoice = get_draft(invoice_id, actor_id=actor_id, attempted="edit", expected_version=expected_version)
    if payer is not None:
        payer = payer_details(payer)
    name, address = (bill_to_name or "").strip(), (bill_to_address or "").strip()
    if not name or not address:
        raise InvoiceError(_("An invoice names the patient and their full address."))
    if len(name) > 200 or len(address) > 1000 or len(note or "") > 1000:
        raise InvoiceError(_("The name has at most 200 characters, the address and the remark at most 1,000."))
    if service_from and service_to and service_to < service_from:
        raise InvoiceError(_("The service period ends before it starts."))
    invoice.bill_to_name, invoice.bill_to_address = name, address
    if payer is not None:
        invoice.bill_to_reference, invoice.bill_to_vat_id = payer.reference, payer.vat_id
        invoice.bill_to_postcode, invoice.bill_to_city, invoice.bill_to_country = (
            payer.postcode,
            payer.city,
            payer.country,
        )
    invoice.service_from, invoice.service_to = service_from, service_to
    if not invoice.is_credit_note:
        invoice.note = (note or "").strip()
        rate, rate_on = rate_values(invoice.currency, exchange_rate, exchange_rate_on)
        if rate != invoice.exchange_rate:
            invoice.exchange_rate, invoice.exchange_rate_on = rate, rate_on
            for line in invoice.lines:
                if line.source_currency is not None:
                    line.unit_price = round_half_up(line.source_unit_price * rate, PRICE_SCALE)
                    set_amounts(line, invoice.currency)
            retax(invoice)
        invoice.exchange_rate_on = rate_on
    patient = db.session.get(Patient, invoice.patient_id)
    if patient is not None and not patient.address:
        patient.address = address  # the first address finance learns is the patient's
    db.session.flush()
    record_invoice_event(invoice, None, actor_id, "draft_updated", "")
    return invoice


@dataclass(frozen=True, slots=True)
class Payer:
    """What an e-invoice states of the payer beyond name and address: its buyer reference (BT-10, the Leitweg-ID of
    a German public payer; set for a business payer, it makes the invoice available as XRechnung), its VAT ID,
    postcode, city and country code."""

    reference: str = ""
    vat_id: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""


VAT_ID_PATTERN = re.compile(r"[A-Z]{2}[0-9A-Z+*.]{2,18}")
GREECE_IN_VAT_IDS = "EL"  # a Greek VAT ID starts with EL, not GR


def payer_details(payer: Payer) -> Payer:
    """The payer's details cleaned and checked: no control characters, each within its column, the VAT ID as one
    word starting with a country code, the country an ISO 3166-1 code. Refused with the field's name."""
    reference = clean_line(payer.reference or "").strip()
    if len(reference) > 60:
        raise InvoiceError(_("The buyer reference (Leitweg-ID) has at most 60 characters."))
    vat_id = "".join(clean_line(payer.vat_id or "").split()).upper()
    if vat_id and not (
        VAT_ID_PATTERN.fullmatch(vat_id) and (vat_id[:2] in countries() or vat_id[:2] in (GREECE_IN_VAT_IDS, "XI"))
    ):
        raise InvoiceError(
            _(
                "%(value)s is not a VAT ID: it starts with the country code (such as DE123456789) and has at most "
                "20 letters and digits.",
                value=repr(vat_id[:24]),
            )
        )
    postcode = clean_line(payer.postcode or "").strip()
    city = clean_line(payer.city or "").strip()
    if len(postcode) > 20 or len(city) > 100:
        raise InvoiceError(_("The postcode has at most 20 characters, the city at most 100."))
    country = (payer.country or "").strip().upper()
    if country:
        try:
            country = check_country(country)
        except ValueError as problem:
            raise InvoiceError(_("Country: %(problem)s.", problem=problem)) from None
    if reference and not (postcode and city and country):
        raise InvoiceError(
            _(
                "A business payer with a buyer reference (Leitweg-ID) needs its postcode, city and country code: "
                "its XRechnung states them."
            )
        )
    return Payer(reference=reference, vat_id=vat_id, postcode=postcode, city=city, country=country)


def add_line(
    invoice_id: int,
    *,
    actor_id: int | None,
    expected_version: int | None,
    kind: str,
    description: str,
    quantity: str | Decimal,
    unit_price: str | Decimal,
    vat_category: str = "",
    service_on: date | None = None,
) -> InvoiceLine:
    """Add a line by hand to a deposit or final draft, in the invoice's currency."""
    invoice = get_draft(invoice_id, actor_id=actor_id, attempted="add line", expected_version=expected_version)
    if invoice.is_credit_note:
        raise InvoiceError(_("A credit note only reverses lines of its invoice; create a new credit note instead."))
    if kind not in LINE_KINDS or kind == "deposit":
        raise InvoiceError(_("Choose what kind of line this is."))
    description = (description or "").strip()
    if not description or len(description) > 300:
        raise InvoiceError(_("Describe the line (at most 300 characters)."))
    if len(invoice.lines) >= MAX_LINES:
        raise InvoiceError(_("An invoice has at most %(count)s lines.", count=MAX_LINES))
    quantity = parse_amount(quantity, _("quantity"), scale=PRICE_SCALE)
    price = parse_amount(unit_price, _("unit price"), scale=PRICE_SCALE, positive=False)
    if price < 0:
        raise InvoiceError(_("A unit price cannot be negative; corrections are made with a credit note."))
    line = append_line(
        invoice,
        sources.LineDraft(
            kind=kind,
            description=description,
            quantity=quantity,
            unit_price=price,
            currency=invoice.currency,
            vat_category=vat_category,
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
    record_invoice_event(invoice, None, actor_id, "line_added", "", description=description)
    return line


def remove_line(invoice_id: int, line_id: int, *, actor_id: int | None, expected_version: int | None) -> Invoice:
    """Remove a line from a draft; the remaining lines keep their order."""
    invoice = get_draft(invoice_id, actor_id=actor_id, attempted="remove line", expected_version=expected_version)
    line = next((line for line in invoice.lines if line.id == line_id), None)
    if line is None:
        raise NotFound(_("That line is not on this invoice."))
    invoice.lines.remove(line)
    db.session.flush()
    for position, remaining in enumerate(invoice.lines, start=1):
        remaining.position = -position  # two steps: the (invoice, position) pairs are unique at every flush
    db.session.flush()
    for remaining in invoice.lines:
        remaining.position = -remaining.position
    retax(invoice)
    _touch(invoice)
    record_invoice_event(invoice, None, actor_id, "line_removed", "", description=line.description)
    return invoice


def _touch(invoice: Invoice) -> None:
    """Changes to a draft's lines change the draft: its version moves, so a stale form cannot issue it."""
    flag_modified(invoice, "note")
    db.session.flush()


def delete_draft(invoice_id: int, *, actor_id: int | None, expected_version: int | None) -> Case:
    """Delete a draft (it never had a number). An issued invoice is never deleted: the attempt is refused and kept."""
    invoice = get_draft(invoice_id, actor_id=actor_id, attempted="delete", expected_version=expected_version)
    case = get_case(invoice.case_id)
    record_invoice_event(invoice, case, actor_id, "draft_deleted", f"Draft {KIND_LABELS[invoice.kind].lower()} deleted")
    db.session.delete(invoice)
    db.session.flush()
    return case
