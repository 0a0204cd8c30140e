"""The ageing report: what is left on issued invoices, per currency, in the buckets not due, 1-30, 31-60, 61-90 and
over 90 days overdue, counted in the operator's day; what is left counts payments, refunds, credit notes and
deducted deposits exactly as the invoice's account does; a bucket drills down to its invoices."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.invoicing import accounts, listing
from backoffice.invoicing.list_filters import InvoiceFilters
from backoffice.invoicing.models import Invoice
from backoffice.receivables.ageing import ageing_report, bucket_invoices, bucket_of
from backoffice.receivables.exports import AGEING_HEADER
from tests.helpers import change_settings
from tests.invoicing.factories import credit, fresh, issued_deposit, issued_final, pay, text
from tests.receivables.factories import owed_deposit


def amounts(report, currency="EUR"):
    (ageing,) = [row for row in report if row.currency == currency]
    return {key: str(value) for key, value in ageing.amounts.items() if value}


def test_buckets_split_at_0_1_30_31_60_61_90_and_91_days_overdue(app):
    for days, amount in ((0, "1"), (1, "2"), (30, "4"), (31, "8"), (60, "16"), (61, "32"), (90, "64"), (91, "128")):
        owed_deposit(f"{amount}00.00", days_overdue=days)
    owed_deposit("1000.00", days_overdue=-5)  # due in five days

    report = ageing_report(operator_today())

    assert amounts(report) == {
        "current": "1100.00",
        "1-30": "600.00",
        "31-60": "2400.00",
        "61-90": "9600.00",
        "over-90": "12800.00",
    }
    assert [bucket_of(days) for days in (0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "over-90"
    ]  # fmt: skip
    assert [entry.days_overdue for entry in bucket_invoices("61-90")] == [90, 61]


def test_days_overdue_are_counted_in_the_operators_day_not_utcs(app, monkeypatch):
    utc_day = datetime.now(UTC).date()
    # Of UTC+14 and UTC-12, at least one is on another day than UTC at any moment.
    zone = next(name for name in ("Etc/GMT-14", "Etc/GMT+12") if datetime.now(ZoneInfo(name)).date() != utc_day)
    change_settings(monkeypatch, app, operator_timezone=zone)
    operator_day = operator_today()
    assert operator_day != utc_day
    invoice = owed_deposit(days_overdue=1)
    assert invoice.due_on == operator_day - timedelta(days=1)

    assert amounts(ageing_report()) == {"1-30": "500.00"}
    (entry,) = bucket_invoices("1-30")
    assert entry.days_overdue == 1
    (listed,) = listing.list_invoices(InvoiceFilters(overdue=True)).items
    assert listed.days_overdue == 1


def test_what_is_left_counts_partial_payments_credit_notes_and_deducted_deposits(app, case):
    deposit = issued_deposit(case, "5000.00")
    pay(deposit, "2000.00")  # 3,000 left on the deposit ...
    final = issued_final(case)  # ... which the final invoice takes over: it deducts the 2,000 paid
    credit(final, {final.lines[0].id: "100.00"})  # a credit note takes 100 net off the final invoice
    pay(final, "1000.00")
    other = owed_deposit("800.00", days_overdue=3)
    pay(other, "300.00")
    corrected = owed_deposit("400.00", days_overdue=3)
    credit(corrected, {corrected.lines[0].id: "250.00"})  # a credit note takes 250 off the deposit
    overpaid = owed_deposit("400.00", days_overdue=3)
    pay(overpaid, "450.00")  # the 50 beyond it goes to the case's credit: nothing left, nothing negative
    db.session.expire_all()

    invoices = db.session.query(Invoice).filter(Invoice.kind != "credit_note").all()
    expected = {
        invoice.number: accounts.account_of(invoice).outstanding
        for invoice in invoices
        if accounts.account_of(invoice).outstanding > 0
    }
    listed = {entry.invoice.number: entry.left for entry in bucket_invoices(None)}

    assert listed == expected
    assert deposit.number not in listed, "the final invoice took over the deposit's rest"
    assert listed[other.number] == Decimal("500.00") and listed[corrected.number] == Decimal("150.00")
    assert overpaid.number not in listed
    final_account = accounts.account_of(fresh(final.id))
    assert final_account.deducted == Decimal("2000.00") and final_account.credited > 0
    assert listed[final.number] == final_account.outstanding
    total = sum(row.total for row in ageing_report())
    assert total == sum(expected.values())


def test_totals_per_currency_never_mix_currencies(app):
    owed_deposit("500.00", days_overdue=10)
    owed_deposit("700.00", days_overdue=40, currency="USD")

    report = ageing_report()

    assert [row.currency for row in report] == ["EUR", "USD"]
    assert amounts(report, "EUR") == {"1-30": "500.00"}
    assert amounts(report, "USD") == {"31-60": "700.00"}
    assert [entry.invoice.currency for entry in bucket_invoices("31-60", "USD")] == ["USD"]
    assert bucket_invoices("31-60", "EUR") == []


def test_the_ageing_page_drills_down_to_a_buckets_invoices(app, as_role):
    late = owed_deposit("650.00", days_overdue=45, name="Boris Iwanow")
    owed_deposit("300.00", days_overdue=5, name="Layla Haddad")
    client = as_role("finance")

    page = text(client.get("/receivables/ageing"))
    assert "EUR 650.00" in page or "€650.00" in page
    assert "/receivables/ageing/31-60?currency=EUR" in page

    bucket = text(client.get("/receivables/ageing/31-60?currency=EUR"))
    assert late.number in bucket and "Boris Iwanow" in bucket and "Layla Haddad" not in bucket
    assert "Send first reminder" in bucket

    assert client.get("/receivables/ageing/forever").status_code == 404
    assert client.get("/receivables/ageing/1-30?currency=EURO").status_code == 400


def test_the_ageing_page_and_a_bucket_take_the_same_statements_for_any_number_of_invoices(app, as_role, count_queries):
    client = as_role("finance")
    owed_deposit("100.00", days_overdue=5)
    client.get("/receivables/ageing")
    with count_queries() as few:
        assert client.get("/receivables/ageing").status_code == 200
    with count_queries() as few_bucket:
        assert client.get("/receivables/ageing/1-30").status_code == 200
    for n in range(4):
        owed_deposit("100.00", days_overdue=5 + n, currency="USD" if n % 2 else "EUR")
    with count_queries() as many:
        assert client.get("/receivables/ageing").status_code == 200
    with count_queries() as many_bucket:
        assert client.get("/receivables/ageing/1-30").status_code == 200
    assert len(many) == len(few)
    assert len(many_bucket) == len(few_bucket)


def test_the_ageing_csv_lists_every_open_invoice_with_its_bucket(app, as_role):
    late = owed_deposit("650.00", days_overdue=95, name="Boris Iwanow")
    soon = owed_deposit("300.00", days_overdue=-2, currency="USD")
    paid = owed_deposit("100.00", days_overdue=10)
    pay(paid, "100.00")

    response = as_role("finance").get("/receivables/ageing.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(AGEING_HEADER)
    assert [(row[0], row[1], row[2], row[7], row[8]) for row in rows[1:]] == [
        ("EUR", "over-90", late.number, "95", "650.00"),
        ("USD", "current", soon.number, "0", "300.00"),
    ]
