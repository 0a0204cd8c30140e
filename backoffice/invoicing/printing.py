"""How invoices, deposit invoices and credit notes print: plain data for the template, rendered by backoffice/pdf.py.

An invoice prints in the patient's language (English when the product does not speak theirs), chosen when it is
issued: the archive keeps those bytes, so a later change of preference does not alter it. What German law asks an
invoice to say stays in German beside the translation - the designations (Rechnung, Rechnungsnummer,
Leistungszeitraum...) and the VAT exemption's sentence: "Счёт № / Rechnungsnummer". A German invoice is German
only, an English one English only, as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from stdnum import iban

from backoffice.config import settings
from backoffice.invoicing.models import KIND_LABELS, RATE_SCALE, Invoice
from backoffice.invoicing.totals import RateTotal, invoice_totals, minor_digits, vat_in_base
from backoffice.languages import DEFAULT, N_, page_language
from backoffice.money import round_half_up
from backoffice.pdf import isolate, render_pdf

TEMPLATE = "invoicing/invoice_pdf.html"
# The ISO code rather than a symbol: "$" is the dollar of a dozen countries, and patients pay from abroad.
ISO_PATTERN = "\u00a4\u00a4\u00a0#,##0.00"
# 24 Nov 2026 in English; the other languages write their CLDR "medium" date (24.11.2026), but Arabic its month's
# name: its medium date (24/11/2026 with right-to-left marks) reads backwards in a left-to-right line.
DATE_PATTERNS = {"en": "d MMM y", "ar": "d MMMM y"}
RATE_PATTERN = "0.000000"  # an exchange rate with its six decimals, the decimal sign the language's
# The default VAT_EXEMPTION_NOTE, named here so the catalogues translate it (its German is the legal text).
LEGAL_LANGUAGE = "de"


def issuer_details() -> dict:
    """The operator's details as an invoice prints them, to freeze in `Invoice.issuer` when it is issued (JSON).

    The PDF prints from that frozen copy, never from the live configuration, so an invoice re-rendered years later
    shows the address, VAT ID and bank account it was issued with."""
    config = settings()
    return {
        "name": config.operator_name,
        "address": config.operator_address,
        # The same address in its parts, for the e-invoice (seller address BT-35, BT-38, BT-37, BT-40).
        "street": config.operator_street,
        "postcode": config.operator_postcode,
        "city": config.operator_city,
        "country": config.operator_country,
        "vat_id": config.operator_vat_id,
        "email": config.operator_email,
        "phone": config.operator_phone,
        "bank": config.operator_bank,
        "iban": iban.format(config.operator_iban),
        "bic": config.operator_bic,
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
    vat: str  # "exempt" or "19 %", in the document's language
    net_amount: str


@dataclass(frozen=True, slots=True)
class TotalRow:
    label: str
    amount: str = ""
    notes: tuple[str, ...] = ()  # small print under the label (the VAT exemption, and its German)
    style: str = ""  # "heading", "deduction", "total", "balance": a CSS class


@dataclass(frozen=True, slots=True)
class PrintedInvoice:
    issuer: dict
    title: str  # Deposit invoice / Final invoice / Credit note, with the German beside it
    headings: dict[str, str]  # the reference block's labels: number, issue_date, service_period, due_on, vat_id
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
    corrects: str  # "Corrects invoice INV-... of 24 Nov 2026." on a credit note
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
    """A total or line amount rounded half-up to the currency's minor unit: EUR 1,596.76, JPY 1,500 (EUR 1.596,76
    on a German invoice)."""
    rounded = round_half_up(amount, minor_digits(currency))
    return isolate(format_currency(rounded, currency, ISO_PATTERN, locale=page_language()))


def format_unit_price(amount: Decimal, currency: str) -> str:
    """A unit price with every decimal it has (up to 4), at least the currency's: EUR 12.50, EUR 12.3456."""
    return isolate(format_currency(amount, currency, ISO_PATTERN, locale=page_language(), decimal_quantization=False))


def _plain_number(value: Decimal) -> str:
    """2.5, 10: no trailing zeros, no thousands separator, the language's decimal sign."""
    return format_decimal(value.normalize(), locale=page_language(), decimal_quantization=False, group_separator=False)


def format_quantity(quantity: Decimal) -> str:
    return _plain_number(quantity)


def format_rate(rate: Decimal) -> str:
    return f"{_plain_number(Decimal(rate))} %"


def format_day(day: date | None) -> str:
    if not day:
        return ""
    language = page_language()
    return format_date(day, DATE_PATTERNS.get(language, "medium"), locale=language)


def in_german_too(message: str, **values) -> tuple[str, ...]:
    """`message` (marked with N_) in the document's language, then in German where German law wants it and it is
    another text: not on an English or a German invoice. A value that is a function (a day, a rate to write) is
    called in each language."""
    text = _(message, **_in_this_language(values))
    if page_language() in (DEFAULT, LEGAL_LANGUAGE):
        return (text,)
    with force_locale(LEGAL_LANGUAGE):
        german = _(message, **_in_this_language(values))
    return (text,) if german == text else (text, german)


def with_german(message: str, **values) -> str:
    """A designation German law asks of an invoice with the German beside it: "Счёт № / Rechnungsnummer"."""
    return " / ".join(in_german_too(message, **values))


def _in_this_language(values: dict) -> dict:
    return {key: value() if callable(value) else value for key, value in values.items()}


def exemption_notes(note: str) -> tuple[str, ...]:
    """The VAT exemption as the issuer froze it, translated (when it is the default sentence), and in German under
    it: the German is the legal statement. A note the catalogues do not know prints as it was configured."""
    return in_german_too(note) if note else ()


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
    rate_text = format_decimal(rate, RATE_PATTERN, locale=page_language())
    text = f"1 {invoice.base_currency} = {rate_text} {invoice.currency}"
    if invoice.exchange_rate_on:
        return _("%(conversion)s, rate of %(day)s", conversion=text, day=format_day(invoice.exchange_rate_on))
    return text


def _exchange_rate(invoice: Invoice) -> str:
    if invoice.currency == invoice.base_currency or invoice.exchange_rate is None:
        return ""
    return _("Exchange rate: %(rate)s", rate=_rate_text(invoice))


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
                _("converted from %(price)s", price=format_unit_price(line.source_unit_price, line.source_currency))
                if line.source_currency and line.source_unit_price is not None and line.source_currency != currency
                else ""
            ),
            vat=_vat_column(line.vat_category, line.vat_rate),
            net_amount=format_amount(line.net_amount, currency),
        )
        for number, line in enumerate(ordered, start=1)
    ]


# The VAT column of a line that carries none, and the heading of its category's total (with the German beside it).
UNTAXED_COLUMN = {"exempt": N_("exempt"), "outside_scope": N_("not taxable"), "margin_scheme": N_("margin scheme")}
UNTAXED_HEADINGS = {
    "zero": N_("Zero-rated services"),
    "exempt": N_("VAT-exempt services"),
    "outside_scope": N_("Services outside the scope of VAT"),
    "margin_scheme": N_("Travel services under the margin scheme"),
}


def _vat_column(category: str, rate: Decimal) -> str:
    column = UNTAXED_COLUMN.get(category)
    return _(column) if column else format_rate(rate)


def _rate_rows(group: RateTotal, invoice: Invoice, exemption_note: str) -> list[TotalRow]:
    """One row per untaxed category, with its note (an invoice issued before the VAT table prints the exemption
    sentence its issuer froze); net and VAT rows per taxed rate."""
    currency = invoice.currency
    if not group.taxed:
        note = group.note or (exemption_note if group.category == "exempt" else "")
        label = with_german(UNTAXED_HEADINGS[group.category])
        return [TotalRow(label, format_amount(group.net, currency), notes=exemption_notes(note))]

    def rate() -> str:  # in each language: 7,5 % in German
        return format_rate(group.rate)

    rows = [
        TotalRow(with_german(N_("Net at %(rate)s"), rate=rate), format_amount(group.net, currency)),
        TotalRow(with_german(N_("VAT %(rate)s"), rate=rate), format_amount(group.tax, currency)),
    ]
    if currency != invoice.base_currency and invoice.exchange_rate:
        # Sections 14(4) no. 8 and 16(6) UStG: an invoice in another currency states its VAT in euros too.
        base = invoice.base_currency
        rows.append(
            TotalRow(
                with_german(N_("VAT %(rate)s in %(currency)s"), rate=rate, currency=base),
                format_amount(vat_in_base(group.tax, invoice.exchange_rate, base), base),
                notes=(_("converted at %(rate)s", rate=_rate_text(invoice)),),
                style="base-currency",
            )
        )
    return rows


def _total_rows(invoice: Invoice, totals, deductions: list, exemption_note: str) -> list[TotalRow]:
    currency = invoice.currency
    credit_note = invoice.kind == "credit_note"
    rows: list[TotalRow] = []
    for group in totals.by_rate:
        rows.extend(_rate_rows(group, invoice, exemption_note))
    if len(totals.by_rate) > 1:
        # The net and VAT totals an e-invoice states (BT-109, BT-110), printed where no single category shows them.
        rows.append(TotalRow(with_german(N_("Total net")), format_amount(totals.net, currency), style="subtotal"))
        rows.append(TotalRow(with_german(N_("Total VAT")), format_amount(totals.tax, currency), style="subtotal"))
    taxed = [group for group in totals.by_rate if group.taxed]
    if len(taxed) > 1 and currency != invoice.base_currency and invoice.exchange_rate:
        base = invoice.base_currency
        in_base = sum((vat_in_base(group.tax, invoice.exchange_rate, base) for group in taxed), Decimal(0))
        label = with_german(N_("Total VAT in %(currency)s"), currency=base)
        rows.append(TotalRow(label, format_amount(in_base, base), style="base-currency"))
    total = with_german(N_("Total credited")) if credit_note else with_german(N_("Total"))
    rows.append(TotalRow(total, format_amount(totals.total, currency), style="total"))
    if deductions and not credit_note:
        rows.append(TotalRow(_("Less deposits paid"), style="heading"))
        for deduction in deductions:
            label = _deposit_label(deduction.deposit_invoice)
            rows.append(TotalRow(label, format_amount(-deduction.amount, currency), style="deduction"))
        balance = totals.balance
        if balance < 0:
            rows.append(TotalRow(_("Refund due to you"), format_amount(-balance, currency), style="balance"))
        else:
            rows.append(TotalRow(_("Balance due"), format_amount(balance, currency), style="balance"))
    return rows


def _deposit_label(deposit: Invoice | None) -> str:
    if not (deposit and deposit.number):
        return _("Deposit")
    if deposit.issue_date:
        return _("Deposit invoice %(number)s of %(day)s", number=deposit.number, day=format_day(deposit.issue_date))
    return _("Deposit invoice %(number)s", number=deposit.number)


def payment_sentences(invoice: Invoice) -> list[str]:
    """How to pay the invoice, in the current language, as its PDF says it (the e-invoice's payment terms, BT-20)."""
    if invoice.kind == "credit_note":
        return []
    deductions = list(invoice.deductions)
    totals = invoice_totals(invoice.lines, invoice.currency, [deduction.amount for deduction in deductions])
    issuer = dict(invoice.issuer or issuer_details())
    return _payment(invoice, totals, deductions, issuer, format_day(invoice.due_on))


def _payment(invoice: Invoice, totals, deductions: list, issuer: dict, due_on: str) -> list[str]:
    """The sentences under the totals: how to pay the balance, or the refund, or that nothing is due."""
    balance, currency = totals.balance, invoice.currency
    if balance < 0:
        return [_("We will refund %(amount)s to your account.", amount=format_amount(-balance, currency))]
    if balance == 0:
        return [_("The deposits you paid cover this invoice: nothing further is due.")] if deductions else []
    days = issuer.get("payment_days") or 0
    account = {
        "amount": format_amount(balance, currency),
        "bank": issuer.get("bank", ""),
        "iban": _unbroken(issuer.get("iban", "")),
        "bic": issuer.get("bic", ""),
        "reference": invoice.number or _("the invoice number"),
    }
    if due_on:
        request = _(
            "Please transfer %(amount)s by %(day)s to %(bank)s, IBAN %(iban)s, BIC %(bic)s, quoting %(reference)s.",
            day=due_on,
            **account,
        )
    else:
        request = ngettext(
            "Please transfer %(amount)s within %(num)d day to %(bank)s, IBAN %(iban)s, BIC %(bic)s, quoting "
            "%(reference)s.",
            "Please transfer %(amount)s within %(num)d days to %(bank)s, IBAN %(iban)s, BIC %(bic)s, quoting "
            "%(reference)s.",
            days,
            **account,
        )
    sentences = [request]
    if days:
        sentences.append(
            ngettext(
                "Payment terms: %(num)d day net from the issue date.",
                "Payment terms: %(num)d days net from the issue date.",
                days,
            )
        )
    return sentences


def _corrects(credited: Invoice | None) -> str:
    """On a credit note: the invoice it corrects, as German law wants it named (in German beside the translation)."""
    if credited is None:
        return ""
    if credited.issue_date:
        day = credited.issue_date
        return with_german(
            N_("Corrects invoice %(number)s of %(day)s."), number=credited.number, day=lambda: format_day(day)
        )
    return with_german(N_("Corrects invoice %(number)s."), number=credited.number)


def _headings(credit_note: bool) -> dict[str, str]:
    """The reference block's labels, German beside the translation where German law names them."""
    return {
        "number": with_german(N_("Credit note no.")) if credit_note else with_german(N_("Invoice no.")),
        "issue_date": with_german(N_("Issue date")),
        "service_period": with_german(N_("Service period")),
        "due_on": with_german(N_("Due date")),
        "vat_id": with_german(N_("VAT ID")),
    }


def printed_invoice(invoice: Invoice, case_number: str | None = None) -> PrintedInvoice:
    """What the PDF shows, as text in the current language: the invoice's frozen issuer, its lines and totals, how
    to pay.

    Reads only what the caller loaded (lines, deductions with their deposit invoices, the credited invoice) and
    queries nothing, so it prints invoices built in memory too; the template then only loops and tests."""
    # A draft has no frozen issuer yet: its preview shows what issuing it now would freeze.
    issuer = dict(invoice.issuer or issuer_details())
    currency = invoice.currency
    credit_note = invoice.kind == "credit_note"
    deductions = list(invoice.deductions)
    totals = invoice_totals(invoice.lines, currency, [deduction.amount for deduction in deductions])
    due_on = "" if credit_note else format_day(invoice.due_on)
    address = [row.strip() for row in (invoice.bill_to_address or "").splitlines()]
    return PrintedInvoice(
        issuer=issuer,
        title=with_german(KIND_LABELS[invoice.kind]),
        headings=_headings(credit_note),
        number=invoice.number or _("(draft)"),
        draft=invoice.number is None,
        is_credit_note=credit_note,
        issue_date=format_day(invoice.issue_date),
        service_period=_period(invoice.service_from, invoice.service_to),
        due_on=due_on,
        case_number=case_number or "",
        currency=currency,
        bill_to_name=invoice.bill_to_name or "",
        bill_to_address=[row for row in address if row],
        corrects=_corrects(invoice.credited_invoice if credit_note else None),
        reason=(invoice.note or "") if credit_note else "",
        note="" if credit_note else (invoice.note or ""),
        exchange_rate=_exchange_rate(invoice),
        lines=_lines(invoice),
        totals=_total_rows(invoice, totals, deductions, issuer.get("exemption_note", "")),
        payment=[] if credit_note else _payment(invoice, totals, deductions, issuer, due_on),
    )


def render_invoice_pdf(
    invoice: Invoice, *, case_number: str | None = None, language: str = DEFAULT, pdf_variant: str | None = None
) -> bytes:
    """The invoice as an A4 PDF in `language` (the patient's, chosen at issue: the archive keeps these bytes), from
    its frozen issuer and the lines and deductions the caller loaded; "pdf/a-3b" when issued, so that its e-invoice
    XML can be attached (`e_invoices.factur_x_pdf`)."""
    with force_locale(language):
        printed = printed_invoice(invoice, case_number)
    return render_pdf(TEMPLATE, language=language, pdf_variant=pdf_variant, invoice=printed)
