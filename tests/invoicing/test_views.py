"""Invoice pages: finance drafts, issues, collects and corrects invoices; coordinators read them and download their
PDFs; patients reach none of it. An issued invoice is never changed through its pages, bad input gets a message and a
4xx with nothing stored, and the pages run a fixed number of SQL statements."""

from __future__ import annotations

import hashlib
import html
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.cases.operations import get_case
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing import accounts, credit_notes, deposits, drafts, invoices, issuing, listing, payments
from backoffice.invoicing.models import Invoice, InvoiceLine, InvoicePayment
from backoffice.numbering import NumberSeries
from backoffice.trail import AuditEvent
from tests.helpers import login_as
from tests.invoicing.factories import count, make_approved_bill, text

TODAY = datetime.now(ZoneInfo("Europe/Berlin")).date()  # the operator's day (OPERATOR_TIMEZONE), as the app dates


def fresh(invoice_id: int) -> Invoice:
    """The invoice as stored now (after the requests' own sessions changed it)."""
    db.session.expire_all()
    return invoices.get_invoice(invoice_id)


def newest_invoice() -> Invoice:
    db.session.expire_all()
    return db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()


def deposit_draft(case, amount="1000.00") -> Invoice:
    invoice = deposits.create_deposit_draft(case.id, actor_id=None, amount=amount)
    db.session.commit()
    return fresh(invoice.id)


def issued(invoice_id: int) -> Invoice:
    issuing.issue_invoice(invoice_id, actor_id=None)
    db.session.commit()
    return fresh(invoice_id)


def pay(invoice: Invoice, amount: str) -> None:
    payments.record_payment(
        invoice.id, actor_id=None, amount=amount, currency=invoice.currency, received_on=TODAY, method="card"
    )
    db.session.commit()


def payment_form(invoice: Invoice, amount: str, **fields) -> dict:
    return {
        "version": invoice.version,
        "received_on": TODAY.isoformat(),
        "amount": amount,
        "currency": invoice.currency,
        "method": "bank_transfer",
        "reference": "SEPA 4711",
        **fields,
    }


def line_form(invoice: Invoice, **fields) -> dict:
    return {
        "version": invoice.version,
        "kind": "other",
        "description": "Translation of medical records",
        "service_on": "2026-10-18",
        "quantity": "2",
        "unit_price": "80.00",
        "vat_category": "standard",
        **fields,
    }


def header_form(invoice: Invoice, **fields) -> dict:
    return {
        "version": invoice.version,
        "bill_to_name": "Amira Haddad",
        "bill_to_address": "Villa 12, Al Wasl Road\nDubai",
        "service_from": "2026-10-19",
        "service_to": "2026-10-25",
        "note": "",
        **fields,
    }


def second_client(app, user):
    """Another browser, signed in as `user` (the `as_role` client stays signed in as its first role)."""
    client = app.test_client()
    login_as(client, user)
    return client


# ---------------------------------------------------------------------------------------------- the finance walk


def test_finance_walks_a_case_from_deposit_to_final_invoice_and_credit_note(as_role, case):
    client = as_role("finance")
    page = text(client.get(f"/cases/{case.id}/invoices"))
    assert "New deposit invoice" in page and "€20,000.00" in page and "Approve the hospital bill first." in page

    response = client.post(f"/cases/{case.id}/invoices/deposit", data={"share_percent": "25"})
    assert response.status_code == 302
    deposit = newest_invoice()
    assert response.headers["Location"].endswith(f"/invoices/{deposit.id}")
    page = text(client.get(response.headers["Location"]))
    assert f"Draft deposit invoice #{deposit.id} made: check it, then issue it." in page
    assert "Deposit (25 % of the accepted offer)" in page and "€5,000.00" in page
    assert "Issuing gives it its number and makes it final." in page

    response = client.post(f"/invoices/{deposit.id}/issue", data={"version": deposit.version})
    assert response.status_code == 302
    deposit = fresh(deposit.id)
    number = f"INV-{deposit.issue_date.year}-00001"
    assert (deposit.number, deposit.status) == (number, "issued")
    page = text(client.get(f"/invoices/{deposit.id}"))
    assert f"Deposit invoice {number} issued; its PDF is archived." in page
    assert f'href="/invoices/{number}.pdf"' in page and "Record payment" in page
    assert 'name="bill_to_name"' not in page and "Add the line" not in page  # no edit forms once issued

    response = client.post(f"/invoices/{deposit.id}/payments", data=payment_form(deposit, "5000.00"))
    assert response.status_code == 302
    assert "Payment of €5,000.00 recorded." in text(client.get(response.headers["Location"]))
    assert fresh(deposit.id).status == "paid"

    make_approved_bill(case)
    db.session.commit()
    response = client.post(f"/cases/{case.id}/invoices/final", data={})
    assert response.status_code == 302
    final = newest_invoice()
    page = text(client.get(response.headers["Location"]))
    assert "SC-001 Leukocytapheresis" in page and "€3,900.00" in page  # the resident price, not the 4,200 charged
    assert number in page and "\u2212 €5,000.00" in page  # the deposit paid, deducted
    assert "Balance due" in page and "€2,671.50" in page

    response = client.post(f"/invoices/{final.id}/issue", data={"version": fresh(final.id).version})
    assert response.status_code == 302
    final = fresh(final.id)
    assert final.number == f"INV-{final.issue_date.year}-00002"
    assert (final.total, final.deductions_total) == (Decimal("7671.50"), Decimal("5000.00"))
    assert "Outstanding" in text(client.get(f"/invoices/{final.id}"))

    fee = next(line for line in final.lines if line.kind == "fee")
    page = text(client.get(f"/invoices/{final.id}/credit-note"))
    assert "Left to credit" in page and "€1,500.00" in page
    response = client.post(
        f"/invoices/{final.id}/credit-note", data={"line": str(fee.id), f"amount-{fee.id}": "", "reason": "Fee waived"}
    )
    assert response.status_code == 302
    note = newest_invoice()
    assert (note.kind, note.status, note.credited_invoice_id) == ("credit_note", "draft", final.id)
    page = text(client.get(response.headers["Location"]))
    assert "Credit: Coordination of treatment" in page and final.number in page and "Fee waived" in page

    response = client.post(f"/invoices/{note.id}/issue", data={"version": note.version})
    assert response.status_code == 302
    note = fresh(note.id)
    assert note.number == f"CN-{note.issue_date.year}-00001" and note.total == Decimal("1785.00")
    page = text(client.get(f"/invoices/{final.id}"))
    assert f'href="/invoices/{note.id}">{note.number}</a>' in page
    assert accounts.account_of(fresh(final.id)).outstanding == Decimal("886.50")
    assert "€886.50" in page

    page = text(client.get(f"/cases/{case.id}/invoices"))
    assert number in page and final.number in page and note.number in page
    assert "Invoicing currency" not in page.split('id="account"')[1].split("</section>")[1]  # fixed now


def test_a_final_draft_flashes_what_could_not_be_taken_over(as_role, case):
    make_approved_bill(case, currency="USD")
    db.session.commit()
    client = as_role("finance")
    response = client.post(f"/cases/{case.id}/invoices/final", data={})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert 'class="flash flash-warning">Not taken over: SC-001 Leukocytapheresis' in page
    assert "add it in EUR by hand" in page


def test_finance_adds_and_removes_lines_edits_and_deletes_a_draft(as_role, case):
    draft = deposit_draft(case)
    client = as_role("finance")
    page = text(client.get(f"/invoices/{draft.id}"))
    assert "As the VAT table says for this kind" in page and "Margin scheme for travel services" in page

    response = client.post(f"/invoices/{draft.id}/lines", data=line_form(draft))
    assert response.status_code == 302
    assert "Line 2 added: €160.00 net." in text(client.get(response.headers["Location"]))
    draft = fresh(draft.id)
    added = draft.lines[1]
    assert (added.net_amount, added.tax_amount, added.vat_category) == (Decimal("160.00"), Decimal("30.40"), "standard")

    response = client.post(
        f"/invoices/{draft.id}/edit", data=header_form(draft, bill_to_name="Amira K. Haddad", note="Thank you")
    )
    assert response.status_code == 302
    draft = fresh(draft.id)
    assert (draft.bill_to_name, draft.note, draft.service_to) == ("Amira K. Haddad", "Thank you", date(2026, 10, 25))

    response = client.post(f"/invoices/{draft.id}/lines/{added.id}/remove", data={"version": draft.version})
    assert response.status_code == 302
    assert [line.description for line in fresh(draft.id).lines] == [draft.lines[0].description]

    response = client.post(f"/invoices/{draft.id}/delete", data={"version": fresh(draft.id).version})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}/invoices")
    assert db.session.scalar(select(func.count()).where(Invoice.id == draft.id)) == 0
    assert "The draft was deleted (it never had a number)." in text(client.get(response.headers["Location"]))


def test_a_refund_due_after_a_credit_note_is_recorded_from_the_invoice_page(as_role, case):
    invoice = issued(deposit_draft(case).id)
    pay(invoice, "1000.00")
    line = fresh(invoice.id).lines[0]
    note = credit_notes.create_credit_note_draft(
        invoice.id, actor_id=None, reason="Lower deposit", amounts={line.id: "300"}
    )
    db.session.commit()
    issued(note.id)
    invoice = fresh(invoice.id)
    assert invoice.status == "refund_due"
    client = as_role("finance")
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert "Record refund" in page and "Record payment" not in page and "Refund due" in page
    response = client.post(f"/invoices/{invoice.id}/refunds", data=payment_form(invoice, "300.00"))
    assert response.status_code == 302
    assert "Refund of €300.00 recorded." in text(client.get(response.headers["Location"]))
    assert fresh(invoice.id).status == "paid"
    assert db.session.scalar(select(func.sum(InvoicePayment.amount))) == Decimal("700.00")


def test_a_foreign_currency_case_asks_for_the_exchange_rate(as_role, case):
    client = as_role("finance")
    response = client.post(f"/cases/{case.id}/invoicing-currency", data={"currency": "USD"})
    assert response.status_code == 302
    page = text(client.get(f"/cases/{case.id}/invoices"))
    assert "Case C-" in page and "is invoiced in USD." in page and "1 EUR = ? USD" in page
    response = client.post(f"/cases/{case.id}/invoices/deposit", data={"amount": "1000.00"})
    assert response.status_code == 422
    assert "This case is invoiced in USD: enter the exchange rate (1 EUR = ? USD)" in text(response)
    assert count(Invoice) == 0
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    response = client.post(
        f"/cases/{case.id}/invoices/deposit",
        data={"share_percent": "10", "exchange_rate": "1.0825", "exchange_rate_on": yesterday},
    )
    assert response.status_code == 302
    invoice = newest_invoice()
    assert (invoice.currency, invoice.exchange_rate, invoice.total) == ("USD", Decimal("1.0825"), None)
    assert fresh(invoice.id).lines[0].net_amount == Decimal("2165.00")  # 10 % of 20,000 EUR at 1.0825
    response = client.post(f"/cases/{case.id}/invoicing-currency", data={"currency": "EUR"})
    assert response.status_code == 422
    assert "already has invoices in USD" in text(response)
    db.session.expire_all()
    assert db.session.get(Case, case.id).invoicing_currency == "USD"


# ---------------------------------------------------------------------------------------------- who may do what


def test_coordinators_read_invoices_and_download_pdfs_but_every_change_is_403(app, as_role, case, users):
    invoice = issued(deposit_draft(case).id)
    draft = deposit_draft(case, "500.00")
    client = as_role("coordinator")
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert invoice.number in page and "Download PDF" in page
    assert "Record payment" not in page and "Credit note</a>" not in page
    page = text(client.get(f"/invoices/{draft.id}"))
    assert "Issue deposit invoice" not in page and "Add the line" not in page and "Delete draft" not in page
    page = text(client.get(f"/cases/{case.id}/invoices"))
    assert invoice.number in page and "New deposit invoice" not in page
    assert client.get(f"/invoices/{invoice.number}.pdf").status_code == 200
    assert client.get("/invoices").status_code == 403
    assert client.get(f"/invoices/{invoice.id}/credit-note").status_code == 403
    line = draft.lines[0]
    for address, data in [
        (f"/cases/{case.id}/invoices/deposit", {"amount": "100.00"}),
        (f"/cases/{case.id}/invoices/final", {}),
        (f"/cases/{case.id}/invoicing-currency", {"currency": "USD"}),
        (f"/invoices/{draft.id}/edit", header_form(draft)),
        (f"/invoices/{draft.id}/lines", line_form(draft)),
        (f"/invoices/{draft.id}/lines/{line.id}/remove", {"version": draft.version}),
        (f"/invoices/{draft.id}/issue", {"version": draft.version}),
        (f"/invoices/{draft.id}/delete", {"version": draft.version}),
        (f"/invoices/{invoice.id}/payments", payment_form(invoice, "100.00")),
        (f"/invoices/{invoice.id}/refunds", payment_form(invoice, "100.00")),
        (f"/invoices/{invoice.id}/credit-note", {"line": str(invoice.lines[0].id), "reason": "No"}),
    ]:
        assert client.post(address, data=data).status_code == 403, address
    assert (count(Invoice), count(InvoiceLine), count(InvoicePayment)) == (2, 2, 0)
    assert fresh(draft.id).status == "draft"


def test_patients_reach_no_invoice_page(as_role, case):
    invoice = issued(deposit_draft(case).id)
    client = as_role("patient")
    for address in [
        "/invoices",
        f"/invoices/{invoice.id}",
        f"/cases/{case.id}/invoices",
        f"/invoices/{invoice.number}.pdf",
        f"/invoices/{invoice.id}/credit-note",
    ]:
        assert client.get(address).status_code == 403, address
    assert client.post(f"/invoices/{invoice.id}/payments", data=payment_form(invoice, "100.00")).status_code == 403
    assert client.post(f"/cases/{case.id}/invoices/deposit", data={"amount": "100.00"}).status_code == 403
    assert (count(Invoice), count(InvoicePayment)) == (1, 0)


def test_signed_out_visitors_are_sent_to_the_login_page(client, case):
    response = client.get(f"/cases/{case.id}/invoices")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---------------------------------------------------------------------------------------------- the PDF


def test_staff_download_the_archived_pdf_exactly_as_issued(app, as_role, case):
    invoice = issued(deposit_draft(case).id)
    response = as_role("finance").get(f"/invoices/{invoice.number}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert hashlib.sha256(response.data).hexdigest() == invoice.pdf_sha256
    assert response.data.startswith(b"%PDF")
    from backoffice.trail import AuditEvent

    downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.downloaded")).all()
    assert [event.details["number"] for event in downloads] == [invoice.number]


def test_drafts_and_unknown_numbers_have_no_pdf(as_role, case):
    draft = deposit_draft(case)
    client = as_role("finance")
    assert client.get(f"/invoices/INV-{TODAY.year}-00001.pdf").status_code == 404
    assert client.get(f"/invoices/{draft.id}.pdf").status_code == 404
    assert client.get("/invoices/" + "X" * 30 + ".pdf").status_code == 404
    assert client.get("/invoices/..%2Fsecret.pdf").status_code == 404


def test_an_altered_archived_pdf_is_not_served(app, as_role, case):
    invoice = issued(deposit_draft(case).id)
    path = settings(app).invoice_archive / invoice.pdf_filename
    path.write_bytes(path.read_bytes() + b"%tampered")
    response = as_role("finance").get(f"/invoices/{invoice.number}.pdf")
    assert response.status_code == 503
    assert "differs from the one given out" in text(response)


# ---------------------------------------------------------------------------------------------- issued is final


def test_an_issued_invoice_is_not_changed_through_its_edit_routes_and_each_attempt_is_logged(as_role, case, users):
    invoice = issued(deposit_draft(case).id)
    line = invoice.lines[0]
    client = as_role("finance")
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert "Delete draft" not in page and "Remove</button>" not in page
    attempts = [
        (f"/invoices/{invoice.id}/edit", header_form(invoice, bill_to_name="Someone else"), "edit"),
        (f"/invoices/{invoice.id}/lines", line_form(invoice), "add line"),
        (f"/invoices/{invoice.id}/lines/{line.id}/remove", {"version": invoice.version}, "remove line"),
        (f"/invoices/{invoice.id}/delete", {"version": invoice.version}, "delete"),
        (f"/invoices/{invoice.id}/edit", {"bill_to_name": "x" * 500}, "edit"),  # unreadable too: refused as issued
    ]
    refusal = f"{invoice.label} is issued and can never be changed or deleted. To correct it, issue a credit note."
    for address, data, _ in attempts:
        response = client.post(address, data=data)
        assert response.status_code == 409, address
        assert refusal in text(response)
    refused = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "invoice.change_refused").order_by(AuditEvent.id)
    ).all()
    assert [event.details["attempted"] for event in refused] == [attempted for _, _, attempted in attempts]
    assert {(event.actor_id, event.object_id) for event in refused} == {(users["finance"].id, str(invoice.id))}
    stored = fresh(invoice.id)
    assert (stored.bill_to_name, len(stored.lines), stored.status) == ("Amira Haddad", 1, "issued")


def test_issuing_twice_from_the_same_page_gives_one_number(as_role, case):
    draft = deposit_draft(case)
    client = as_role("finance")
    first = client.post(f"/invoices/{draft.id}/issue", data={"version": draft.version})
    assert first.status_code == 302
    second = client.post(f"/invoices/{draft.id}/issue", data={"version": draft.version})
    assert second.status_code == 409
    number = fresh(draft.id).number
    assert f"This draft was issued already as {number}; nothing was issued twice." in text(second)
    assert db.session.scalar(select(NumberSeries.last_number).where(NumberSeries.series == "INV")) == 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "invoice.issued")) == 1


def test_the_same_payment_posted_twice_from_one_page_is_recorded_once(as_role, case):
    invoice = issued(deposit_draft(case).id)
    pay(invoice, "100.00")  # partially paid: another payment leaves the status as it is
    invoice = fresh(invoice.id)
    client = as_role("finance")
    data = payment_form(invoice, "100.00")
    assert client.post(f"/invoices/{invoice.id}/payments", data=data).status_code == 302
    assert client.post(f"/invoices/{invoice.id}/payments", data=data).status_code == 409
    assert count(InvoicePayment) == 2


def test_a_change_from_an_outdated_page_is_refused_with_409(as_role, case):
    draft = deposit_draft(case)
    seen = draft.version
    client = as_role("finance")
    assert client.post(f"/invoices/{draft.id}/lines", data=line_form(draft)).status_code == 302
    response = client.post(f"/invoices/{draft.id}/issue", data={"version": seen})
    assert response.status_code == 409
    assert "was changed by someone else meanwhile" in text(response)
    assert fresh(draft.id).status == "draft"
    assert db.session.scalar(select(func.count()).where(NumberSeries.series == "INV")) == 0


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "twelve"}, "The deposit amount: 'twelve' is not an amount"),
        ({"amount": "12.345"}, "The deposit amount has at most 2 decimal places."),
        ({"share_percent": "-5"}, "The share of the accepted offer must be more than 0."),
        ({"share_percent": "120"}, "A deposit is at most 100 % of the accepted offer."),
        ({"amount": "100", "share_percent": "10"}, "Enter either the deposit's amount or its share"),
        ({"amount": "1" * 40}, "Amount: at most 30 characters."),
        ({"amount": "30000.00"}, "above the accepted offer"),
    ],
)
def test_a_bad_deposit_is_refused_with_a_message_and_nothing_stored(as_role, case, data, message):
    response = as_role("finance").post(f"/cases/{case.id}/invoices/deposit", data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert count(Invoice) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"description": "x" * 10_000}, "Description: at most 300 characters."),
        ({"description": ""}, "Describe the line (at most 300 characters)."),
        ({"unit_price": "80,00"}, "The unit price: '80,00' is not an amount"),
        ({"unit_price": "-80"}, "A unit price cannot be negative"),
        ({"quantity": "0"}, "The quantity must be more than 0."),
        ({"service_on": "2026-02-30"}, "Service date: '2026-02-30' is not a date; write a real calendar day"),
        ({"kind": "deposit"}, "Choose what kind of line this is."),
        ({"vat_category": "sometimes"}, "Choose one of the VAT categories."),
        ({"version": ""}, "The form is out of date: reload the page."),
    ],
)
def test_a_bad_line_is_refused_with_a_message_and_nothing_stored(as_role, case, fields, message):
    draft = deposit_draft(case)
    response = as_role("finance").post(f"/invoices/{draft.id}/lines", data=line_form(draft, **fields))
    assert response.status_code == 422
    assert message in text(response)
    assert count(InvoiceLine) == 1


def test_a_bad_header_is_refused_and_the_draft_is_unchanged(as_role, case):
    draft = deposit_draft(case)
    client = as_role("finance")
    response = client.post(f"/invoices/{draft.id}/edit", data=header_form(draft, service_to="2026-13-01"))
    assert response.status_code == 422 and "Service to: '2026-13-01' is not a date" in text(response)
    response = client.post(f"/invoices/{draft.id}/edit", data=header_form(draft, service_to="2026-10-01"))
    assert response.status_code == 422 and "The service period ends before it starts." in text(response)
    response = client.post(f"/invoices/{draft.id}/edit", data=header_form(draft, bill_to_address=""))
    assert response.status_code == 422 and "An invoice names the patient and their full address." in text(response)
    assert fresh(draft.id).service_to is None


def test_a_line_of_another_invoice_is_not_found_and_stays(as_role, case):
    draft = deposit_draft(case)
    other = deposit_draft(case, "200.00")
    response = as_role("finance").post(
        f"/invoices/{draft.id}/lines/{other.lines[0].id}/remove", data={"version": draft.version}
    )
    assert response.status_code == 404
    assert "That line is not on this invoice." in text(response)
    assert count(InvoiceLine) == 2


def test_unknown_cases_and_invoices_are_not_found(as_role):
    client = as_role("finance")
    assert client.get("/invoices/999999").status_code == 404
    assert client.get("/cases/999999/invoices").status_code == 404
    assert client.get("/invoices/99999999999").status_code == 404
    assert client.post("/invoices/999999/issue", data={"version": 1}).status_code == 404
    assert client.post("/invoices/999999/edit", data={}).status_code == 404
    assert client.post("/cases/999999/invoices/deposit", data={"amount": "x" * 50}).status_code == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"method": "account_credit"}, "Choose how the money was paid"),
        ({"amount": "abc"}, "The amount: 'abc' is not an amount"),
        ({"currency": "USD"}, "a payment in USD cannot be recorded against it"),
        ({"received_on": (TODAY + timedelta(days=1)).isoformat()}, "A payment cannot be dated in the future."),
        ({"received_on": "yesterday"}, "Date: 'yesterday' is not a date"),
        ({"received_on": ""}, "Date: Enter the date the money was paid."),
        ({"method": "bitcoin"}, "Choose how the money was paid."),
        ({"reference": "r" * 101}, "Reference: at most 100 characters."),
    ],
)
def test_a_bad_payment_is_refused_with_a_message_and_nothing_stored(as_role, case, fields, message):
    invoice = issued(deposit_draft(case).id)
    data = {**payment_form(invoice, "100"), **fields}
    response = as_role("finance").post(f"/invoices/{invoice.id}/payments", data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert count(InvoicePayment) == 0


def test_a_refund_when_none_is_due_is_refused(as_role, case):
    invoice = issued(deposit_draft(case).id)
    response = as_role("finance").post(f"/invoices/{invoice.id}/refunds", data=payment_form(invoice, "10.00"))
    assert response.status_code == 422
    assert "No refund is due on" in text(response)
    assert count(InvoicePayment) == 0


def test_a_draft_is_not_paid(as_role, case):
    draft = deposit_draft(case)
    response = as_role("finance").post(f"/invoices/{draft.id}/payments", data=payment_form(draft, "10.00"))
    assert response.status_code == 422
    assert "A draft is not paid: issue it first." in text(response)


def test_bad_credit_notes_are_refused_with_a_message_and_nothing_stored(as_role, case):
    invoice = issued(deposit_draft(case).id)
    line = invoice.lines[0]
    other = deposit_draft(case, "200.00")
    client = as_role("finance")
    address = f"/invoices/{invoice.id}/credit-note"
    for data, status, message in [
        ({"reason": "Too much"}, 422, "Choose at least one line of the invoice to credit."),
        ({"line": str(line.id)}, 422, "Say why the invoice is corrected"),
        ({"line": str(line.id), f"amount-{line.id}": "1000.01", "reason": "x"}, 422, "at most 1000.00 EUR (net)"),
        ({"line": str(line.id), f"amount-{line.id}": "-1", "reason": "x"}, 422, "must be more than 0"),
        ({"line": str(line.id), f"amount-{line.id}": "9" * 40, "reason": "x"}, 422, "at most 30 characters"),
        ({"line": str(other.lines[0].id), "reason": "x"}, 422, f"is not a line of {invoice.label}"),
        ({"line": "abc", "reason": "x"}, 422, "The form named a line that does not exist"),
        ({"line": str(line.id), "reason": "r" * 1001}, 422, "Reason (printed on the credit note): at most 1,000"),
    ]:
        response = client.post(address, data=data)
        assert response.status_code == status, data
        assert message in text(response), data
    assert count(Invoice) == 2
    response = client.get(f"/invoices/{other.id}/credit-note")
    assert response.status_code == 422
    assert "Only an issued invoice is corrected with a credit note" in text(response)


def test_the_credit_note_form_keeps_the_chosen_lines_after_a_refusal(as_role, case):
    invoice = issued(deposit_draft(case).id)
    line = invoice.lines[0]
    response = as_role("finance").post(
        f"/invoices/{invoice.id}/credit-note", data={"line": str(line.id), f"amount-{line.id}": "250"}
    )
    assert response.status_code == 422
    page = text(response)
    assert f'value="{line.id}" id="credit-{line.id}" checked' in page and 'value="250"' in page


def test_a_bad_list_filter_is_refused_with_400(as_role):
    client = as_role("finance")
    response = client.get("/invoices?status=lost")
    assert response.status_code == 400
    assert "There is no invoice status 'lost'" in text(response)
    assert client.get("/invoices?kind=receipt").status_code == 400
    assert client.get("/invoices?page=-3&q=" + "%25" * 300).status_code == 200


# ---------------------------------------------------------------------------------------------- lists


def test_the_invoice_list_filters_by_status_and_kind_and_searches_numbers_and_names(as_role, case):
    paid = issued(deposit_draft(case).id)
    pay(paid, "1000.00")
    open_one = issued(deposit_draft(case, "500.00").id)
    draft = deposit_draft(case, "100.00")
    client = as_role("finance")
    page = text(client.get("/invoices"))
    assert paid.number in page and open_one.number in page and f"Draft #{draft.id}" in page
    assert page.index(f"Draft #{draft.id}") < page.index(open_one.number) < page.index(paid.number)  # newest first
    assert "Issued, unpaid" in page and ">Paid<" in page and case.number in page and "Amira Haddad" in page
    page = text(client.get("/invoices?status=paid"))
    assert paid.number in page and open_one.number not in page
    page = text(client.get("/invoices?kind=credit_note"))
    assert "No invoice matches." in page
    page = text(client.get(f"/invoices?q={open_one.number[-5:]}"))
    assert open_one.number in page and paid.number not in page
    page = text(client.get("/invoices?q=amira"))
    assert paid.number in page and open_one.number in page
    assert "No invoice matches." in text(client.get("/invoices?q=nobody"))


def test_the_invoice_list_runs_a_fixed_number_of_statements(as_role, case, count_queries):
    client = as_role("finance")
    pay(issued(deposit_draft(case, "100.00").id), "50.00")
    deposit_draft(case, "10.00")
    with count_queries() as few:
        assert client.get("/invoices").status_code == 200
    for _ in range(4):
        pay(issued(deposit_draft(case, "100.00").id), "50.00")
        draft = deposit_draft(case, "10.00")
        drafts.add_line(
            draft.id,
            actor_id=None,
            expected_version=None,
            kind="other",
            description="Extra",
            quantity="1",
            unit_price="5",
            vat_category="standard",
        )
        db.session.commit()
    with count_queries() as many:
        page = text(client.get("/invoices"))
    assert page.count(">Partially paid</span>") == 5 and page.count(">Draft #") == 5
    assert len(many) == len(few), (len(few), len(many))


def test_the_invoice_page_runs_a_fixed_number_of_statements(as_role, case, count_queries):
    client = as_role("finance")
    draft = deposit_draft(case)
    invoice = issued(deposit_draft(case, "2000.00").id)
    draft_page, invoice_page, line_id = f"/invoices/{draft.id}", f"/invoices/{invoice.id}", invoice.lines[0].id
    pay(invoice, "10.00")
    credit_notes.create_credit_note_draft(invoice.id, actor_id=None, reason="x", amounts={line_id: "5"})
    db.session.commit()
    with count_queries() as draft_few:
        assert client.get(draft_page).status_code == 200
    with count_queries() as issued_few:
        assert client.get(invoice_page).status_code == 200
    for n in range(10):
        drafts.add_line(
            draft.id,
            actor_id=None,
            expected_version=None,
            kind="other",
            description=f"Service {n}",
            quantity="1",
            unit_price="5",
            vat_category="standard" if n % 2 else "exempt",
        )
        pay(invoice, "10.00")
        credit_notes.create_credit_note_draft(invoice.id, actor_id=None, reason="x", amounts={line_id: "5"})
        db.session.commit()
    with count_queries() as draft_many:
        assert "Service 9" in text(client.get(draft_page))
    with count_queries() as issued_many:
        page = text(client.get(invoice_page))
    assert page.count("€10.00") >= 11 and page.count("(draft)") == 11
    assert len(draft_many) == len(draft_few)
    assert len(issued_many) == len(issued_few)


def test_the_case_invoices_page_runs_a_fixed_number_of_statements(as_role, case, count_queries):
    client = as_role("finance")
    address = f"/cases/{case.id}/invoices"
    pay(issued(deposit_draft(case, "100.00").id), "50.00")
    with count_queries() as few:
        assert client.get(address).status_code == 200
    for _ in range(5):
        pay(issued(deposit_draft(case, "100.00").id), "50.00")
    with count_queries() as many:
        page = text(client.get(address))
    assert page.count(">Partially paid</span>") == 6
    assert "€300.00" in page  # outstanding: 6 x 50
    assert len(many) == len(few)


def test_the_case_invoices_partial_lists_invoices_with_a_link_to_the_case_invoices_page(app, case, users):
    invoice = issued(deposit_draft(case).id)
    draft = deposit_draft(case, "200.00")
    with app.test_request_context():
        login_user(users["coordinator"])
        page = render_template(
            "invoicing/_case_invoices.html", case=get_case(case.id), case_invoices=listing.invoices_of_case(case.id)
        )
    page = html.unescape(page)
    assert f'href="/invoices/{invoice.id}">{invoice.number}</a>' in page
    assert f'href="/invoices/{draft.id}">Draft #{draft.id}</a>' in page
    assert "€1,000.00" in page and "€200.00" in page and "Issued, unpaid" in page
    assert f'href="/cases/{case.id}/invoices"' in page
