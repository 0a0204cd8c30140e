"""An erased patient's treatment offers: their page and archived PDF for finance and administrators only, under the
restriction banner and without a form; no new offer, no change of a draft, no sending, no answer recorded
(`patients.restriction`)."""

from __future__ import annotations

import pytest

from backoffice.extensions import db
from backoffice.offers import acceptance, operations
from backoffice.offers.models import Offer
from backoffice.patients.restriction import RecordRestricted
from tests.factories import make_patient
from tests.helpers import page_text
from tests.invoicing.factories import count, make_invoicing_case, make_offer
from tests.offers.staff import draft_of, make_offer_case, stored
from tests.patients.factories import BANNER, BANNER_END, PSEUDONYM, REFUSAL, erase


@pytest.fixture
def offers(users):
    """A patient erased since, with a draft offer on one case and a sent offer on another, both made before."""
    patient = make_patient(name="Gone Patient")
    case = make_offer_case(users["coordinator"], patient=patient)
    draft = draft_of(case, users["coordinator"])
    other = make_invoicing_case(patient=patient, estimate="", coordinator=users["coordinator"], state="records_review")
    sent = make_offer(other, [("SC-001", "Leukocytapheresis", "1", "3900.00")], status="sent")
    db.session.commit()
    erase(patient)
    return draft, sent


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_administrators_read_an_erased_patients_offer_under_the_banner(as_role, offers, role):
    draft, _sent = offers
    page = page_text(as_role(role).get(f"/cases/{draft.case_id}/offers/{draft.id}"))
    assert BANNER in page and BANNER_END in page and PSEUDONYM in page
    assert f"/offers/{draft.id}/send" not in page and f"/offers/{draft.id}/items" not in page


def test_a_coordinator_finds_no_erased_patients_offer_or_its_pdf(as_role, offers):
    draft, sent = offers
    client = as_role("coordinator")
    assert client.get(f"/cases/{draft.case_id}/offers/{draft.id}").status_code == 404
    assert client.get(f"/cases/{sent.case_id}/offers/{sent.id}/pdf").status_code == 404
    assert client.post(f"/cases/{draft.case_id}/offers/{draft.id}/send", data={"version": 1}).status_code == 404


def test_an_erased_patients_offer_is_neither_changed_nor_sent(as_role, users, offers):
    draft, _sent = offers
    response = as_role("admin").post(
        f"/cases/{draft.case_id}/offers/{draft.id}/send", data={"version": draft.row_version}
    )
    assert response.status_code == 409 and REFUSAL in page_text(response)
    actor, item_id = users["coordinator"].id, stored(draft.id).items[0].id
    for attempt in (
        lambda: operations.send_offer(draft.id, actor_id=actor),
        lambda: operations.remove_item(draft.id, item_id, actor_id=actor),
        lambda: operations.start_offer(draft.case_id, actor_id=actor),
    ):
        with pytest.raises(RecordRestricted):
            attempt()
        db.session.rollback()
    assert stored(draft.id).status == "draft" and count(Offer) == 2


def test_an_erased_patients_sent_offer_is_answered_no_more(users, offers):
    _draft, sent = offers
    actor = users["coordinator"].id
    for attempt in (
        lambda: acceptance.accept_offer(sent.id, actor_id=actor, name="Someone"),
        lambda: acceptance.decline_offer(sent.id, actor_id=actor, reason="Too dear"),
    ):
        with pytest.raises(RecordRestricted):
            attempt()
        db.session.rollback()
    assert stored(sent.id).status == "sent"
