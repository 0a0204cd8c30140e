"""An issued invoice or credit note as an EN 16931 e-invoice: the neutral `Document` built from its frozen data only,
embedded as CII into its PDF/A-3b (Factur-X / ZUGFeRD, profile EN 16931), and written as XRechnung (UBL) for a
business payer.

The XML states what the PDF shows: the same number, dates, parties, lines, one VAT breakdown per category and rate
(`totals.invoice_totals`, VAT per category on its net total), totals, the deposits paid deducted on a final invoice
(prepaid amount BT-113), the payment terms and the IBAN. Texts the PDF prints in the patient's language (payment
terms, the exemption's reason, remarks) are written in German, the legal language the PDF prints beside them.

An invoice issued before the seller's address had its parts (street, postcode, city, country) still gives an XML:
its printed address is the street line and the VAT ID's prefix the country.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _

from backoffice import vat
from backoffice.einvoice.document import CREDIT_NOTE, INVOICE, Document, EInvoiceError, Line, Party, VatBreakdown
from backoffice.einvoice.facturx_pdf import embed_cii
from backoffice.einvoice.write_cii import write_cii
from backoffice.einvoice.write_ubl import write_ubl
from backoffice.invoicing.invoices import InvoiceError
from backoffice.invoicing.models import Invoice
from backoffice.invoicing.printing import payment_sentences, render_invoice_pdf
from backoffice.invoicing.totals import invoice_totals, vat_in_base
from backoffice.languages import DEFAULT

PREPAYMENT_INVOICE = "386"  # UNTDID 1001: a deposit invoice
TYPE_CODES = {"deposit": PREPAYMENT_INVOICE, "final": INVOICE, "credit_note": CREDIT_NOTE}
LEGAL_LANGUAGE = "de"
UNIT = "C62"  # UN/ECE rec. 20: one (a service, a night, an hour: each line counts units)
SEPA_CREDIT_TRANSFER = "58"


class EInvoiceUnavailable(InvoiceError):
    """No e-invoice can be given for this invoice; the message says why."""

    status_code = 409


def factur_x_pdf(invoice: Invoice, *, case_number: str | None, language: str = DEFAULT) -> bytes:
    """The issued invoice's PDF/A-3b in `language` with its CII XML attached as factur-x.xml (checked against the
    Factur-X EN 16931 schema first): the bytes archived and given out."""
    document = document_of(invoice)
    pdf = render_invoice_pdf(invoice, case_number=case_number, language=language, pdf_variant="pdf/a-3b")
    return embed_cii(pdf, write_cii(document), document, language=language)


def xrechnung_of(invoice: Invoice) -> bytes:
    """The XRechnung (UBL 2.1) of an issued invoice or credit note to a business payer, one with a buyer reference
    (BT-10, a German public payer's Leitweg-ID); refused for a draft or an invoice to a private person."""
    if invoice.is_draft or not invoice.number:
        raise EInvoiceUnavailable(_("A draft has no e-invoice: issue it first."))
    if not (invoice.bill_to_reference or "").strip():
        raise EInvoiceUnavailable(
            _(
                "%(number)s has no buyer reference (Leitweg-ID): an XRechnung is made for a business payer only, "
                "and the reference cannot be added after issue.",
                number=invoice.number,
            )
        )
    try:
        return write_ubl(document_of(invoice))
    except EInvoiceError as error:
        raise EInvoiceUnavailable(
            _("The XRechnung of %(number)s cannot be made: %(problem)s", number=invoice.number, problem=error.message)
        ) from error


def document_of(invoice: Invoice) -> Document:
    """The e-invoice of an issued invoice (or of a draft as issuing freezes it), from its frozen data and the lines,
    deductions and credited invoice the caller loaded; EInvoiceError when a party's country is unknown."""
    issuer = dict(invoice.issuer or {})
    credit_note = invoice.is_credit_note
    deductions = [] if credit_note else list(invoice.deductions)
    totals = invoice_totals(invoice.lines, invoice.currency, [deduction.amount for deduction in deductions])
    foreign = invoice.currency != invoice.base_currency and invoice.exchange_rate
    with force_locale(LEGAL_LANGUAGE):
        breakdown = _breakdown(totals.by_rate, issuer.get("exemption_note", ""))
        notes = _notes(invoice, deductions)
        terms = " ".join(payment_sentences(invoice))
    iban = "".join((issuer.get("iban") or "").split())
    return Document(
        syntax="cii",
        type_code=TYPE_CODES[invoice.kind],
        number=invoice.number or "",
        issue_date=invoice.issue_date,
        currency=invoice.currency,
        seller=_seller(issuer),
        buyer=_buyer(invoice),
        lines=tuple(_lines(invoice)),
        vat_breakdown=breakdown,
        line_total=totals.net,
        tax_exclusive_total=totals.net,
        tax_total=totals.tax,
        tax_currency=invoice.base_currency if foreign else "",
        tax_total_in_tax_currency=(
            sum(
                (vat_in_base(group.tax, invoice.exchange_rate, invoice.base_currency) for group in totals.by_rate),
                Decimal("0.00"),
            )
            if foreign
            else None
        ),
        grand_total=totals.total,
        prepaid=totals.deductions,
        payable=totals.balance,
        due_date=None if credit_note else invoice.due_on,
        buyer_reference=(invoice.bill_to_reference or "").strip(),
        period_start=invoice.service_from,
        period_end=invoice.service_to,
        preceding_invoice=invoice.credited_invoice.number if credit_note and invoice.credited_invoice else "",
        payment_terms=terms,
        payment_means_code=SEPA_CREDIT_TRANSFER if iban else "",
        iban=iban,
        bic=(issuer.get("bic") or "").strip(),
        notes=notes,
    )


def _seller(issuer: dict) -> Party:
    vat_id = (issuer.get("vat_id") or "").strip()
    country = issuer.get("country") or (vat_id[:2] if vat_id[:2].isalpha() else "")
    if not country:
        raise EInvoiceError("the operator's country is not known for this invoice (OPERATOR_COUNTRY)")
    return Party(
        name=issuer.get("name") or "",
        vat_id=vat_id,
        street=issuer.get("street") or issuer.get("address") or "",
        postcode=issuer.get("postcode") or "",
        city=issuer.get("city") or "",
        country=country.upper(),
        email=issuer.get("email") or "",
        phone=issuer.get("phone") or "",
    )


def _buyer(invoice: Invoice) -> Party:
    if not invoice.bill_to_country:
        raise EInvoiceError("the payer's country is not known for this invoice")
    rows = [row.strip() for row in (invoice.bill_to_address or "").splitlines() if row.strip()]
    return Party(
        name=invoice.bill_to_name,
        vat_id=invoice.bill_to_vat_id or "",
        street=rows[0] if rows else "",
        postcode=invoice.bill_to_postcode or "",
        city=invoice.bill_to_city or "",
        country=invoice.bill_to_country,
    )


def _lines(invoice: Invoice) -> list[Line]:
    """The lines as the PDF numbers them (1, 2, ... in their order), each with its date of service as its period."""
    ordered = sorted(invoice.lines, key=lambda line: line.position or 0)
    return [
        Line(
            line_id=str(number),
            name=line.description,
            quantity=line.quantity,
            unit_code=UNIT,
            net_price=line.unit_price,
            net_amount=line.net_amount,
            vat_category=vat.CODES[line.vat_category],
            vat_rate=line.vat_rate,
            period_start=line.service_on,
            period_end=line.service_on,
        )
        for number, line in enumerate(ordered, start=1)
    ]


def _breakdown(groups, exemption_note: str) -> tuple[VatBreakdown, ...]:
    """One breakdown per EN 16931 code and rate: the invoice's categories that share a code (exempt treatment and the
    margin scheme are both "E") add up, as the rules sum every line of a code and rate; each untaxed one gives its
    reason (the note the invoice prints, in German) and its VATEX code."""
    merged: dict[tuple[str, Decimal], VatBreakdown] = {}
    for group in groups:
        code = vat.CODES[group.category]
        note = group.note or (exemption_note if group.category == "exempt" else "")
        reason = _(note) if note and group.category in vat.NEEDS_NOTE else ""
        reason_code = vat.REASON_CODES.get(group.category, "")
        key = (code, Decimal(group.rate))
        before = merged.get(key)
        if before is not None:
            reasons = "; ".join(text for text in (before.exemption_reason, reason) if text)
            merged[key] = VatBreakdown(
                category=code,
                rate=before.rate,
                taxable=before.taxable + group.net,
                tax=before.tax + group.tax,
                exemption_reason=reasons,
                exemption_reason_code=before.exemption_reason_code or reason_code,
            )
        else:
            merged[key] = VatBreakdown(
                category=code,
                rate=Decimal(group.rate),
                taxable=group.net,
                tax=group.tax,
                exemption_reason=reason,
                exemption_reason_code=reason_code,
            )
    return tuple(merged.values())


def _notes(invoice: Invoice, deductions: list) -> tuple[str, ...]:
    """The remark or the credit note's reason, the exchange rate, and the deposits deducted, as the PDF prints them."""
    notes = []
    if invoice.note:
        notes.append(invoice.note)
    if invoice.currency != invoice.base_currency and invoice.exchange_rate:
        rate = Decimal(invoice.exchange_rate).quantize(Decimal("0.000001"))
        on = f" ({invoice.exchange_rate_on.isoformat()})" if invoice.exchange_rate_on else ""
        notes.append(_("Exchange rate: %(rate)s", rate=f"1 {invoice.base_currency} = {rate} {invoice.currency}{on}"))
    for deduction in deductions:
        deposit = deduction.deposit_invoice
        number = deposit.number if deposit is not None and deposit.number else ""
        notes.append(
            f"{_('Less deposits paid')}: {number} {deduction.amount:.2f} {invoice.currency}".replace("  ", " ")
        )
    return tuple(notes)
