"""E-invoice files for the tests and the benchmark: generated CII bills, the sample bills spoiled in one way, and the
hostile XML and PDF a bill upload must refuse."""

from __future__ import annotations

import functools
import io
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pypdf import PdfWriter

SAMPLES = Path(__file__).parent / "samples"
HOSPITAL_VAT_ID = "DE811234567"


@dataclass(frozen=True)
class CiiLine:
    line_id: str
    code: str
    quantity: str
    price: str
    net_amount: str
    day: str = "20260329"  # format 102
    base_quantity: str | None = None
    allowance: str | None = None
    charge: str | None = None


def _allowance_charge(indicator: str, value: str) -> str:
    return (
        "<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>"
        f"{indicator}</udt:Indicator></ram:ChargeIndicator><ram:ActualAmount>{value}</ram:ActualAmount>"
        "</ram:SpecifiedTradeAllowanceCharge>"
    )


def cii_line(line: CiiLine) -> str:
    base = f'<ram:BasisQuantity unitCode="C62">{line.base_quantity}</ram:BasisQuantity>' if line.base_quantity else ""
    adjustments = (_allowance_charge("false", line.allowance) if line.allowance else "") + (
        _allowance_charge("true", line.charge) if line.charge else ""
    )
    return (
        "<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument>"
        f"<ram:LineID>{line.line_id}</ram:LineID></ram:AssociatedDocumentLineDocument>"
        f"<ram:SpecifiedTradeProduct><ram:SellerAssignedID>{line.code}</ram:SellerAssignedID>"
        f"<ram:Name>item {line.code}</ram:Name></ram:SpecifiedTradeProduct>"
        "<ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>"
        f"<ram:ChargeAmount>{line.price}</ram:ChargeAmount>{base}</ram:NetPriceProductTradePrice>"
        "</ram:SpecifiedLineTradeAgreement><ram:SpecifiedLineTradeDelivery>"
        f'<ram:BilledQuantity unitCode="C62">{line.quantity}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>'
        "<ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>"
        "<ram:CategoryCode>E</ram:CategoryCode><ram:RateApplicablePercent>0</ram:RateApplicablePercent>"
        "</ram:ApplicableTradeTax><ram:BillingSpecifiedPeriod><ram:StartDateTime>"
        f'<udt:DateTimeString format="102">{line.day}</udt:DateTimeString></ram:StartDateTime>'
        "</ram:BillingSpecifiedPeriod>"
        f"{adjustments}<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{line.net_amount}"
        "</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>"
        "</ram:IncludedSupplyChainTradeLineItem>\n"
    )


def cii_bill(
    lines: list[CiiLine],
    *,
    number: str = "GEN-2026-1",
    vat_id: str = HOSPITAL_VAT_ID,
    type_code: str = "380",
    line_total: str | None = None,
) -> bytes:
    """A CII invoice of these lines from the sample clinic; its sum of line net amounts is theirs unless given."""
    total = line_total or f"{sum((Decimal(line.net_amount) for line in lines), Decimal(0)):f}"
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rsm:CrossIndustryInvoice '
        'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
        'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
        'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">'
        "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
        "<ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>"
        "</rsm:ExchangedDocumentContext>"
        f"<rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>"
        '<ram:IssueDateTime><udt:DateTimeString format="102">20260411</udt:DateTimeString></ram:IssueDateTime>'
        "</rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction>\n"
    )
    tail = (
        "<ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>Sample Clinic Frankfurt</ram:Name>"
        f'<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{vat_id}</ram:ID></ram:SpecifiedTaxRegistration>'
        "</ram:SellerTradeParty><ram:BuyerTradeParty><ram:Name>Medical Travel Operator GmbH</ram:Name>"
        "</ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement><ram:ApplicableHeaderTradeDelivery/>"
        "<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>"
        f"<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>{total}</ram:LineTotalAmount>"
        f"<ram:TaxBasisTotalAmount>{total}</ram:TaxBasisTotalAmount>"
        '<ram:TaxTotalAmount currencyID="EUR">0.00</ram:TaxTotalAmount>'
        f"<ram:GrandTotalAmount>{total}</ram:GrandTotalAmount><ram:DuePayableAmount>{total}</ram:DuePayableAmount>"
        "</ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement>"
        "</rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>\n"
    )
    return (head + "".join(cii_line(line) for line in lines) + tail).encode()


def pdf_without_xml() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with(name: str, xml: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment(name, xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">'
    b"&xxe;</rsm:CrossIndustryInvoice>"
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'.encode() for n in range(1, 10)
    )
    + b']>\n<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>'
)
ORDER = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2" '
    b'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>PO-1</cbc:ID></Order>'
)


@functools.cache
def hostile_files() -> dict[str, tuple[bytes, str]]:
    """name -> (content, a part of the message that refuses it)."""
    cii = (SAMPLES / "bill-cii.xml").read_bytes()
    return {
        "xxe": (XXE, "DOCTYPE"),
        "billion-laughs": (BILLION_LAUGHS, "DOCTYPE"),
        "truncated": (cii[: len(cii) // 2], "malformed or cut short"),
        "order": (ORDER, "not an invoice or credit note"),
        "pdf-without-xml": (pdf_without_xml(), "no embedded e-invoice XML"),
        "pdf-bomb": (pdf_bomb(), "too large to be an invoice"),
        "truncated-pdf": ((SAMPLES / "bill-zugferd.pdf").read_bytes()[:2000], "PDF"),
        "not-xml": (b"<html><body>an invoice?</p></html>", "malformed or cut short"),
        "order-type-code": (
            cii.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>220</ram:TypeCode>"),
            "BT-3",
        ),
        "not-a-bill-at-all": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "NUL"),
    }


def pdf_bomb(size: int = 80 * 1024 * 1024) -> bytes:
    """A small PDF whose embedded factur-x.xml inflates to `size` bytes (a decompression bomb)."""
    packer = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    stream = packer.compress(b"<") + b"".join(packer.compress(chunk) for _ in range(size // len(chunk)))
    stream += packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(factur-x.xml) 4 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
        b"<< /Type /Filespec /F (factur-x.xml) /EF << /F 5 0 R >> >>",
        b"<< /Type /EmbeddedFile /Filter /FlateDecode /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
