"""Bad input gets a message and a 4xx with nothing stored, never a 500: amounts beyond what an invoice can hold, a
version too large for the database, a currency with more decimals than the cent, and amounts finer than the currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.invoicing import conversion, deposits
from backoffice.invoicing.invoices import InvoiceError
from backoffice.invoicing.models import Invoice, InvoicePayment
from tests.invoicing.factories import TODAY, count, fresh, issue, make_approved_bill, make_invoicing_case, pay, text


def test_a_line_larger_than_an_invoice_can_hold_is_refused_with_a_message(case, as_role):
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    db.session.commit()

    response = as_role("finance").post(
        f"/invoices/{draft.id}/lines",
        data={
            "version": draft.version,
            "kind": "other",
            "description": "Typo",
            "quantity": "1000000",
            "unit_price": "1000000",
            "vat_category": "standard",
        },
    )

    assert response.status_code == 422
    assert "more than an invoice can hold" in text(response)
    assert len(fresh(draft.id).lines) == 1


@pytest.mark.parametrize("draft", ["deposit", "final"])
def test_a_huge_exchange_rate_is_refused_with_a_message(case, as_role, draft):
    conversion.set_invoicing_currency(case.id, "USD", actor_id=None)
    make_approved_bill(case)  # in EUR: the final invoice converts its lines at the rate
    db.session.commit()
    form = {"exchange_rate": "99999999999", "exchange_rate_on": TODAY.isoformat()}
    if draft == "deposit":
        form["amount"] = "100.00"

    response = as_role("finance").post(f"/cases/{case.id}/invoices/{draft}", data=form)

    assert response.status_code == 422
    assert "That comes to more than an invoice can hold; check the quantity, the unit price and the exchange rate." in (
        text(response)
    )
    assert count(Invoice) == 0


def test_a_version_too_large_for_the_database_is_refused_as_an_out_of_date_form(case, as_role):
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    db.session.commit()

    response = as_role("finance").post(f"/invoices/{draft.id}/issue", data={"version": str(10**20)})

    assert response.status_code == 422
    assert "The form is out of date: reload the page." in text(response)
    assert fresh(draft.id).status == "draft"


def test_a_currency_with_three_decimals_is_refused_as_invoicing_currency_with_a_message(case, as_role):
    response = as_role("finance").post(f"/cases/{case.id}/invoicing-currency", data={"currency": "KWD"})

    assert response.status_code == 422
    assert "Invoices are kept to the cent: KWD has 3 decimals and cannot be used." in text(response)
    db.session.expire_all()
    assert db.session.get(Case, case.id).invoicing_currency == "EUR"


def test_amounts_in_yen_have_no_decimals_neither_on_a_deposit_nor_in_a_payment():
    case = make_invoicing_case(estimate="2000000.00")
    conversion.set_invoicing_currency(case.id, "JPY", actor_id=None)
    db.session.commit()
    rate = {"exchange_rate": "160", "exchange_rate_on": TODAY}

    with pytest.raises(InvoiceError, match=r"The deposit amount has at most 0 decimal places\."):
        deposits.create_deposit_draft(case.id, actor_id=None, amount="1000.50", **rate)
    db.session.rollback()
    deposit = deposits.create_deposit_draft(case.id, actor_id=None, amount="1000", **rate)
    db.session.commit()
    deposit = issue(deposit.id)
    assert (deposit.total, deposit.currency) == (Decimal("1000"), "JPY")

    with pytest.raises(InvoiceError, match=r"The amount has at most 0 decimal places\."):
        pay(deposit, "0.50")
    db.session.rollback()
    assert count(InvoicePayment) == 0
