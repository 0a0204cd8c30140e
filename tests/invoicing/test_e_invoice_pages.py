"""E-invoices on the invoice pages: finance enters the payer's buyer reference (Leitweg-ID), VAT ID, postcode, city
and country on a draft, each checked with a message; the issued invoice says its PDF is a Factur-X and offers the
XRechnung of a business payer, whose download is kept in the audit trail and refused for a draft or a private
payer."""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.invoicing import deposits, invoices
from backoffice.trail import AuditEvent
from tests.einvoice.en16931_rules import check_xsd, errors
from tests.invoicing.factories import issue, text

LEITWEG_ID = "991-33333TEST-33"


def header_form(invoice, **fields) -> dict:
    return {
        "version": invoice.version,
        "bill_to_name": "Gulf Health Insurance",
        "bill_to_address": "Kaiserstraße 1\n60311 Frankfurt am Main",
        "service_from": "2026-10-19",
        "service_to": "2026-10-25",
        "note": "",
        "bill_to_reference": LEITWEG_ID,
        "bill_to_vat_id": "de 123 456 789",
        "bill_to_postcode": "60311",
        "bill_to_city": "Frankfurt am Main",
        "bill_to_country": "de",
        **fields,
    }


@pytest.fixture
def draft(case):
    invoice = deposits.create_deposit_draft(case.id, actor_id=None, amount="1000.00")
    db.session.commit()
    return invoice


def stored(invoice_id: int):
    db.session.expire_all()
    return invoices.get_invoice(invoice_id)


def test_finance_enters_the_business_payer_on_a_draft_and_downloads_its_xrechnung_once_issued(as_role, draft):
    client = as_role("finance")
    response = client.post(f"/invoices/{draft.id}/edit", data=header_form(draft))
    assert response.status_code == 302
    saved = stored(draft.id)
    assert (saved.bill_to_reference, saved.bill_to_vat_id, saved.bill_to_country) == (LEITWEG_ID, "DE123456789", "DE")
    assert (saved.bill_to_postcode, saved.bill_to_city) == ("60311", "Frankfurt am Main")
    invoice = issue(draft.id)
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert "Download PDF (Factur-X)" in page and "factur-x.xml" in page and "Download XRechnung" in page
    response = client.get(f"/invoices/{invoice.id}/xrechnung.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert f"{invoice.number}-xrechnung.xml" in response.headers["Content-Disposition"]
    assert check_xsd(response.data, "ubl") and errors(response.data, "ubl") == []
    assert etree.fromstring(response.data).findtext("{*}BuyerReference") == LEITWEG_ID
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.xrechnung_downloaded")).one()
    assert event.object_id == str(invoice.id) and event.actor_id is not None


def test_a_coordinator_may_download_the_xrechnung_as_the_pdf(as_role, draft):
    as_role("finance").post(f"/invoices/{draft.id}/edit", data=header_form(draft))
    invoice = issue(draft.id)
    client = as_role("coordinator")
    assert client.get(f"/invoices/{invoice.id}/xrechnung.xml").status_code == 200


def test_an_invoice_to_a_private_payer_offers_no_xrechnung_and_refuses_its_download(as_role, draft):
    invoice = issue(draft.id)
    client = as_role("finance")
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert "Download XRechnung" not in page and "No XRechnung: the invoice has no buyer reference." in page
    response = client.get(f"/invoices/{invoice.id}/xrechnung.xml")
    assert response.status_code == 409
    assert "has no buyer reference (Leitweg-ID)" in text(response)


def test_a_draft_has_no_xrechnung(as_role, draft):
    client = as_role("finance")
    client.post(f"/invoices/{draft.id}/edit", data=header_form(draft))
    response = client.get(f"/invoices/{draft.id}/xrechnung.xml")
    assert response.status_code == 409 and "A draft has no e-invoice: issue it first." in text(response)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bill_to_vat_id", "123456789", "is not a VAT ID: it starts with the country code"),
        ("bill_to_vat_id", "QQ123456789", "is not a VAT ID"),
        ("bill_to_country", "XX", "is not a two-letter country code"),
        ("bill_to_country", "DEU", "two letters, such as DE."),
        ("bill_to_reference", "x" * 61, "at most 60 characters"),
        ("bill_to_postcode", "1" * 21, "at most 20 characters"),
        ("bill_to_city", "", "needs its postcode, city and country code"),
    ],
)
def test_a_wrong_payer_detail_is_refused_with_a_message_and_nothing_is_stored(as_role, draft, field, value, message):
    client = as_role("finance")
    response = client.post(f"/invoices/{draft.id}/edit", data=header_form(draft, **{field: value}))
    assert 400 <= response.status_code < 500
    assert message in text(response)
    saved = stored(draft.id)
    assert saved.bill_to_reference == "" and saved.bill_to_name != "Gulf Health Insurance"


def test_control_characters_in_the_buyer_reference_are_dropped(as_role, draft):
    client = as_role("finance")
    client.post(f"/invoices/{draft.id}/edit", data=header_form(draft, bill_to_reference="991-33333\r\nTEST-33\x07"))
    assert stored(draft.id).bill_to_reference == "991-33333 TEST-33"


def test_a_form_without_the_payers_fields_keeps_them(as_role, draft):
    client = as_role("finance")
    client.post(f"/invoices/{draft.id}/edit", data=header_form(draft))
    current = stored(draft.id)
    form = {
        key: value
        for key, value in header_form(current).items()
        if not key.startswith("bill_to_") or key in ("bill_to_name", "bill_to_address")
    }
    assert client.post(f"/invoices/{draft.id}/edit", data=form).status_code == 302
    assert stored(draft.id).bill_to_reference == LEITWEG_ID and stored(draft.id).bill_to_country == "DE"
