"""Reading e-invoices: UBL, CII and the ZUGFeRD PDF of the same bill give the same document, told apart by content;
untrusted XML never reads a file, calls the network or expands entities; what is no invoice is refused, saying why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from backoffice.einvoice import safe_xml
from backoffice.einvoice.document import EInvoiceError
from backoffice.einvoice.reading import is_einvoice, read_document, read_with_format
from tests.billing.einvoice_files import (
    BILLION_LAUGHS,
    ORDER,
    SAMPLES,
    XXE,
    CiiLine,
    cii_bill,
    pdf_with,
    pdf_without_xml,
)

FORMS = {"bill-ubl.xml": "ubl", "bill-cii.xml": "cii", "bill-zugferd.pdf": "facturx"}


@pytest.mark.parametrize(("name", "form"), FORMS.items())
def test_each_form_of_the_sample_is_detected_by_its_content_and_read(name, form):
    detected, document = read_with_format((SAMPLES / name).read_bytes())
    assert detected == form
    assert (document.number, document.issue_date, document.currency) == ("SCF-2026-0815", date(2026, 4, 11), "EUR")
    assert (document.seller.name, document.seller.vat_id) == ("Sample Clinic Frankfurt", "DE811234567")
    assert document.buyer.vat_id == "DE298765432"
    assert (document.line_total, document.delivery_date, document.period_start) == (
        Decimal("661710.20"),
        date(2026, 3, 2),
        date(2026, 3, 2),
    )
    assert len(document.lines) == 71
    first = document.lines[0]
    assert (first.line_id, first.seller_item_id, first.quantity, first.net_price, first.net_amount) == (
        "1",
        "T00188",
        Decimal("2"),
        Decimal("6077.51"),
        Decimal("12155.02"),
    )
    assert (first.period_start, first.vat_category, first.unit_code) == (date(2026, 3, 29), "E", "C62")
    assert document.vat_breakdown[0].exemption_reason == "Steuerfrei nach § 4 Nr. 14 UStG"


def test_ubl_cii_and_pdf_give_the_same_lines():
    lines = [read_document((SAMPLES / name).read_bytes()).lines for name in FORMS]
    assert lines[0] == lines[1] == lines[2]


def test_line_allowances_charges_and_base_quantity_are_read_per_line():
    data = cii_bill(
        [
            CiiLine("1", "A", "2", "1000", "19.00", base_quantity="100", allowance="1.50", charge="0.50"),
            CiiLine("2", "B", "1", "5.00", "5.00"),
        ]
    )
    first, second = read_document(data).lines
    assert (first.base_quantity, first.allowances, first.charges) == (Decimal("100"), Decimal("1.50"), Decimal("0.50"))
    assert (second.base_quantity, second.allowances, second.charges) == (None, 0, 0)


def test_a_credit_note_is_read_as_one():
    assert read_document(cii_bill([CiiLine("1", "A", "1", "5.00", "5.00")], type_code="381")).is_credit_note


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (XXE, "DOCTYPE"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (b'<?xml version="1.0"?><!DOCTYPE Invoice SYSTEM "http://example.invalid/x.dtd"><Invoice/>', "DOCTYPE"),
        (b"<a>" * 300 + b"</a>" * 300, "malformed"),  # deeper than libxml2's 256 levels
        (ORDER, "“Order”, not an invoice or credit note"),
        (b"<html><body><p>hello</p></body></html>", "“html”, not an invoice"),
        ((SAMPLES / "bill-cii.xml").read_bytes()[:3000], "malformed or cut short"),
        ("<?xml version='1.0' encoding='UTF-16'?><Invoice/>".encode("utf-16"), "UTF-16"),
        (pdf_without_xml(), "no embedded e-invoice XML"),
        (pdf_with("factur-x.xml", ORDER), "not an invoice or credit note"),
        (pdf_with("factur-x.xml", (SAMPLES / "bill-ubl.xml").read_bytes()), "not a CII invoice"),
        (pdf_with("factur-x.xml", XXE), "DOCTYPE"),
        (b"%PDF-1.7\n garbage", "cannot be read"),
        (b"code,date\n1,2\n", "neither XML nor PDF"),
    ],
)
def test_what_is_no_safe_invoice_is_refused_saying_why(data, words):
    with pytest.raises(EInvoiceError) as refused:
        read_document(data)
    assert words in refused.value.message


def test_an_entity_is_never_expanded_even_if_the_doctype_check_were_passed():
    tree = etree.fromstring(XXE, safe_xml._parser())
    assert "root:" not in etree.tostring(tree).decode()


def test_a_file_above_the_limit_is_refused_before_it_is_parsed():
    with pytest.raises(EInvoiceError, match="larger than 1 MB"):
        read_document(b"<Invoice>" + b" " * (1024 * 1024) + b"</Invoice>", max_bytes=1024 * 1024)


def test_a_type_code_that_is_no_invoice_is_refused():
    with pytest.raises(EInvoiceError, match="BT-3"):
        read_document(cii_bill([CiiLine("1", "A", "1", "5.00", "5.00")], type_code="220"))


def test_a_number_that_is_no_number_names_the_term_and_line():
    with pytest.raises(EInvoiceError, match="BT-129 of line 7"):
        read_document(cii_bill([CiiLine("7", "A", "1,5", "5.00", "5.00")]))


def test_csv_is_not_taken_for_an_e_invoice():
    assert not is_einvoice(b"line,date,code\n")
    assert is_einvoice(b"\xef\xbb\xbf  <?xml version='1.0'?><x/>") and is_einvoice(b"%PDF-1.7")
