"""Billing's panel on the case page (`cases.signals.case_page`): the case's hospital bills."""

from __future__ import annotations

from backoffice.billing.bills.listing import bills_of_case
from backoffice.billing.bills.states import BILLABLE_STATES
from backoffice.cases import signals
from backoffice.cases.models import Case


@signals.case_page.connect
def bills_panel(case: Case, *, forms: dict) -> dict:
    """The case's hospital bills, and the states in which a bill may be received (the upload button)."""
    return {"bills": bills_of_case(case.id), "billable_states": BILLABLE_STATES}
