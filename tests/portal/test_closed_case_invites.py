"""The patient of a closed or cancelled case is invited to the portal only to read the case's issued invoices."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.portal.models import PortalInvite
from tests.factories import make_case, make_patient
from tests.portal.issued import make_draft_invoice, make_issued_invoice


def invites_of(case) -> int:
    return db.session.scalar(
        select(func.count()).select_from(PortalInvite).where(PortalInvite.patient_id == case.patient_id)
    )


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_a_closed_case_without_issued_invoices_offers_and_accepts_no_portal_invite(as_role, users, state):
    case = make_case(state=state, coordinator=users["coordinator"], patient=make_patient(email="layla@test.example"))
    make_draft_invoice(case)  # a draft is nothing the patient could read
    db.session.commit()
    client = as_role("coordinator")

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Invite patient to the portal" not in page
    assert "has no issued invoice; there is nothing in the portal for its patient" in page
    response = client.post(f"/cases/{case.id}/portal-invite")

    assert response.status_code == 422
    assert "has no issued invoice" in response.get_data(as_text=True)
    assert invites_of(case) == 0


def test_the_patient_of_a_closed_case_with_issued_invoices_can_still_be_invited(as_role, users):
    case = make_case(state="closed", coordinator=users["coordinator"], patient=make_patient(email="layla@test.example"))
    make_issued_invoice(case)
    db.session.commit()
    client = as_role("coordinator")

    assert "Invite patient to the portal" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    response = client.post(f"/cases/{case.id}/portal-invite")

    assert response.status_code == 200
    assert invites_of(case) == 1
