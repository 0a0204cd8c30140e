"""How invoices, deposit invoices and credit notes print: plain data for the template, rendered by backoffice/pdf.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency
from stdnum import iban

from backoffice.config import settings
from backoffice.invoicing.models import KIND_LABELS, RATE_SCALE, Invoice
from backoffice.invoicing.totals import RateTotal, invoice_totals, minor_digits, vat_in_base
from backoffice.money import round_half_up
from backoffice.pdf import render_pdf

TEMPLATE = "invoicing/invoice_pdf.html"
# The ISO code rather than a symbol: "$" is the dollar of a dozen countries, and patients pay from abroad.
ISO_PATTERN = "\u00a4\u00a4\u00a0#,##0.00"
DATE_PATTERN = "d MMM y"  # 24 Nov 2026, whatever the server's locale


def issuer_details() -> dict:
    """The operator's details as an invoice prints them, to freeze in `Invoice.issuer` when it is issued (JSON).

    The PDF prints from that frozen copy, never from the live configuration, so an invoice re-rendered years later
    shows the address, VAT ID and bank account it was issued with."""
    config = settings()
    return {
        "name": config.operator_name,
        "address": config.operator_address,
        "vat_id": config.operator_vat_id,
        "email": config.operator_email,
        "phone": config.operator_phone,
        "bank": config.operator_bank,
        "iban": iban.format(config.operator_iban),
        "bic": config.operator_bic,
        "exemption_note": config.vat_exemption_note,
        "payment_days": config.invoice_payment_days,
    }


# ---------------------------------------------------------------------------------------------- the printed data


@dataclass(frozen=True, slots=True)
class PrintedLine:
    number: int
    description: str
    service_on: str  # "" when the line has no date
    quantity: str  # 1, 2.5: no trailing zeros
    unit_price: str
    source_price: str  # the unit price before conversion, in small print; "" when not converted
    vat: str  # "exempt" or "19 %"
    net_amount: str


@dataclass(frozen=True, slots=True)
class TotalRow:
    label: str
    amount: str = ""
    note: str = ""  # small print under the label (the VAT exemption)
    style: str = ""  # "heading", "deduction", "total", "balance": a CSS class


@dataclass(frozen=True, slots=True)
class PrintedInvoice:
    issuer: dict
    title: str  # Deposit invoice / Final invoice / Credit note
    number: str
    draft: bool
    is_credit_note: bool
    issue_date: str
    service_period: str
    due_on: str
    case_number: str
    currency: str
    bill_to_name: str
    bill_to_address: list[str]
    corrects: str  # "Corrects invoice INV-... of 24 Nov 2026" on a credit note
    reason: str  # the credit note's reason
    note: str  # any other invoice's remark
    exchange_rate: str
    lines: list[PrintedLine] = field(default_factory=list)
    totals: list[TotalRow] = field(default_factory=list)
    payment: list[str] = field(default_factory=list)  # sentences under the totals

    @property
    def reference(self) -> str:
        """The running footer: who issued what."""
        return f"{self.issuer.get('name', '')} · {self.title} {self.number}"


def format_amount(amount: Decimal, currency: str) -> str:
    """A total or line amount rounded half-up to the currency's minor unit: EUR 1,596.76, JPY 1,500."""
    return format_currency(round_half_up(amount, minor_digits(currency)), currency, ISO_PATTERN, locale="en")


def format_unit_price(amount: Decimal, currency: str) -> str:
    """A unit price with every decimal it has (up to 4), at least the currency's: EUR 12.50, EUR 12.3456."""
    return format_currency(amount, currency, ISO_PATTERN, locale="en", decimal_quantization=False)


def format_quantity(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


def format_rate(rate: Decimal) -> str:
    return f"{Decimal(rate).normalize():f} %"


def format_day(day: date | None) -> str:
    return format_date(day, DATE_PATTERN, locale="en") if day else ""


def _unbroken(text: str) -> str:
    """No line break inside an IBAN: a reader copies it in one piece."""
    return text.replace(" ", "\u00a0")


def _period(start: date | None, end: date | None) -> str:
    if start and end and start != end:
        return f"{format_day(start)} \u2013 {format_day(end)}"  # an en dash
    return format_day(start or end)


def _rate_text(invoice: Invoice) -> str:
    """1 EUR = 1.173000 USD, rate of 2 Dec 2026"""
    rate = Decimal(invoice.exchange_rate).quantize(Decimal(1).scaleb(-RATE_SCALE))
    text = f"1 {invoice.base_currency} = {rate:f} {invoice.currency}"
    if invoice.exchange_rate_on:
        text += f", rate of {format_day(invoice.exchange_rate_on)}"
    return text


def _exchange_rate(invoice: Invoice) -> str:
    if invoice.currency == invoice.base_currency or invoice.exchange_rate is None:
        return ""
    return f"Exchange rate: {_rate_text(invoice)}"


def _lines(invoice: Invoice) -> list[PrintedLine]:
    currency = invoice.currency
    ordered = sorted(invoice.lines, key=lambda line: line.position or 0)
    return [
        PrintedLine(
            number=number,
            description=line.description,
            service_on=format_day(line.service_on),
            quantity=format_quantity(line.quantity),
            unit_price=format_unit_price(line.unit_price, currency),
            source_price=(
                f"converted from {format_unit_price(line.source_unit_price, line.source_currency)}"
                if line.source_currency and line.source_unit_price is not None and line.source_currency != currency
                else ""
            ),
            vat="exempt" if line.vat_exempt else format_rate(line.vat_rate),
            net_amount=format_amount(line.net_amount, currency),
        )
        for number, line in enumerate(ordered, start=1)
    ]


def _rate_rows(group: RateTotal, invoice: Invoice, exemption_note: str) -> list[TotalRow]:
    currency = invoice.currency
    if group.exempt:
        return [TotalRow("VAT-exempt services", format_amount(group.net, currency), note=exemption_note)]
    rate = format_rate(group.rate)
    rows = [
        TotalRow(f"Net at {rate}", format_amount(group.net, currency)),
        TotalRow(f"VAT {rate}", format_amount(group.tax, currency)),
    ]
    if currency != invoice.base_currency and invoice.exchange_rate:
        # Sections 14(4) no. 8 and 16(6) UStG: an invoice in another currency states its VAT in euros too.
        base = invoice.base_currency
        rows.append(
            TotalRow(
                f"VAT {rate} in {base}",
                format_amount(vat_in_base(group.tax, invoice.exchange_rate, base), base),
                note=f"converted at {_rate_text(invoice)}",
                style="base-currency",
            )
        )
    return rows


def printed_invoice(invoice: Invoice, case_number: str | None = None) -> PrintedInvoice:
    """What the PDF shows, as text: the invoice's frozen issuer, its lines and totals, how to pay.

    Reads only what the caller loaded (lines, deductions with their deposit invoices, the credited invoice) and
    queries nothing, so it prints invoices built in memory too; the template then only loops and tests."""
    # A draft has no frozen issuer yet: its preview shows what issuing it now would freeze.
    issuer = dict(invoice.issuer or issuer_details())
    currency = invoice.currency
    credit_note = invoice.kind == "credit_note"
    deductions = list(invoice.deductions)
    totals = invoice_totals(invoice.lines, currency, [deduction.amount for deduction in deductions])
    number = invoice.number or "(draft)"

    rows: list[TotalRow] = []
    for group in totals.by_rate:
        rows.extend(_rate_rows(group, invoice, issuer.get("exemption_note", "")))
    rows.append(
        TotalRow("Total credited" if credit_note else "Total", format_amount(totals.total, currency), style="total")
    )
    if deductions and not credit_note:
        rows.append(TotalRow("Less deposits paid", style="heading"))
        for deduction in deductions:
            deposit = deduction.deposit_invoice
            label = f"Deposit invoice {deposit.number}" if deposit and deposit.number else "Deposit"
            if deposit and deposit.issue_date:
                label += f" of {format_day(deposit.issue_date)}"
            rows.append(TotalRow(label, format_amount(-deduction.amount, currency), style="deduction"))
        balance = totals.balance
        if balance < 0:
            rows.append(TotalRow("Refund due to you", format_amount(-balance, currency), style="balance"))
        else:
            rows.append(TotalRow("Balance due", format_amount(balance, currency), style="balance"))

    due_on = "" if credit_note else format_day(invoice.due_on)
    payment: list[str] = []
    if not credit_note:
        balance = totals.balance
        if balance > 0:
            by = f"by {due_on}" if due_on else f"within {issuer.get('payment_days', '')} days"
            quoting = invoice.number or "the invoice number"
            payment.append(
                f"Please transfer {format_amount(balance, currency)} {by} to {issuer.get('bank', '')}, "
                f"IBAN {_unbroken(issuer.get('iban', ''))}, BIC {issuer.get('bic', '')}, quoting {quoting}."
            )
            if issuer.get("payment_days"):
                payment.append(f"Payment terms: {issuer['payment_days']} days net from the issue date.")
        elif balance < 0:
            payment.append(f"We will refund {format_amount(-balance, currency)} to your account.")
        elif deductions:
            payment.append("The deposits you paid cover this invoice: nothing further is due.")

    credited = invoice.credited_invoice if credit_note else None
    corrects = ""
    if credited is not None:
        corrects = f"Corrects invoice {credited.number}"
        if credited.issue_date:
            corrects += f" of {format_day(credited.issue_date)}"

    address = [row.strip() for row in (invoice.bill_to_address or "").splitlines()]
    return PrintedInvoice(
        issuer=issuer,
        title=KIND_LABELS[invoice.kind],
        number=number,
        draft=invoice.number is None,
        is_credit_note=credit_note,
        issue_date=format_day(invoice.issue_date),
        service_period=_period(invoice.service_from, invoice.service_to),
        due_on=due_on,
        case_number=case_number or "",
        currency=currency,
        bill_to_name=invoice.bill_to_name or "",
        bill_to_address=[row for row in address if row],
        corrects=corrects,
        reason=(invoice.note or "") if credit_note else "",
        note="" if credit_note else (invoice.note or ""),
        exchange_rate=_exchange_rate(invoice),
        lines=_lines(invoice),
        totals=rows,
        payment=payment,
    )


def render_invoice_pdf(invoice: Invoice, *, case_number: str | None = None) -> bytes:
    """The invoice as an A4 PDF, from its frozen issuer and the lines and deductions the caller loaded."""
    return render_pdf(TEMPLATE, invoice=printed_invoice(invoice, case_number))
