"""The final invoice beside the accepted offer: the offer's total, what the invoice charges and the difference; a
difference above OFFER_DIFFERENCE_THRESHOLD (5 %) of the offer's total is issued only with a reason, audit-logged."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.invoicing import drafts, finals
from backoffice.invoicing.invoices import InvoiceError
from backoffice.invoicing.offer_difference import explain_difference, offer_difference
from backoffice.trail import AuditEvent
from tests.invoicing.factories import fresh, issue, make_approved_bill, make_invoicing_case, make_offer, text

# The final draft of the default approved bill: 3,900.00 + 1,700.00 + 286.50 (treatment at resident prices, VAT
# exempt) + the coordination fee 1,500.00 with 19 % VAT (1,785.00) = 7,671.50 EUR; a line of 28.50 added by hand
# makes it 7,700.00: 700.00 (10 %) above an offer of 7,000.00, above the 5 % threshold.
OFFER = [("SC-001", "Leukocytapheresis", "1", "3900.00"), ("SC-002", "Cryopreservation", "2", "1550.00")]


def final_draft(offer_items=OFFER, extra: str | None = "28.50"):
    case = make_invoicing_case(estimate="")
    offer = make_offer(case, offer_items)
    make_approved_bill(case)
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    if extra:
        drafts.add_line(
            draft.id,
            actor_id=None,
            expected_version=None,
            kind="other",
            description="Extra night in hospital",
            quantity="1",
            unit_price=extra,
            vat_category="exempt",
        )
    db.session.commit()
    return case, offer, fresh(draft.id)


def test_the_final_draft_shows_the_accepted_offer_beside_what_it_charges(app):
    _case, offer, draft = final_draft()
    assert draft.offer_id == offer.id
    difference = offer_difference(draft)
    assert (difference.promised, difference.charged) == (Decimal("7000.00"), Decimal("7700.00"))
    assert (difference.difference, difference.percent) == (Decimal("700.00"), Decimal("10.0"))
    assert difference.needs_reason


def test_a_final_invoice_ten_percent_above_the_offer_cannot_be_issued_without_a_reason(app):
    _case, _offer, draft = final_draft()
    with pytest.raises(InvoiceError, match=r"7700.00 EUR, 10.0 % from the accepted offer's 7000.00 EUR"):
        issue(draft.id)
    db.session.rollback()
    assert fresh(draft.id).status == "draft"

    explain_difference(draft.id, "An extra night in hospital.", actor_id=None, expected_version=None)
    db.session.commit()
    issued = issue(draft.id)
    assert issued.status == "issued" and issued.offer_difference_reason == "An extra night in hospital."
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "invoice", AuditEvent.object_id == str(draft.id))
    ).all()
    assert "invoice.offer_difference_explained" in events


def test_a_final_invoice_within_the_threshold_needs_no_reason(app):
    # An offer of 7,500.00: 7,671.50 is 171.50 (2.3 %) above it.
    _case, _offer, draft = final_draft([("SC-001", "Leukocytapheresis", "1", "7500.00")], extra=None)
    difference = offer_difference(draft)
    assert (difference.difference, difference.percent, difference.needs_reason) == (
        Decimal("171.50"),
        Decimal("2.3"),
        False,
    )
    assert issue(draft.id).status == "issued"


def test_a_final_invoice_ten_percent_below_the_offer_needs_a_reason_too(app):
    # An offer of 8,525.00: 7,671.50 is 853.50 below it, 10.0 % (853.50 / 8,525.00 = 10.01 %).
    _case, _offer, draft = final_draft([("SC-001", "Leukocytapheresis", "1", "8525.00")], extra=None)
    difference = offer_difference(draft)
    assert (difference.difference, difference.percent, difference.needs_reason) == (
        Decimal("-853.50"),
        Decimal("-10.0"),
        True,
    )


def test_an_estimate_typed_before_offers_is_shown_but_needs_no_reason(app, case):
    make_approved_bill(case)  # the case's one-line offer of 20,000.00 from its typed estimate
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    difference = offer_difference(fresh(draft.id))
    assert difference.difference == Decimal("-12328.50") and not difference.needs_reason
    assert issue(draft.id).status == "issued"


def test_finance_enters_the_reason_on_the_draft_page_and_then_issues(as_role, app):
    _case, _offer, draft = final_draft()
    client = as_role("finance")
    page = text(client.get(f"/invoices/{draft.id}"))
    assert "Beside the accepted offer" in page and "Accepted offer, version 1" in page
    assert "€7,000.00" in page and "€7,700.00" in page and "€700.00" in page and "(10 %)" in page
    assert "enter its reason before issuing" in page

    response = client.post(f"/invoices/{draft.id}/issue", data={"version": draft.version})
    assert response.status_code == 422 and "enter the reason for the difference before issuing" in text(response)
    assert fresh(draft.id).status == "draft"

    response = client.post(f"/invoices/{draft.id}/offer-difference", data={"version": draft.version, "reason": ""})
    assert response.status_code == 422 and "Enter the reason for the difference." in text(response)
    response = client.post(
        f"/invoices/{draft.id}/offer-difference",
        data={"version": draft.version, "reason": "An extra night in hospital."},
    )
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "The reason for the difference from the accepted offer is saved." in page
    assert "An extra night in hospital." in page and "enter its reason before issuing" not in page
    response = client.post(f"/invoices/{draft.id}/issue", data={"version": fresh(draft.id).version})
    assert response.status_code == 302 and fresh(draft.id).status == "issued"
