"""Finance's invoice list shows each invoice's due date, days overdue and what is left, the totals per currency of
everything the filters select (all pages, computed in the database), filters for open, overdue, currency and a due
or issue period, and exports what it lists as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from backoffice.dbtypes import operator_today
from backoffice.invoicing import listing
from backoffice.invoicing.list_filters import InvoiceFilters
from backoffice.invoicing.views.lists import CSV_HEADER
from tests.invoicing.factories import pay, text
from tests.receivables.factories import owed_deposit


def test_the_list_shows_due_date_days_overdue_and_what_is_left(app, as_role):
    invoice = owed_deposit("900.00", days_overdue=12)
    pay(invoice, "400.00")
    page = text(as_role("finance").get("/invoices"))
    row = page[page.index(invoice.number) :]
    row = row[: row.index("</tr>")]
    assert "Days overdue" in page and "Left to pay" in page
    assert ">12<" in row and "500.00" in row and "900.00" in row


def test_totals_per_currency_count_every_listed_invoice_not_one_page(app, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    owed_deposit("100.00", days_overdue=3)
    paid = owed_deposit("200.00", days_overdue=3)
    pay(paid, "200.00")
    owed_deposit("50.00", days_overdue=-3, currency="USD")

    page = listing.list_invoices(InvoiceFilters())
    totals = {total.currency: total for total in listing.list_totals(InvoiceFilters())}

    assert len(page.items) == 1 and page.total == 3
    assert (totals["EUR"].documents, str(totals["EUR"].invoiced), str(totals["EUR"].left)) == (2, "300.00", "100.00")
    assert (totals["USD"].documents, str(totals["USD"].invoiced), str(totals["USD"].left)) == (1, "50.00", "50.00")


def test_filters_open_overdue_currency_and_period(app):
    late = owed_deposit("100.00", days_overdue=3)
    not_yet = owed_deposit("200.00", days_overdue=-3)
    paid = owed_deposit("300.00", days_overdue=40)
    pay(paid, "300.00")
    dollars = owed_deposit("400.00", days_overdue=50, currency="USD")
    today = operator_today()

    def numbers(**filters):
        return {entry.invoice.number for entry in listing.list_invoices(InvoiceFilters(**filters)).items}

    assert numbers(open_only=True) == {late.number, not_yet.number, dollars.number}
    assert numbers(overdue=True) == {late.number, dollars.number}
    assert numbers(overdue=True, currency="EUR") == {late.number}
    assert numbers(period="due", date_from=today - timedelta(days=45)) == {late.number, not_yet.number, paid.number}
    assert numbers(period="due", date_to=today - timedelta(days=1)) == {late.number, paid.number, dollars.number}
    assert numbers(period="issued", date_from=today - timedelta(days=17), date_to=today - timedelta(days=17)) == {
        late.number
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("currency=euro", "is not a currency code"),
        ("from=31.12.2026", "is not a day"),
        ("from=2026-12-31&to=2026-01-01", "ends before it starts"),
        ("period=paid", "no date"),
    ],
)
def test_a_filter_that_names_nothing_is_a_400_with_a_message(app, as_role, query, message):
    response = as_role("finance").get(f"/invoices?{query}")
    assert response.status_code == 400 and message in text(response)
    assert as_role("finance").get(f"/invoices.csv?{query}").status_code == 400


def test_the_csv_holds_every_listed_invoice_with_header_and_guarded_text(app, as_role, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    late = owed_deposit("100.00", days_overdue=3, name="=HYPERLINK(1)")
    owed_deposit("200.00", days_overdue=-3)
    response = as_role("finance").get("/invoices.csv?overdue=1")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(CSV_HEADER)
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["number"] == late.number and row["patient"] == "'=HYPERLINK(1)"
    assert (row["days_overdue"], row["currency"], row["total"], row["left_to_pay"]) == ("3", "EUR", "100.00", "100.00")
    assert row["due_on"] == (operator_today() - timedelta(days=3)).isoformat()


def test_the_list_takes_the_same_statements_for_any_number_of_invoices(app, as_role, count_queries):
    client = as_role("finance")
    owed_deposit("100.00", days_overdue=3)
    client.get("/invoices?open=1")
    with count_queries() as few:
        assert client.get("/invoices?open=1").status_code == 200
    for n in range(4):
        invoice = owed_deposit("100.00", days_overdue=n, currency="USD" if n % 2 else "EUR")
        pay(invoice, "10.00")
    with count_queries() as many:
        assert client.get("/invoices?open=1").status_code == 200
    assert len(many) == len(few)
