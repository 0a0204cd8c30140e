"""Every issued invoice and credit note is a Factur-X / ZUGFeRD PDF/A-3 (EN 16931): the archived PDF carries its CII
XML as factur-x.xml, valid against the official schema and the EN 16931 rules, stating every amount the PDF prints;
a business payer's invoice is also an XRechnung download."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from datetime import date
from decimal import Decimal

import facturx
import pypdf
import pytest
from lxml import etree

from backoffice import vat
from backoffice.einvoice.write_cii import RAM, write_cii
from backoffice.extensions import db
from backoffice.invoicing import conversion, deposits, drafts, e_invoices, finals
from backoffice.invoicing.drafts import Payer
from backoffice.invoicing.invoices import InvoiceError, set_amounts
from backoffice.invoicing.models import Invoice, InvoiceLine
from backoffice.invoicing.printing import issuer_details
from backoffice.invoicing.totals import apply_vat
from backoffice.storage import archive
from tests.einvoice.en16931_rules import check_xsd, errors
from tests.factories import make_patient
from tests.invoicing.factories import (
    credit,
    fresh,
    issue,
    issued_deposit,
    make_approved_bill,
    make_invoicing_case,
    pay,
)
from tests.test_pdf_scripts import assert_text_comes_back, missing_glyphs

LEITWEG_ID = "04011000-12345-67"
INSURER = Payer(reference=LEITWEG_ID, vat_id="DE 123456789", postcode="60311", city="Frankfurt am Main", country="DE")


def archived(invoice) -> bytes:
    return archive.read_pdf(invoice.pdf_filename, invoice.pdf_sha256)


def attached_xml(pdf: bytes) -> bytes:
    """The factur-x.xml the PDF carries as an attachment (read with pypdf, as a viewer's attachment list shows it)."""
    attachments = pypdf.PdfReader(io.BytesIO(pdf)).attachments
    assert "factur-x.xml" in attachments, f"no factur-x.xml in {sorted(attachments)}"
    (xml,) = attachments["factur-x.xml"]
    assert facturx.get_xml_from_pdf(pdf, check_xsd=False) == ("factur-x.xml", xml)
    return xml


def pdf_text(pdf: bytes) -> str:
    """What `pdftotext` reads, NFKC-normalised, words separated by single spaces."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `make system-deps` installs poppler-utils")
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(unicodedata.normalize("NFKC", result.stdout.decode()).split())


def amounts(xml: bytes) -> dict[str, list[tuple[Decimal, str]]]:
    """Every amount of the CII by element name: (value, currency)."""
    root = etree.fromstring(xml)
    currency = root.findtext(f".//{{{RAM}}}InvoiceCurrencyCode")
    found: dict[str, list[tuple[Decimal, str]]] = {}
    names = (
        "LineTotalAmount",
        "BasisAmount",
        "CalculatedAmount",
        "TaxBasisTotalAmount",
        "TaxTotalAmount",
        "GrandTotalAmount",
        "TotalPrepaidAmount",
        "DuePayableAmount",
    )
    for name in names:
        for element in root.iter(f"{{{RAM}}}{name}"):
            value = Decimal(element.text)
            if name == "CalculatedAmount" and not value:
                continue  # an untaxed category prints its reason, not a VAT of 0
            found.setdefault(name, []).append((value, element.get("currencyID") or currency))
    return found


def printed(value: Decimal, currency: str) -> str:
    return f"{currency} {value:,.2f}"


def assert_valid(xml: bytes) -> None:
    assert check_xsd(xml, "cii")
    assert errors(xml, "cii") == []


def english_case(**fields):
    return make_invoicing_case(patient=make_patient(name="Amira Haddad", preferred_language="en"), **fields)


def to_insurer(draft_id: int) -> None:
    """The draft goes to a business payer: an insurer with its Leitweg-ID."""
    draft = fresh(draft_id)
    drafts.update_draft(
        draft_id,
        actor_id=None,
        expected_version=None,
        bill_to_name="Gulf Health Insurance",
        bill_to_address="Kaiserstraße 1\n60311 Frankfurt am Main\nGermany",
        service_from=draft.service_from,
        service_to=draft.service_to,
        exchange_rate=draft.exchange_rate,
        exchange_rate_on=draft.exchange_rate_on,
        payer=INSURER,
    )
    db.session.commit()


@pytest.fixture
def final_invoice(app):
    """A final invoice to an insurer: exempt treatment, a hotel at the reduced rate, the fee at the standard rate, less
    a deposit of EUR 500.00 paid; with its deposit invoice."""
    case = english_case()
    db.session.commit()
    deposit = issued_deposit(case, "500.00")
    pay(deposit, "500.00")
    make_approved_bill(case)
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    drafts.add_line(
        draft.id,
        actor_id=None,
        expected_version=None,
        kind="hotel",
        description="Hotel Frankfurter Hof, 3 nights",
        quantity="3",
        unit_price="120.555",
    )
    db.session.commit()
    to_insurer(draft.id)
    return fresh(deposit.id), issue(draft.id)


def test_a_deposit_invoice_is_a_prepayment_factur_x_valid_against_the_schema_and_the_en16931_rules(final_invoice):
    deposit, _final = final_invoice
    xml = attached_xml(archived(deposit))
    assert_valid(xml)
    root = etree.fromstring(xml)
    assert root.findtext(".//{*}ExchangedDocument/{*}TypeCode") == "386"
    assert root.findtext(".//{*}ExchangedDocument/{*}ID") == deposit.number


def test_a_final_invoice_with_three_vat_categories_and_a_deposit_states_every_amount_its_pdf_prints(final_invoice):
    _deposit, final = final_invoice
    pdf = archived(final)
    xml = attached_xml(pdf)
    assert_valid(xml)
    text = pdf_text(pdf)
    found = amounts(xml)
    for name, values in found.items():
        for value, currency in values:
            assert printed(value, currency) in text, f"{name} {value} {currency} is not printed on the PDF"
    # one breakdown per category and rate: exempt treatment, 7 % and 19 %, each VAT on its category's net total
    root = etree.fromstring(xml)
    breakdown = {
        (tax.findtext(f"{{{RAM}}}CategoryCode"), Decimal(tax.findtext(f"{{{RAM}}}RateApplicablePercent"))): (
            Decimal(tax.findtext(f"{{{RAM}}}BasisAmount")),
            Decimal(tax.findtext(f"{{{RAM}}}CalculatedAmount")),
        )
        for tax in root.iterfind(f".//{{{RAM}}}ApplicableHeaderTradeSettlement/{{{RAM}}}ApplicableTradeTax")
    }
    assert set(breakdown) == {("E", Decimal(0)), ("S", Decimal(7)), ("S", Decimal(19))}
    assert breakdown[("S", Decimal(7))] == (Decimal("361.67"), Decimal("25.32"))  # 361.665 rounded, 7 % of the net
    assert [(value, "EUR") for value, _c in found["TotalPrepaidAmount"]] == [(Decimal("500.00"), "EUR")]
    assert f"Please transfer {printed(found['DuePayableAmount'][0][0], 'EUR')}" in text  # the balance due
    assert root.findtext(f".//{{{RAM}}}BuyerReference") == LEITWEG_ID
    assert root.findtext(f".//{{{RAM}}}IBANID") == "DE89370400440532013000"
    assert "VATEX-EU-132" in xml.decode()


def test_the_archived_pdf_is_a_pdf_a_3_whose_hash_is_that_of_the_factur_x(final_invoice):
    _deposit, final = final_invoice
    pdf = archived(final)  # read_pdf checks the stored SHA-256 against these bytes
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part[^0-9]{0,3}3", xmp), xmp[:2000]
    assert "factur-x.xml" in xmp.lower() and "EN 16931" in xmp


def test_a_credit_note_is_type_381_naming_the_invoice_it_corrects(final_invoice):
    _deposit, final = final_invoice
    fee = next(line for line in final.lines if line.kind == "fee")
    note = credit(final, {fee.id: None}, reason="The coordination fee was waived.")
    pdf = archived(note)
    xml = attached_xml(pdf)
    assert_valid(xml)
    root = etree.fromstring(xml)
    assert root.findtext(".//{*}ExchangedDocument/{*}TypeCode") == "381"
    assert root.findtext(f".//{{{RAM}}}InvoiceReferencedDocument/{{{RAM}}}IssuerAssignedID") == final.number
    text = pdf_text(pdf)
    for values in amounts(xml).values():
        for value, currency in values:
            assert printed(value, currency) in text


def test_a_usd_invoice_states_its_vat_in_euros_too_as_its_pdf_does(app):
    case = english_case(estimate="20000.00", currency="USD")
    conversion.set_invoicing_currency(case.id, "USD", actor_id=None)
    make_approved_bill(case)
    db.session.commit()
    draft, _notes = finals.create_final_draft(
        case.id, actor_id=None, exchange_rate="1.173", exchange_rate_on=date(2026, 11, 20)
    )
    db.session.commit()
    final = issue(draft.id)
    pdf = archived(final)
    xml = attached_xml(pdf)
    assert_valid(xml)
    root = etree.fromstring(xml)
    assert root.findtext(f".//{{{RAM}}}TaxCurrencyCode") == "EUR"
    assert root.findtext(f".//{{{RAM}}}InvoiceCurrencyCode") == "USD"
    in_euros = [value for value, currency in amounts(xml)["TaxTotalAmount"] if currency == "EUR"]
    assert in_euros and in_euros[0] > 0
    text = pdf_text(pdf)
    for values in amounts(xml).values():
        for value, currency in values:
            assert printed(value, currency) in text


def test_an_invoice_to_a_business_payer_is_an_xrechnung_valid_against_ubl_and_the_en16931_rules(final_invoice):
    _deposit, final = final_invoice
    xml = e_invoices.xrechnung_of(final)
    assert check_xsd(xml, "ubl")
    assert errors(xml, "ubl") == []
    root = etree.fromstring(xml)
    assert root.findtext("{*}CustomizationID").endswith("xrechnung_3.0")
    assert root.findtext("{*}BuyerReference") == LEITWEG_ID
    cii = etree.fromstring(attached_xml(archived(final)))
    assert root.findtext(".//{*}LegalMonetaryTotal/{*}PayableAmount") == cii.findtext(f".//{{{RAM}}}DuePayableAmount")


def test_a_credit_note_to_a_business_payer_is_an_xrechnung_credit_note(final_invoice):
    _deposit, final = final_invoice
    fee = next(line for line in final.lines if line.kind == "fee")
    note = credit(final, {fee.id: "100.00"})
    xml = e_invoices.xrechnung_of(note)
    assert check_xsd(xml, "ubl", credit_note=True)
    assert errors(xml, "ubl") == []
    assert etree.fromstring(xml).findtext(".//{*}BillingReference/{*}InvoiceDocumentReference/{*}ID") == final.number


def test_an_invoice_to_a_patient_has_no_xrechnung(final_invoice):
    deposit, _final = final_invoice
    with pytest.raises(InvoiceError, match="has no buyer reference"):
        e_invoices.xrechnung_of(deposit)


def test_an_invoice_without_the_payers_country_is_not_issued(case):
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    draft.bill_to_country = ""
    db.session.commit()
    with pytest.raises(InvoiceError, match="payer's country code"):
        issue(draft.id)


def test_an_old_invoice_without_the_sellers_address_parts_still_gives_an_xml(final_invoice):
    _deposit, final = final_invoice
    issuer = {key: value for key, value in final.issuer.items() if key not in ("street", "postcode", "city", "country")}
    db.session.expunge(final)
    final.issuer = issuer
    document = e_invoices.document_of(final)
    assert document.seller.country == "DE" and "Mainzer Landstraße 50" in document.seller.street


def in_memory_invoice(*categories: str):
    """An issued final invoice built in memory (no rows): one line per VAT category, the issuer as frozen today."""
    invoice = Invoice(
        kind="final",
        number="INV-2026-00042",
        status="issued",
        currency="EUR",
        base_currency="EUR",
        bill_to_name="Amira Haddad",
        bill_to_address="Villa 12, Al Wasl Road\nDubai",
        bill_to_country="AE",
        service_from=date(2026, 11, 1),
        service_to=date(2026, 11, 20),
        issue_date=date(2026, 11, 24),
        due_on=date(2026, 12, 8),
        issuer=issuer_details(),
        note="",
    )
    invoice.lines = []
    for position, category in enumerate(categories, start=1):
        treatment = vat.treatment_of(category, vat.DEFAULT_EXEMPTION_NOTE)
        line = InvoiceLine(
            position=position,
            kind="other",
            description=f"Service {position} ({category})",
            quantity=Decimal(2),
            unit_price=Decimal("100.005"),
            vat_rate=treatment.rate,
            vat_category=treatment.category,
            vat_note=treatment.note,
        )
        set_amounts(line, "EUR")
        invoice.lines.append(line)
    apply_vat(invoice.lines, "EUR")
    invoice.deductions = []
    return invoice


def test_exempt_treatment_and_the_margin_scheme_share_one_exempt_breakdown_with_both_reasons(app):
    invoice = in_memory_invoice("exempt", "margin_scheme", "zero", "reduced", "standard")
    xml = write_cii(e_invoices.document_of(invoice))
    assert_valid(xml)
    root = etree.fromstring(xml)
    codes = [
        tax.findtext(f"{{{RAM}}}CategoryCode")
        for tax in root.iterfind(f".//{{{RAM}}}ApplicableHeaderTradeSettlement/{{{RAM}}}ApplicableTradeTax")
    ]
    assert codes == ["Z", "E", "S", "S"]  # untaxed first; exempt and margin scheme are one E
    assert "Sonderregelung für Reisebüros" in xml.decode() and "steuerfrei" in xml.decode()


def test_an_arabic_factur_x_still_shapes_its_arabic_and_draws_every_glyph(case):
    """The patient prefers Arabic: the PDF/A-3b with its XML attached keeps the shaped Arabic text and fonts."""
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="1000.00")
    db.session.commit()
    pdf = archived(issue(draft.id))
    attached_xml(pdf)
    assert_text_comes_back(pdf_text(pdf), "فاتورة دفعة مقدمة", shaped=True)
    assert missing_glyphs(pdf) == []
