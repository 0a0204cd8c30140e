"""Invoicing's panel on the case page (`cases.signals.case_page`): the case's invoices, credit and refunds due."""

from __future__ import annotations

from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.invoicing import listing


@signals.case_page.connect
def invoices_panel(case: Case, *, forms: dict) -> dict:
    """`case_invoices`, `case_credit` and `case_refunds` (see `listing.case_invoices_panel`)."""
    return listing.case_invoices_panel(case.id)
