"""The payments journal lists the money received and refunded in a period, by the day it moved and its method, with
totals per currency and method that never mix currencies; the case's credit set against an invoice moves no money
and is left out; its CSV holds the same rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.invoicing import credits, payments
from backoffice.receivables.exports import JOURNAL_HEADER
from backoffice.receivables.journal import payments_journal
from tests.invoicing.factories import issued_deposit, text
from tests.receivables.factories import owed_deposit


def receive(invoice, amount: str, days_ago: int, method: str = "bank_transfer", reference: str = "") -> None:
    TODAY = operator_today()
    payments.record_payment(
        invoice.id,
        actor_id=None,
        amount=amount,
        currency=invoice.currency,
        received_on=TODAY - timedelta(days=days_ago),
        method=method,
        reference=reference,
    )
    db.session.commit()


def journal_world():
    TODAY = operator_today()
    euros = owed_deposit("1000.00", days_overdue=1)
    receive(euros, "300.00", 40)  # before the period
    receive(euros, "200.00", 10, "card")
    receive(euros, "600.00", 5, reference="SEPA 4711")  # 100 beyond what was open: to the case's credit
    credits.refund_credit(
        euros.case_id, actor_id=None, currency="EUR", amount="60.00", paid_on=TODAY - timedelta(days=2), method="cash"
    )
    db.session.commit()
    dollars = owed_deposit("500.00", days_overdue=1, currency="USD")
    receive(dollars, "500.00", 3, "card")
    return euros, dollars


def test_the_journal_lists_a_periods_payments_and_refunds_with_totals_per_currency_and_method(app):
    TODAY = operator_today()
    euros, _dollars = journal_world()

    journal = payments_journal(TODAY - timedelta(days=30), TODAY)

    assert [(entry.day, str(entry.amount), entry.currency, entry.method) for entry in journal.entries] == [
        (TODAY - timedelta(days=10), "200.00", "EUR", "card"),
        (TODAY - timedelta(days=5), "600.00", "EUR", "bank_transfer"),
        (TODAY - timedelta(days=3), "500.00", "USD", "card"),
        (TODAY - timedelta(days=2), "-60.00", "EUR", "cash"),
    ]
    assert journal.entries[1].invoice_number == euros.number and journal.entries[3].invoice_number == ""
    by_method = {(t.currency, t.method): (str(t.received), str(t.refunded)) for t in journal.by_method}
    assert by_method == {
        ("EUR", "bank_transfer"): ("600.00", "0.00"),
        ("EUR", "card"): ("200.00", "0.00"),
        ("EUR", "cash"): ("0.00", "60.00"),
        ("USD", "card"): ("500.00", "0.00"),
    }
    assert {t.currency: t.net for t in journal.by_currency} == {"EUR": Decimal("740.00"), "USD": Decimal("500.00")}


def test_the_journal_filters_by_method(app):
    journal_world()
    journal = payments_journal(None, None, "card")
    assert {(entry.currency, str(entry.amount)) for entry in journal.entries} == {("EUR", "200.00"), ("USD", "500.00")}


def test_the_case_credit_set_against_an_invoice_is_not_money_received(app, case):
    first = issued_deposit(case, "1000.00")
    second = issued_deposit(case, "100.00")
    receive(first, "1100.00", 1)  # 100 beyond what was open: the case's credit
    credits.apply_credit(case.id, second.id, actor_id=None)
    db.session.commit()

    journal = payments_journal(None, None)

    assert [entry.invoice_number for entry in journal.entries] == [first.number]
    assert journal.by_currency[0].received == Decimal("1100.00")


def test_the_journal_page_and_its_csv(app, as_role):
    TODAY = operator_today()
    euros, _dollars = journal_world()
    client = as_role("finance")
    start = (TODAY - timedelta(days=30)).isoformat()

    page = text(client.get(f"/receivables/payments?from={start}&to={TODAY.isoformat()}"))
    assert euros.number in page and "SEPA 4711" in page and "Case credit" in page

    response = client.get(f"/receivables/payments.csv?from={start}&to={TODAY.isoformat()}&method=card")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(JOURNAL_HEADER)
    assert [row[:5] for row in rows[1:]] == [
        [(TODAY - timedelta(days=10)).isoformat(), "received", "card", "EUR", "200.00"],
        [(TODAY - timedelta(days=3)).isoformat(), "received", "card", "USD", "500.00"],
    ]
    assert client.get("/receivables/payments?method=cheque").status_code == 400
