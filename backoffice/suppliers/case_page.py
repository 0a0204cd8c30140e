"""Supplier invoices' panel on the case page (`cases.signals.case_page`)."""

from __future__ import annotations

from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.suppliers.models import STATUS_LABELS
from backoffice.suppliers.receiving import invoices_of_case


@signals.case_page.connect
def supplier_invoices_panel(case: Case, *, forms: dict) -> dict:
    return {"supplier_invoices": invoices_of_case(case.id), "supplier_status_labels": STATUS_LABELS}
