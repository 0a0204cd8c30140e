"""Revenue per month by VAT category and rate, per currency: issued final invoices less the credit notes correcting
them, from the category and rate frozen on each line; deposit invoices (advance payments the final invoice deducts)
are shown apart, so nothing counts twice; the figures match the invoices' own totals; the CSV holds the rows."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from backoffice.dbtypes import operator_today
from backoffice.receivables.exports import REVENUE_HEADER
from backoffice.receivables.revenue import revenue_by_vat, revenue_totals
from tests.invoicing.factories import credit, fresh, issued_deposit, issued_final, pay, text


def test_revenue_per_vat_category_matches_the_invoices_totals_less_credit_notes(app, case):
    deposit = issued_deposit(case, "3000.00")
    pay(deposit, "3000.00")
    final = issued_final(case)
    taxed = next(line for line in final.lines if line.vat_rate > 0)
    note = credit(final, {taxed.id: "100.00"})
    final, deposit = fresh(final.id), fresh(deposit.id)

    rows = revenue_by_vat(None, None)

    revenue = [row for row in rows if not row.advance]
    assert sum(row.net for row in revenue) == final.net_total - note.net_total
    assert sum(row.tax for row in revenue) == final.tax_total - note.tax_total
    by_key = {(row.category, row.rate): row for row in revenue}
    for line in final.lines:
        assert (line.vat_category, line.vat_rate) in by_key
    standard = by_key[(taxed.vat_category, taxed.vat_rate)]
    lines_net = sum(
        line.net_amount
        for line in final.lines
        if (line.vat_category, line.vat_rate) == (taxed.vat_category, taxed.vat_rate)
    )
    assert standard.net == lines_net - Decimal("100.00") and standard.documents == 2
    (advance,) = [row for row in rows if row.advance]
    assert (advance.net, advance.category) == (deposit.net_total, deposit.lines[0].vat_category)
    month = operator_today().replace(day=1)
    assert {row.month for row in rows} == {month}
    totals = {(total.currency, total.advance): total for total in revenue_totals(rows)}
    assert totals[("EUR", False)].net + totals[("EUR", False)].tax == final.total - note.total


def test_the_revenue_page_and_its_csv(app, case, as_role):
    final = issued_final(case)
    client = as_role("finance")
    page = text(client.get("/receivables/revenue"))
    assert "Revenue by VAT category" in page and "Exempt" in page

    response = client.get("/receivables/revenue.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(REVENUE_HEADER)
    assert {row[1] for row in rows[1:]} == {"EUR"} and {row[2] for row in rows[1:]} == {"revenue"}
    assert sum(Decimal(row[6]) for row in rows[1:]) == final.net_total
    assert sum(Decimal(row[8]) for row in rows[1:]) == final.total
    year = operator_today().year
    assert client.get(f"/receivables/revenue.csv?from={year - 1}-01-01&to={year - 1}-12-31").get_data(
        as_text=True
    ).strip() == ",".join(f'"{name}"' for name in REVENUE_HEADER)
