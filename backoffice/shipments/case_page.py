"""Shipments' panel on the case page (`cases.signals.case_page`): the medicine orders of the case."""

from __future__ import annotations

from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.shipments.operations import orders_of_case


@signals.case_page.connect
def medicine_orders_panel(case: Case, *, forms: dict) -> dict:
    return {"medicine_orders": orders_of_case(case.id)}
