"""The demo's e-invoices, made with the app's own e-invoice writers:

- the second stem-cell bill waits in instance/ beside its CSV as the hospital's ZUGFeRD PDF
  (`demo-bill-FRA-ABM.pdf`: a PDF/A-3b with its CII XML embedded), for finance to upload either;
- the hotel of Pablo's case invoices his stay after the treatment with one night more than was booked: received as
  a supplier invoice, its differences from the booking are findings.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from backoffice.config import settings
from backoffice.directory.models import Hospital
from backoffice.einvoice.document import INVOICE, Document, Line, Party, VatBreakdown
from backoffice.einvoice.facturx_pdf import embed_cii
from backoffice.einvoice.write_cii import write_cii
from backoffice.extensions import db
from backoffice.logistics.models import HotelStay
from backoffice.money import round_half_up
from backoffice.pdf import render_pdf
from backoffice.suppliers.receiving import receive_supplier_invoice

HOTEL_VAT_ID = "DE129273398"
HOTEL_RATE = Decimal(7)


def _operator() -> Party:
    config = settings()
    return Party(
        name=config.operator_name,
        vat_id=config.operator_vat_id,
        street=config.operator_street,
        postcode=config.operator_postcode,
        city=config.operator_city,
        country=config.operator_country,
    )


def _document(number: str, issued: date, seller: Party, lines: list[Line], breakdown: list[VatBreakdown]) -> Document:
    net = sum((line.net_amount for line in lines), Decimal("0.00"))
    tax = sum((part.tax for part in breakdown), Decimal("0.00"))
    return Document(
        syntax="cii",
        type_code=INVOICE,
        number=number,
        issue_date=issued,
        currency="EUR",
        seller=seller,
        buyer=_operator(),
        lines=tuple(lines),
        vat_breakdown=tuple(breakdown),
        line_total=net,
        tax_exclusive_total=net,
        tax_total=tax,
        grand_total=net + tax,
        payable=net + tax,
        due_date=issued + timedelta(days=30),
        delivery_date=min((line.period_start for line in lines if line.period_start), default=issued),
        payment_terms="Zahlbar innerhalb von 30 Tagen",
        payment_means_code="58",
        iban="DE02120300000000202051",
    )


def zugferd_bill(csv_bytes: bytes, hospital: Hospital, reference: str, issued: date) -> bytes:
    """The hospital's bill of `csv_bytes` (the demo's bill CSV) as its ZUGFeRD PDF: the same lines, treatment
    exempt under section 4 no. 14 UStG, the hospital as seller with its VAT ID."""
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode())))
    lines = []
    for row in rows:
        quantity, price = Decimal(row["quantity"]), Decimal(row["unit_price"])
        day = date.fromisoformat(row["date"])
        lines.append(
            Line(
                line_id=row["line"],
                name=row["description"],
                quantity=quantity,
                unit_code="C62",
                net_price=price,
                net_amount=round_half_up(quantity * price, 2),
                vat_category="E",
                vat_rate=Decimal(0),
                seller_item_id=row["code"],
                period_start=day,
                period_end=day,
            )
        )
    net = sum((line.net_amount for line in lines), Decimal("0.00"))
    exempt = VatBreakdown("E", Decimal(0), net, Decimal("0.00"), "Steuerfrei nach § 4 Nr. 14 UStG", "VATEX-EU-132")
    seller = Party(
        name=hospital.name,
        vat_id=hospital.vat_id,
        street=hospital.address.split(",")[0],
        postcode="60596",
        city=hospital.city,
        country="DE",
    )
    document = _document(reference, issued, seller, lines, [exempt])
    pdf = render_pdf("demo/e_invoice_bill.html", pdf_variant="pdf/a-3b", document=document)
    return embed_cii(pdf, write_cii(document), document, language="de")


def seed_hotel_invoice(case_id: int, actor_id: int | None) -> str:
    """The hotel's e-invoice for the case's last stay, one night longer than booked; received and checked. Returns
    a line for the seed's output ("" when the case has no priced stay)."""
    stay = db.session.scalars(
        select(HotelStay)
        .where(HotelStay.case_id == case_id, HotelStay.status != "cancelled", HotelStay.cost_amount.is_not(None))
        .order_by(HotelStay.check_in_on.desc())
    ).first()
    if stay is None:
        return ""
    nights = (stay.check_out_on - stay.check_in_on).days + 1
    night_net = round_half_up(stay.cost_amount / (stay.check_out_on - stay.check_in_on).days / Decimal("1.07"), 2)
    net = night_net * nights
    line = Line(
        line_id="1",
        name=f"Übernachtung {stay.room_type or 'Doppelzimmer'}",
        quantity=Decimal(nights),
        unit_code="DAY",
        net_price=night_net,
        net_amount=net,
        vat_category="S",
        vat_rate=HOTEL_RATE,
        period_start=stay.check_in_on,
        period_end=stay.check_out_on + timedelta(days=1),
    )
    tax = round_half_up(net * HOTEL_RATE / 100, 2)
    seller = Party(
        name=stay.hotel_name,
        vat_id=HOTEL_VAT_ID,
        street=stay.address[:100],
        city="Frankfurt am Main",
        postcode="60528",
        country="DE",
    )
    issued = stay.check_out_on + timedelta(days=2)
    number = f"R-{issued:%Y}-{stay.id:05d}"
    document = _document(number, issued, seller, [line], [VatBreakdown("S", HOTEL_RATE, net, tax)])
    invoice = receive_supplier_invoice(case_id, "hotel", write_cii(document), f"{number}.xml", actor_id)
    return (
        f"Supplier invoice {invoice.reference} of {invoice.seller_name} received on case {case_id}: "
        f"{len(invoice.findings)} difference(s) from the booking."
    )
