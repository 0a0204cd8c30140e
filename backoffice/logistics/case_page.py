"""Logistics' panels on the case page (`cases.signals.case_page`): the follow-ups and the itinerary's findings."""

from __future__ import annotations

from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.logistics import follow_ups, itinerary


@signals.case_page.connect
def logistics_panels(case: Case, *, forms: dict) -> dict:
    """The case's follow-ups (with the submitted add form after a refusal) and what the itinerary check found."""
    return {
        "follow_ups": follow_ups.case_follow_ups(case.id),
        "add_follow_up_form": forms.get("add_follow_up_form"),
        "findings": itinerary.case_findings(case.id),
    }
