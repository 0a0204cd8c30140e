"""The printed invoice: the content EU invoicing rules require, by kind, printed from the issuer frozen at issue.

Invoices here are built in memory (no rows): the renderer reads only what its caller loaded and queries nothing.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from fontTools.ttLib import TTFont

from backoffice.config import settings
from backoffice.invoicing.models import Invoice, InvoiceDeduction, InvoiceLine
from backoffice.invoicing.printing import issuer_details, render_invoice_pdf
from backoffice.invoicing.totals import line_amounts
from backoffice.pdf import StaticFilesOnly
from tests.helpers import change_settings

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

EXEMPTION = "Medical treatment: exempt from VAT under section 4 no. 14 UStG."
ISSUER = {
    "name": "MedTravel Coordination GmbH",
    "address": "Mainzer Landstraße 50, 60325 Frankfurt am Main, Germany",
    "vat_id": "DE123456789",
    "email": "care@medtravel.example",
    "phone": "+49 69 1234 5670",
    "bank": "Frankfurter Demo Bank",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
    "exemption_note": EXEMPTION,
    "payment_days": 14,
}
ADDRESS = "Villa 12, Street 5\nAl Barsha 2\nDubai\nUnited Arab Emirates"


def make_line(description, quantity, unit_price, *, vat_rate="0", exempt=False, currency="EUR", **fields):
    quantity, unit_price, vat_rate = Decimal(quantity), Decimal(unit_price), Decimal(vat_rate)
    net, tax = line_amounts(quantity, unit_price, vat_rate, currency)
    fields.setdefault("kind", "treatment" if exempt else "fee")
    return InvoiceLine(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        vat_rate=vat_rate,
        vat_category="exempt" if exempt else "standard",
        vat_note=fields.pop(
            "vat_note", "Medical treatment: exempt from VAT under section 4 no. 14 UStG." if exempt else ""
        ),
        net_amount=net,
        tax_amount=tax,
        **fields,
    )


def make_invoice(kind="final", *, lines=(), deductions=(), **fields) -> Invoice:
    """A transient invoice as the lead's issue step leaves it: numbered, dated, issuer frozen."""
    values = {
        "number": "INV-2026-00007",
        "status": "issued",
        "currency": "EUR",
        "base_currency": "EUR",
        "bill_to_name": "Amal Haddad",
        "bill_to_address": ADDRESS,
        "service_from": date(2026, 11, 1),
        "service_to": date(2026, 11, 20),
        "issue_date": date(2026, 11, 24),
        "due_on": date(2026, 12, 8),
        "issuer": dict(ISSUER),
        "note": "",
    }
    values.update(fields)
    invoice = Invoice(kind=kind, **values)
    invoice.lines = [line if line.position else _at(line, n) for n, line in enumerate(lines, start=1)]
    invoice.deductions = list(deductions)
    return invoice


def _at(line: InvoiceLine, position: int) -> InvoiceLine:
    line.position = position
    return line


def treatment_lines(currency="EUR"):
    return [
        make_line(
            "Stem cell therapy, inpatient stay",
            "1",
            "17650.00",
            exempt=True,
            service_on=date(2026, 11, 3),
            currency=currency,
        ),
        make_line("Immunosuppressant, 10 mg", "2.5", "12.3456", exempt=True, currency=currency, kind="medicine"),
        make_line("Coordination fee", "1", "1500.00", vat_rate="19", currency=currency),
    ]


def deposit(number="INV-2026-00003", issued=date(2026, 10, 2)) -> Invoice:
    return make_invoice(
        "deposit", number=number, issue_date=issued, lines=[make_line("Deposit", "1", "10000", exempt=True)]
    )


def pdf_pages(pdf: bytes) -> list[str]:
    """Each page's text, words separated by single spaces (lines wrap where the layout wants)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def pdf_text(pdf: bytes) -> str:
    return " ".join(pdf_pages(pdf))


# ---------------------------------------------------------------------------------------------- by kind


def test_a_final_invoice_prints_what_an_eu_invoice_must_show():
    pdf = render_invoice_pdf(make_invoice(lines=treatment_lines()), case_number="C-2026-0042")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    # who issues it, to whom, which document, when, for which period
    assert "MedTravel Coordination GmbH" in text and "Mainzer Landstraße 50, 60325 Frankfurt am Main" in text
    assert "VAT ID DE123456789" in text
    assert "Amal Haddad" in text and "Villa 12, Street 5 Al Barsha 2 Dubai United Arab Emirates" in text
    assert "Final invoice INV-2026-00007" in text and "Case C-2026-0042" in text
    assert "Issue date 24 Nov 2026" in text and "Service period 1 Nov 2026 \u2013 20 Nov 2026" in text
    assert "Due date 8 Dec 2026" in text
    # the lines: description, date of service, quantity without trailing zeros, unit price with its decimals, VAT
    assert "1 Stem cell therapy, inpatient stay 3 Nov 2026 1 EUR 17,650.00 exempt EUR 17,650.00" in text
    assert "2 Immunosuppressant, 10 mg 2.5 EUR 12.3456 exempt EUR 30.86" in text
    assert "3 Coordination fee 1 EUR 1,500.00 19 % EUR 1,500.00" in text
    # the taxable amount, rate and tax per rate, the exemption, the total
    assert f"VAT-exempt services {EXEMPTION} EUR 17,680.86" in text
    assert "Net at 19 % EUR 1,500.00 VAT 19 % EUR 285.00 Total net EUR 19,180.86 Total VAT EUR 285.00" in text
    assert "Total VAT EUR 285.00 Total EUR 19,465.86" in text  # the totals an e-invoice states, then the total
    # how to pay
    assert (
        "Please transfer EUR 19,465.86 by 8 Dec 2026 to Frankfurter Demo Bank, IBAN DE89 3704 0044 0532 0130 00, "
        "BIC COBADEFFXXX, quoting INV-2026-00007." in text
    )
    assert "Payment terms: 14 days net from the issue date." in text
    assert "Less deposits paid" not in text and "Exchange rate" not in text


def test_a_deposit_invoice_is_titled_as_such_and_asks_for_the_deposit():
    invoice = make_invoice(
        "deposit",
        number="INV-2026-00003",
        note="Deposit for your treatment in November.",
        lines=[make_line("Deposit for stem cell therapy", "1", "5000.00", exempt=True, kind="deposit")],
    )
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Deposit invoice INV-2026-00003" in text and "Final invoice" not in text
    assert "Deposit for your treatment in November." in text
    assert f"VAT-exempt services {EXEMPTION} EUR 5,000.00 Total EUR 5,000.00" in text
    assert "Please transfer EUR 5,000.00 by 8 Dec 2026" in text and "quoting INV-2026-00003." in text


def test_a_final_invoice_deducts_the_deposits_paid_and_asks_for_the_balance():
    invoice = make_invoice(
        lines=treatment_lines(), deductions=[InvoiceDeduction(deposit_invoice=deposit(), amount=Decimal("10000.00"))]
    )
    text = pdf_text(render_invoice_pdf(invoice))
    assert (
        "Total EUR 19,465.86 Less deposits paid Deposit invoice INV-2026-00003 of 2 Oct 2026 -EUR 10,000.00 "
        "Balance due EUR 9,465.86" in text
    )
    assert "Please transfer EUR 9,465.86 by 8 Dec 2026" in text and "Refund" not in text


def test_deposits_above_the_final_total_print_the_refund_due_and_no_payment_request():
    deductions = [
        InvoiceDeduction(deposit_invoice=deposit("INV-2026-00003", date(2026, 10, 2)), amount=Decimal("15000.00")),
        InvoiceDeduction(deposit_invoice=deposit("INV-2026-00005", date(2026, 10, 20)), amount=Decimal("5000.00")),
    ]
    text = pdf_text(render_invoice_pdf(make_invoice(lines=treatment_lines(), deductions=deductions)))
    assert "Deposit invoice INV-2026-00003 of 2 Oct 2026 -EUR 15,000.00" in text
    assert "Deposit invoice INV-2026-00005 of 20 Oct 2026 -EUR 5,000.00" in text
    assert "Refund due to you EUR 534.14" in text and "Balance due" not in text
    assert "We will refund EUR 534.14 to your account." in text
    assert "Please transfer" not in text


def test_a_credit_note_names_the_invoice_it_corrects_and_its_reason():
    credited = make_invoice(lines=treatment_lines())
    reversal = make_line("Coordination fee", "1", "-1500.00", vat_rate="19")
    credit_note = make_invoice(
        "credit_note",
        number="CN-2026-00001",
        issue_date=date(2026, 12, 1),
        note="The coordination fee was charged twice.",
        credited_invoice=credited,
        lines=[reversal],
    )
    text = pdf_text(render_invoice_pdf(credit_note))
    assert "Credit note CN-2026-00001" in text and "Credit note no. CN-2026-00001" in text
    assert "Corrects invoice INV-2026-00007 of 24 Nov 2026." in text
    assert "Reason: The coordination fee was charged twice." in text
    assert "Net at 19 % -EUR 1,500.00 VAT 19 % -EUR 285.00 Total credited -EUR 1,785.00" in text
    assert "Due date" not in text and "Please transfer" not in text and "IBAN" not in text


def test_a_foreign_currency_invoice_shows_the_exchange_rate_its_date_and_the_source_prices():
    invoice = make_invoice(
        currency="USD",
        exchange_rate=Decimal("1.0845"),
        exchange_rate_on=date(2026, 11, 24),
        lines=[
            make_line(
                "Stem cell therapy, inpatient stay",
                "1",
                "19141.43",
                exempt=True,
                currency="USD",
                source_unit_price=Decimal("17650.00"),
                source_currency="EUR",
            ),
            make_line("Coordination fee", "1", "1626.75", vat_rate="19", currency="USD"),
        ],
    )
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Exchange rate: 1 EUR = 1.084500 USD, rate of 24 Nov 2026" in text
    assert "USD 19,141.43 converted from EUR 17,650.00" in text
    # the VAT also in euros, at the rate used (USD 309.08 / 1.0845 = EUR 285.00), then the total
    assert (
        "Net at 19 % USD 1,626.75 VAT 19 % USD 309.08 VAT 19 % in EUR converted at 1 EUR = 1.084500 USD, rate of "
        "24 Nov 2026 EUR 285.00 Total net USD 20,768.18 Total VAT USD 309.08 Total USD 21,077.26" in text
    )
    assert "Currency USD" in text


def test_an_invoice_in_the_base_currency_shows_no_exchange_rate():
    invoice = make_invoice(lines=treatment_lines(), exchange_rate=Decimal("1"), exchange_rate_on=date(2026, 11, 24))
    assert "Exchange rate" not in pdf_text(render_invoice_pdf(invoice))


# ---------------------------------------------------------------------------------------------- layout


def test_a_long_invoice_runs_over_numbered_pages_with_the_header_repeated():
    lines = [make_line(f"Physiotherapy session {n}", "1", "95.00", exempt=True) for n in range(1, 61)]
    pages = pdf_pages(render_invoice_pdf(make_invoice(lines=lines)))
    assert len(pages) == 2
    assert "Page 1 of 2" in pages[0] and "Page 2 of 2" in pages[1]
    for page in pages:
        assert "MedTravel Coordination GmbH · Final invoice INV-2026-00007" in page
        assert "# DESCRIPTION QTY UNIT PRICE VAT NET AMOUNT" in page  # the header row, on every page
    text = " ".join(pages)
    assert all(f"Physiotherapy session {n} 1 EUR 95.00" in text for n in range(1, 61))
    assert "Total EUR 5,700.00" in pages[1]


def test_the_fonts_are_the_dejavu_files_shipped_with_the_app(monkeypatch):
    fetched: list[str] = []
    fetch = StaticFilesOnly.fetch

    def recording_fetch(self, url, headers=None):
        response = fetch(self, url, headers)
        fetched.append(url)
        return response

    monkeypatch.setattr(StaticFilesOnly, "fetch", recording_fetch)
    pdf = render_invoice_pdf(make_invoice(lines=treatment_lines()))
    assert any(url.endswith("/static/fonts/DejaVuSans.ttf") for url in fetched)
    assert any(url.endswith("/static/fonts/DejaVuSans-Bold.ttf") for url in fetched)
    base_fonts, programs = set(), set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            base_fonts.add(str(font["/BaseFont"]).split("+")[-1])
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_data()))
            programs.add(program["name"].getDebugName(6))  # the PostScript name of the embedded subset
    # WeasyPrint names a font by the family it was asked for: a system fallback would carry another name.
    assert base_fonts == {"DejaVu-Sans-Invoice", "DejaVu-Sans-Invoice-Bold"}
    assert programs == {"DejaVuSans", "DejaVuSans-Bold"}


# ---------------------------------------------------------------------------------------------- safety


def test_a_hostile_patient_name_is_printed_as_text_and_fetches_nothing(caplog):
    invoice = make_invoice(
        bill_to_name='<img src="file:///etc/passwd">',
        bill_to_address='<link rel="stylesheet" href="http://example.com/x.css">\nRoad & Co <b>1</b>',
        note="<script>alert(1)</script>",
        lines=[make_line('<img src="http://example.com/pixel.png"> Consultation', "1", "100.00", exempt=True)],
    )
    with caplog.at_level(logging.WARNING, logger="backoffice.pdf"):
        text = pdf_text(render_invoice_pdf(invoice))
    assert '<img src="file:///etc/passwd">' in text
    assert '<link rel="stylesheet" href="http://example.com/' in text and "Road & Co <b>1</b>" in text
    assert "<script>alert(1)</script>" in text
    assert '<img src="http://example.com/pixel.png"> Consultation' in text
    assert not [record for record in caplog.records if record.name == "backoffice.pdf"]  # nothing was even asked for


# ---------------------------------------------------------------------------------------------- the frozen issuer


def test_issuer_details_are_the_configured_operator_with_the_iban_in_groups_of_four(app, monkeypatch):
    change_settings(monkeypatch, app, operator_iban="DE89370400440532013000")
    details = issuer_details()
    assert details == {
        "name": settings(app).operator_name,
        "address": settings(app).operator_address,
        "street": "Mainzer Landstraße 50",
        "postcode": "60325",
        "city": "Frankfurt am Main",
        "country": "DE",
        "vat_id": settings(app).operator_vat_id,
        "email": settings(app).operator_email,
        "phone": settings(app).operator_phone,
        "bank": settings(app).operator_bank,
        "iban": "DE89 3704 0044 0532 0130 00",
        "bic": settings(app).operator_bic,
        "payment_days": settings(app).invoice_payment_days,
    }
    assert json.loads(json.dumps(details)) == details  # fit for the JSON column


def test_an_issued_invoice_reprints_the_issuer_it_was_issued_with_not_todays_settings(app, monkeypatch):
    change_settings(monkeypatch, app, operator_address="Neue Straße 1, 10115 Berlin, Germany")
    change_settings(monkeypatch, app, operator_iban="GB82 WEST 1234 5698 7654 32")
    text = pdf_text(render_invoice_pdf(make_invoice(lines=treatment_lines())))
    assert "Mainzer Landstraße 50" in text and "IBAN DE89 3704 0044 0532 0130 00" in text
    assert "Berlin" not in text and "GB82" not in text


def test_a_draft_preview_prints_todays_issuer_and_says_it_is_not_an_invoice(app):
    draft = make_invoice(
        number=None, status="draft", issuer=None, issue_date=None, due_on=None, lines=treatment_lines()
    )
    text = pdf_text(render_invoice_pdf(draft))
    assert "Draft: not valid as an invoice until it is issued." in text
    assert settings(app).operator_vat_id in text
    assert "Please transfer EUR 19,465.86 within 14 days" in text and "quoting the invoice number." in text


@pytest.mark.parametrize(("quantity", "printed"), [("1.0000", "1"), ("2.5000", "2.5"), ("10", "10")])
def test_quantities_print_without_trailing_zeros(quantity, printed):
    text = pdf_text(render_invoice_pdf(make_invoice(lines=[make_line("Night in hotel", quantity, "80.00")])))
    assert f"1 Night in hotel {printed} EUR 80.00" in text
