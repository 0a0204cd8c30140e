"""Receiving a supplier's e-invoice for a case: read by content, checked against the bookings, the original kept."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from string import Template

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.suppliers.models import SupplierFinding, SupplierInvoice
from backoffice.suppliers.receiving import get_supplier_invoice
from tests.factories import make_case
from tests.helpers import page_text as text
from tests.logistics.factories import local, make_hotel, make_transfer

# A hotel's CII invoice in the form of the sample bills, with $-placeholders.
TEMPLATE = Template((Path(__file__).parent / "hotel-invoice-cii.xml").read_text(encoding="utf-8"))


def _day(value: date) -> str:
    return f'<udt:DateTimeString format="102">{value:%Y%m%d}</udt:DateTimeString>'


def hotel_cii(number="VK-2026-311", *, nights=7, net="960.00", start=date(2026, 3, 12), end=date(2026, 3, 19)) -> bytes:
    """A hotel's CII invoice: one line of nights at the reduced rate, in the form the sample bills have."""
    tax = (Decimal(net) * Decimal("0.07")).quantize(Decimal("0.01"))
    gross = Decimal(net) + tax
    values = {
        "number": number,
        "start_day": _day(start),
        "end_day": _day(end),
        "price": f"{Decimal(net) / nights:.2f}",
        "nights": nights,
        "net": net,
        "tax": tax,
        "gross": gross,
    }
    return TEMPLATE.substitute(values).encode()


@pytest.fixture
def stay_case(app):
    case = make_case(state="travel_booked")
    stay = make_hotel(
        case,
        check_in_on=date(2026, 3, 12),
        check_out_on=date(2026, 3, 19),
        hotel_name="Hotel Villa Kennedy",
        cost_amount=Decimal("1027.20"),
        cost_currency="EUR",
    )
    make_transfer(case, pickup_at=local(date(2026, 3, 12), 9), cost_amount=Decimal("85.00"), cost_currency="EUR")
    db.session.commit()
    return case, stay


def upload(client, case, data: bytes, *, kind="hotel", name="invoice.xml"):
    return client.post(
        f"/cases/{case.id}/supplier-invoices/new",
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(SupplierInvoice))


def test_a_hotel_invoice_matching_the_stay_is_received_without_findings(as_role, stay_case):
    case, stay = stay_case
    client = as_role("finance")
    response = upload(client, case, hotel_cii())
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Invoice VK-2026-311 received: 0 differences from the bookings." in page
    assert "The invoice matches the bookings." in page
    invoice = get_supplier_invoice(db.session.scalar(select(SupplierInvoice.id)))
    assert (invoice.total, invoice.original_format, invoice.lines[0].booking_id) == (
        Decimal("1027.20"),
        "cii",
        stay.id,
    )


def test_an_extra_night_at_a_higher_price_is_listed_as_findings(as_role, stay_case):
    case, _ = stay_case
    client = as_role("finance")
    response = upload(client, case, hotel_cii(nights=8, net="1097.14", end=date(2026, 3, 20)))
    page = text(client.get(response.headers["Location"]))
    assert "3 differences from the bookings" in page
    for shown in ("Dates differ from the booking", "Nights differ from the booking", "€146.74"):
        assert shown in page, shown
    kinds = db.session.scalars(select(SupplierFinding.kind).order_by(SupplierFinding.position)).all()
    assert kinds == ["dates_differ", "nights_differ", "price_differs"]


def test_the_original_downloads_byte_for_byte(as_role, stay_case):
    case, _ = stay_case
    client = as_role("finance")
    data = hotel_cii()
    upload(client, case, data)
    invoice = db.session.scalar(select(SupplierInvoice))
    assert client.get(f"/supplier-invoices/{invoice.id}/original").data == data
    assert as_role("coordinator").get(f"/supplier-invoices/{invoice.id}/original").data == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"line,date,code\n1,2026-03-12,X\n", "neither XML nor PDF"),
        (hotel_cii()[:400], "Nothing was stored"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "Nothing was stored",
        ),
        (b"", "Choose the supplier's e-invoice"),
    ],
)
def test_a_file_that_is_no_e_invoice_is_refused_whole(as_role, stay_case, data, message):
    case, _ = stay_case
    response = (
        upload(as_role("finance"), case, data)
        if data
        else as_role("finance").post(f"/cases/{case.id}/supplier-invoices/new", data={"kind": "hotel"})
    )
    assert response.status_code == 422 and message in text(response)
    assert stored() == 0


def test_the_same_invoice_of_the_same_hotel_is_received_once(as_role, stay_case):
    case, _ = stay_case
    client = as_role("finance")
    upload(client, case, hotel_cii())
    again = upload(client, case, hotel_cii())
    assert again.status_code == 409 and "already received" in text(again)
    assert stored() == 1


def test_a_dispute_needs_its_reason_and_is_recorded(as_role, stay_case):
    case, _ = stay_case
    client = as_role("finance")
    upload(client, case, hotel_cii(nights=8, net="1097.14", end=date(2026, 3, 20)))
    invoice = db.session.scalar(select(SupplierInvoice))
    refused = client.post(
        f"/supplier-invoices/{invoice.id}/decision", data={"version": invoice.version, "decision": "disputed"}
    )
    assert refused.status_code == 422 and "Say what is disputed" in text(refused)
    done = client.post(
        f"/supplier-invoices/{invoice.id}/decision",
        data={"version": invoice.version, "decision": "disputed", "note": "We booked 7 nights."},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert (invoice.status, invoice.decision_note) == ("disputed", "We booked 7 nights.")


def test_the_case_page_lists_the_supplier_invoices(as_role, stay_case):
    case, _ = stay_case
    client = as_role("finance")
    upload(client, case, hotel_cii())
    page = text(client.get(f"/cases/{case.id}"))
    assert "Supplier invoices" in page and "VK-2026-311" in page and "Hotel Villa Kennedy" in page
