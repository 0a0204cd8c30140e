"""Writing e-invoices: a `Document` as CII (Factur-X EN 16931) and as UBL (XRechnung 3.0) passes the official schema
and the EN 16931 business rules (fatal and error asserts), for each kind the operator issues."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from backoffice.einvoice.document import Document, Line, Party, VatBreakdown
from backoffice.einvoice.write_cii import write_cii
from backoffice.einvoice.write_ubl import XRECHNUNG, write_ubl
from tests.einvoice.en16931_rules import check_xsd, errors

pytestmark = pytest.mark.database_independent

D = Decimal
SELLER = Party(
    name="MedTravel Coordination GmbH",
    vat_id="DE123456789",
    street="Mainzer Landstraße 50",
    postcode="60325",
    city="Frankfurt am Main",
    country="DE",
    email="care@medtravel.example",
    phone="+49 69 1234 5670",
)
BUYER = Party(name="Gulf Health Insurance", street="Al Wasl Road 12", city="Dubai", country="AE", vat_id="")
EXEMPTION = "Heilbehandlung: steuerfrei nach § 4 Nr. 14 UStG."


def line(n, name, quantity, price, net, code, rate):
    return Line(
        line_id=str(n),
        name=name,
        quantity=D(quantity),
        unit_code="C62",
        net_price=D(price),
        net_amount=D(net),
        vat_category=code,
        vat_rate=D(rate),
        period_start=date(2026, 11, 3),
        period_end=date(2026, 11, 3),
    )


def final_document(**changes) -> Document:
    """Exempt treatment, a hotel at 7 %, the fee at 19 %, a deposit of 5,000 paid."""
    values = {
        "syntax": "cii",
        "type_code": "380",
        "number": "INV-2026-00007",
        "issue_date": date(2026, 11, 24),
        "currency": "EUR",
        "seller": SELLER,
        "buyer": BUYER,
        "lines": (
            line(1, "Stem cell therapy", "1", "17650.00", "17650.00", "E", "0"),
            line(2, "Hotel, 3 nights", "3", "120.555", "361.67", "S", "7"),
            line(3, "Coordination fee", "1", "1500.00", "1500.00", "S", "19"),
        ),
        "vat_breakdown": (
            VatBreakdown("E", D(0), D("17650.00"), D("0.00"), EXEMPTION, "VATEX-EU-132"),
            VatBreakdown("S", D(7), D("361.67"), D("25.32")),
            VatBreakdown("S", D(19), D("1500.00"), D("285.00")),
        ),
        "line_total": D("19511.67"),
        "tax_exclusive_total": D("19511.67"),
        "tax_total": D("310.32"),
        "grand_total": D("19821.99"),
        "prepaid": D("5000.00"),
        "payable": D("14821.99"),
        "due_date": date(2026, 12, 8),
        "buyer_reference": "04011000-12345-67",
        "period_start": date(2026, 11, 1),
        "period_end": date(2026, 11, 20),
        "payment_terms": "Zahlbar innerhalb von 14 Tagen netto ab Rechnungsdatum.",
        "payment_means_code": "58",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "notes": ("Abzüglich geleisteter Anzahlungen: INV-2026-00003 5000.00 EUR",),
    }
    values.update(changes)
    return Document(**values)


def deposit_document() -> Document:
    return final_document(
        type_code="386",
        number="INV-2026-00003",
        lines=(line(1, "Deposit", "1", "5000", "5000.00", "E", "0"),),
        vat_breakdown=(VatBreakdown("E", D(0), D("5000.00"), D("0.00"), EXEMPTION, "VATEX-EU-132"),),
        line_total=D("5000.00"),
        tax_exclusive_total=D("5000.00"),
        tax_total=D("0.00"),
        grand_total=D("5000.00"),
        prepaid=D(0),
        payable=D("5000.00"),
        notes=(),
    )


def credit_note_document() -> Document:
    return final_document(
        type_code="381",
        number="CN-2026-00001",
        issue_date=date(2026, 12, 1),
        lines=(line(1, "Credit: Coordination fee", "1", "1500.00", "1500.00", "S", "19"),),
        vat_breakdown=(VatBreakdown("S", D(19), D("1500.00"), D("285.00")),),
        line_total=D("1500.00"),
        tax_exclusive_total=D("1500.00"),
        tax_total=D("285.00"),
        grand_total=D("1785.00"),
        prepaid=D(0),
        payable=D("1785.00"),
        due_date=None,
        payment_terms="",
        preceding_invoice="INV-2026-00007",
        notes=("The coordination fee was charged twice.",),
    )


def usd_document() -> Document:
    return final_document(
        currency="USD",
        tax_currency="EUR",
        tax_total_in_tax_currency=D("264.55"),
        prepaid=D(0),
        payable=D("19821.99"),
        notes=("Wechselkurs: 1 EUR = 1.173000 USD (2026-11-20)",),
    )


KINDS = {
    "deposit invoice": deposit_document,
    "final invoice": final_document,
    "credit note": credit_note_document,
    "USD invoice": usd_document,
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_as_cii_passes_the_factur_x_schema_and_the_en16931_rules(kind):
    xml = write_cii(KINDS[kind]())
    assert check_xsd(xml, "cii")
    assert errors(xml, "cii") == []


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_as_xrechnung_passes_the_ubl_schema_and_the_en16931_rules(kind):
    document = KINDS[kind]()
    xml = write_ubl(document)
    assert check_xsd(xml, "ubl", credit_note=document.is_credit_note)
    assert errors(xml, "ubl") == []
    root = etree.fromstring(xml)
    assert root.findtext("{*}CustomizationID") == XRECHNUNG
    assert root.findtext("{*}BuyerReference") == "04011000-12345-67"
