"""Lists of invoices: filters read from the query string, accounts computed in bulk, a fixed number of statements."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backoffice.extensions import db
from backoffice.invoicing import credit_notes, listing
from backoffice.invoicing.listing import FilterError, InvoiceFilters
from tests.invoicing.test_views import deposit_draft, issued, pay


def test_filters_are_read_from_the_query_string():
    filters = InvoiceFilters.from_args({"status": " Paid ", "kind": "credit_note", "q": "  INV-2026  ", "page": "2"})
    assert filters == InvoiceFilters(status="paid", kind="credit_note", q="INV-2026", page=2)
    assert filters.is_filtered and not InvoiceFilters.from_args({"page": "abc"}).is_filtered
    assert InvoiceFilters.from_args({"q": "x" * 500}).q == "x" * 100


@pytest.mark.parametrize("args", [{"status": "lost"}, {"kind": "receipt"}])
def test_a_filter_naming_nothing_is_refused(args):
    with pytest.raises(FilterError):
        InvoiceFilters.from_args(args)


def test_a_search_for_a_percent_sign_matches_it_literally(case):
    issued(deposit_draft(case).id)
    assert listing.list_invoices(InvoiceFilters(q="%")).total == 0
    assert listing.list_invoices(InvoiceFilters(q="haddad")).total == 1
    assert listing.list_invoices(InvoiceFilters(page=99)).page == 1


def test_invoices_of_a_case_carry_their_accounts_computed_in_bulk(case, count_queries):
    invoice = issued(deposit_draft(case).id)
    pay(invoice, "400.00")
    note = credit_notes.create_credit_note_draft(
        invoice.id, actor_id=None, reason="x", amounts={invoice.lines[0].id: "100"}
    )
    db.session.commit()
    issued(note.id)
    draft = deposit_draft(case, "250.00")
    case_id = case.id
    db.session.expire_all()
    with count_queries() as statements:
        entries = listing.invoices_of_case(case_id)
    assert len(statements) == 5
    by_id = {entry.invoice.id: entry for entry in entries}
    account = by_id[invoice.id].account
    assert (account.total, account.credited, account.paid, account.outstanding) == (
        Decimal("1000.00"),
        Decimal("100.00"),
        Decimal("400.00"),
        Decimal("500.00"),
    )
    assert by_id[note.id].account is None and by_id[note.id].status_label == "Issued"
    assert (by_id[draft.id].total, by_id[draft.id].outstanding) == (Decimal("250.00"), None)
    [summary] = listing.case_accounts(entries, listing.credit_balances(case_id))
    assert (summary.invoiced, summary.outstanding, summary.refund_due) == (
        Decimal("1000.00"),
        Decimal("500.00"),
        Decimal("0.00"),
    )
