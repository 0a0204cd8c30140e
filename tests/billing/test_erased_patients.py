"""An erased patient's hospital bills: in no bill list (nor the dashboard's), their page for finance and
administrators only, under the restriction banner and without a form; no line, decision, approval, dispute,
correction or payment added; the savings report still counts them (`patients.restriction`)."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.billing.bills import listing, receiving, review
from backoffice.billing.models import HospitalBill
from backoffice.billing.savings.report import savings_report, year_period
from backoffice.extensions import db
from backoffice.patients.restriction import RecordRestricted
from tests.factories import make_hospital, make_patient
from tests.helpers import page_text
from tests.invoicing.factories import make_approved_bill, make_invoicing_case
from tests.patients.factories import BANNER, BANNER_END, REFUSAL, erase


@pytest.fixture
def bills(users):
    """Two bills of the same hospital: one under review of a patient on record, one under review and one approved
    of a patient erased since."""
    hospital = make_hospital()
    kept = make_approved_bill(
        make_invoicing_case(patient=make_patient(name="Kept Patient"), hospital=hospital), status="under_review"
    )
    patient = make_patient(name="Gone Patient")
    case = make_invoicing_case(patient=patient, hospital=hospital)
    reviewed = make_approved_bill(case, status="under_review")
    approved = make_approved_bill(case, status="approved")
    db.session.commit()
    erase(patient)
    return kept, reviewed, approved


def test_an_erased_patients_bills_are_in_no_bill_list(bills):
    kept, _reviewed, _approved = bills
    assert [entry.bill.id for entry in listing.list_bills().items] == [kept.id]
    assert listing.list_bills(needs_review=True).total == 1
    assert listing.list_bills(status="approved").total == 0


def test_the_bill_list_page_shows_no_erased_patients_bill(as_role, bills):
    kept, reviewed, approved = bills
    page = page_text(as_role("finance").get("/billing/bills"))
    assert (
        f"/billing/bills/{kept.id}" in page
        and f"/billing/bills/{reviewed.id}" not in page
        and f"/billing/bills/{approved.id}" not in page
    )


def test_the_savings_report_still_counts_an_erased_patients_bills(bills):
    report = savings_report(year_period(2026))
    (row,) = report.rows
    assert row.bills == 3  # each bill its own chain: the erased patient's two with the other


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_administrators_read_an_erased_patients_bill_under_the_banner(as_role, bills, role):
    _kept, reviewed, _approved = bills
    page = page_text(as_role(role).get(f"/billing/bills/{reviewed.id}"))
    assert BANNER in page and BANNER_END in page
    assert f"/billing/bills/{reviewed.id}/approve" not in page and f"/billing/bills/{reviewed.id}/lines" not in page


def test_a_coordinator_finds_no_erased_patients_bill(as_role, bills):
    kept, reviewed, _approved = bills
    client = as_role("coordinator")
    assert client.get(f"/billing/bills/{reviewed.id}").status_code == 404
    assert client.get(f"/billing/bills/{reviewed.id}/original").status_code == 404
    assert client.get(f"/billing/bills/{kept.id}").status_code == 200


def test_an_erased_patients_bill_is_changed_by_nobody(as_role, users, bills):
    _kept, reviewed, approved = bills
    line = listing.get_bill(reviewed.id, with_lines=True).lines[0]
    for attempt in (
        lambda: review.start_review(reviewed.id, actor_id=None),
        lambda: review.decide_line(line.id, "disputed", "Too dear", actor_id=None),
        lambda: review.approve_bill(reviewed.id, actor_id=None, override_note="Checked by phone with them"),
        lambda: review.dispute_bill(reviewed.id, actor_id=None),
        lambda: review.mark_paid(approved.id, date(2026, 11, 20), actor_id=None),
        lambda: receiving.add_line(
            reviewed.id,
            service_date="2026-10-20",
            code="SC-009",
            description="Extra",
            quantity="1",
            unit_price="10.00",
            currency="EUR",
            actor_id=None,
        ),
        lambda: receiving.receive_bill(reviewed.case_id, None, "", "H-NEW", date(2026, 11, 3), None),
    ):
        with pytest.raises(RecordRestricted):
            attempt()
        db.session.rollback()
    response = as_role("finance").post(
        f"/billing/bills/{approved.id}/paid", data={"paid_on": "2026-11-20", "version": "1"}
    )
    assert response.status_code == 409 and REFUSAL in page_text(response)
    db.session.expire_all()
    assert db.session.get(HospitalBill, approved.id).status == "approved"
