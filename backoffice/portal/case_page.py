"""The portal's panel on the case page (`cases.signals.case_page`): the patient's portal account and invitation."""

from __future__ import annotations

from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.portal.invites import portal_status_of_patient


@signals.case_page.connect
def portal_panel(case: Case, *, forms: dict) -> dict:
    return {"portal_status": portal_status_of_patient(case.patient_id)}
