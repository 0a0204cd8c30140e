"""Found by the browser suite's coordinator path (tests/e2e/test_coordinator_path.py): once the patient was in
hospital, the case page still offered the screening form with its "Save answers" button, which every press was
refused with "The screening can no longer change at this stage of the case"."""

import re

import pytest

from backoffice.cases.programme import set_programme
from backoffice.extensions import db
from tests.factories import make_case, make_programme


def case_with_screening(users, state: str):
    case = make_case(coordinator=users["coordinator"])
    set_programme(
        case.id,
        programme_id=make_programme().id,
        physician_id=None,
        cost_estimate=None,
        actor_id=users["coordinator"].id,
    )
    case.state = state
    db.session.commit()
    return case


@pytest.mark.parametrize("state", ["in_treatment", "discharged", "aftercare", "closed", "cancelled"])
def test_case_page_offers_no_screening_answers_once_they_can_no_longer_change(as_role, users, state):
    case = case_with_screening(users, state)
    page = as_role("coordinator").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Contraindication screening" in page and "Pregnancy" in page
    assert "Save answers" not in page
    assert "The screening can no longer change at this stage of the case." in page
    assert re.search(r'aria-label="yes: Pregnancy"[^>]*\bdisabled', page)


@pytest.mark.parametrize("state", ["records_review", "programme_offered", "confirmed", "travel_booked", "on_hold"])
def test_case_page_offers_the_screening_answers_while_they_may_change(as_role, users, state):
    case = case_with_screening(users, state)
    page = as_role("coordinator").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Save answers" in page
    assert "The screening can no longer change" not in page
