"""Hospital bill pages: finance and administrators receive and work bills, coordinators read them, patients see
nothing; bad input gets a message and a 4xx, and nothing is stored."""

from __future__ import annotations

import html
import io
from datetime import date
from pathlib import Path

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from backoffice.billing.bills import listing, receiving, review, states
from backoffice.billing.bills.csv_file import HEADER
from backoffice.billing.models import BillLine, HospitalBill
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.cases.models import CaseEvent
from backoffice.cases.operations import get_case
from backoffice.extensions import db
from tests.factories import make_case, make_hospital
from tests.helpers import login_as

SAMPLES = Path(__file__).parent / "samples"
TODAY = date.today()
BILL = "\n".join(
    [HEADER, "1,2026-03-01,T00053,cryopreservation,1,9000.00,EUR", "2,2026-03-01,T00056,cryopreservation,1,7276.61,EUR"]
).encode()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def stored() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(HospitalBill)),
        db.session.scalar(select(func.count()).select_from(BillLine)),
    )


def upload(client, case_id: int, data: bytes | None, reference: str = "INV-1", **kwargs):
    form = {"reference": reference, "received_on": TODAY.isoformat()}
    if data is not None:
        form["file"] = (io.BytesIO(data), "bill.csv")
    return client.post(f"/billing/cases/{case_id}/bills/new", data=form, **kwargs)


@pytest.fixture
def hospital():
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    import_tariff(hospital.id, (SAMPLES / "tariffs.csv").read_bytes(), "tariffs.csv", None)
    db.session.commit()
    return hospital


@pytest.fixture
def case(hospital):
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    return case


@pytest.fixture
def bill(case, users):
    bill = receiving.receive_bill(case.id, BILL, "bill.csv", "INV-1", TODAY, users["finance"].id)
    db.session.commit()
    return bill


def under_review(bill, users):
    review.start_review(bill.id, actor_id=users["finance"].id)
    db.session.commit()
    return fresh(bill.id)


def second_client(app, user):
    """Another browser, signed in as `user` (the `as_role` client stays signed in as its first role)."""
    client = app.test_client()
    login_as(client, user)
    return client


def fresh(bill_id: int) -> HospitalBill:
    """The bill as stored now (after the requests' own sessions changed it)."""
    db.session.expire_all()
    return listing.get_bill(bill_id)


def first_line(bill_id: int) -> BillLine:
    db.session.expire_all()
    return db.session.scalars(select(BillLine).where(BillLine.bill_id == bill_id).order_by(BillLine.position)).first()


# ---------------------------------------------------------------------------------------------- receiving


def test_finance_uploads_a_bill_and_sees_its_findings(as_role, case):
    client = as_role("finance")
    page = text(client.get(f"/billing/cases/{case.id}/bills/new"))
    assert "Receive a hospital bill" in page and "tariffs.csv" in page
    response = upload(client, case.id, (SAMPLES / "bill.csv").read_bytes())
    assert response.status_code == 302
    bill_id = db.session.scalar(select(HospitalBill.id))
    page = text(client.get(response.headers["Location"]))
    assert "Bill INV-1 received: 84 lines audited." in page
    assert "Overcharged (16)" in page and "Unknown code (8)" in page and "Unreadable (3)" in page
    assert "€49,071.55" in page  # overcharge
    assert "$54,298.50" in page  # unpriced, in USD
    assert "Surcharge coefficient" not in page
    overcharged = text(client.get(f"/billing/bills/{bill_id}?status=overcharged"))
    assert overcharged.count('class="badge line-status-overcharged"') == 16
    assert 'class="badge line-status-ok"' not in overcharged


def test_a_surcharge_coefficient_is_shown_highlighted(as_role, case):
    rows = [f"{n},2026-03-01,T00053,x,{n},{8467.34 * 1.3:.2f},EUR" for n in range(1, 4)]
    upload(as_role("finance"), case.id, "\n".join([HEADER, *rows]).encode())
    bill_id = db.session.scalar(select(HospitalBill.id))
    page = text(as_role("finance").get(f"/billing/bills/{bill_id}"))
    assert 'class="stat stat-warn" id="surcharge"' in page and "charged 1.30 times the resident price" in page


def test_an_upload_for_a_hospital_without_tariff_is_refused_with_a_message(as_role, users):
    hospital = make_hospital("FRA-XYZ")
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    response = upload(as_role("finance"), case.id, BILL)
    assert response.status_code == 422
    assert "FRA-XYZ has no resident tariff yet; import it first" in text(response)
    assert stored() == (0, 0)


def test_a_bad_csv_is_refused_with_a_message_and_nothing_stored(as_role, case):
    response = upload(as_role("finance"), case.id, b"code;price\nT1;12")
    assert response.status_code == 422
    assert "'price' is not a bill column" in text(response)
    assert "(this file is separated by semicolons)" in text(response)
    assert stored() == (0, 0)


def test_a_missing_invoice_number_is_refused(as_role, case):
    response = upload(as_role("finance"), case.id, BILL, reference="")
    assert response.status_code == 422
    assert "Enter the hospital's invoice number." in text(response)
    assert stored() == (0, 0)


def test_an_upload_without_csrf_token_is_refused(as_role, case):
    assert upload(as_role("finance"), case.id, BILL, csrf=False).status_code == 400
    assert stored() == (0, 0)


def test_a_bill_without_file_is_entered_line_by_line(as_role, case):
    client = as_role("finance")
    response = upload(client, case.id, None)
    assert response.status_code == 302
    bill = fresh(db.session.scalar(select(HospitalBill.id)))
    form = {
        "version": bill.version,
        "service_date": "2026-03-01",
        "code": "T00053",
        "description": "cryopreservation",
        "quantity": "1",
        "unit_price": "9000.00",
        "currency": "EUR",
    }
    response = client.post(f"/billing/bills/{bill.id}/lines", data=form)
    assert response.status_code == 302
    assert "Line 1 added: overcharged." in text(client.get(response.headers["Location"]))
    assert first_line(bill.id).status == "overcharged"


def test_unknown_cases_and_bills_are_not_found(as_role, bill):
    client = as_role("finance")
    assert client.get("/billing/cases/999999/bills/new").status_code == 404
    assert client.get("/billing/bills/999999").status_code == 404


# ---------------------------------------------------------------------------------------------- who may do what


def test_coordinators_read_a_bill_but_cannot_work_it(as_role, bill, users):
    client = as_role("coordinator")
    page = text(client.get(f"/billing/bills/{bill.id}"))
    assert "Bill INV-1" in page and "Start the review" not in page and "Accept</button>" not in page
    assert client.get("/billing/bills").status_code == 403
    assert client.get(f"/billing/cases/{bill.case_id}/bills/new").status_code == 403
    response = client.post(f"/billing/bills/{bill.id}/review", data={"version": bill.version})
    assert response.status_code == 403
    assert fresh(bill.id).status == "received"


def test_patients_see_no_bill(as_role, bill):
    client = as_role("patient")
    assert client.get(f"/billing/bills/{bill.id}").status_code == 403
    assert client.get("/billing/bills").status_code == 403
    assert upload(client, bill.case_id, BILL, reference="INV-9").status_code == 403
    assert stored() == (1, 2)


# ---------------------------------------------------------------------------------------------- decisions


def test_finance_decides_lines_and_the_decisions_reach_the_case_timeline(app, as_role, bill, users):
    bill = under_review(bill, users)
    line = first_line(bill.id)
    client = as_role("finance")
    response = client.post(
        f"/billing/bills/{bill.id}/lines/{line.id}/decision",
        data={"version": bill.version, "decision": "disputed", "reason": "Resident price is 8467.34"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (first_line(bill.id).decision, first_line(bill.id).decision_reason) == (
        "disputed",
        "Resident price is 8467.34",
    )
    note = db.session.scalars(select(CaseEvent.note).order_by(CaseEvent.id.desc())).first()
    assert note == "Bill INV-1: line 1 (T00053, overcharged) disputed: Resident price is 8467.34"
    case_page = text(second_client(app, users["admin"]).get(f"/cases/{bill.case_id}"))
    assert "Bill INV-1: line 1 (T00053, overcharged) disputed" in case_page


def test_a_dispute_without_reason_is_refused_with_422(as_role, bill, users):
    bill = under_review(bill, users)
    line = first_line(bill.id)
    response = as_role("finance").post(
        f"/billing/bills/{bill.id}/lines/{line.id}/decision", data={"version": bill.version, "decision": "disputed"}
    )
    assert response.status_code == 422
    assert "Say why line 1 is disputed" in text(response)
    assert first_line(bill.id).decision is None


def test_a_line_of_another_bill_is_not_found(as_role, bill, case, users):
    other = receiving.receive_bill(case.id, BILL, "other.csv", "INV-2", TODAY, None)
    db.session.commit()
    bill = under_review(bill, users)
    response = as_role("finance").post(
        f"/billing/bills/{bill.id}/lines/{first_line(other.id).id}/decision",
        data={"version": bill.version, "decision": "accepted"},
    )
    assert response.status_code == 404


def test_a_decision_on_an_outdated_page_is_refused_with_409(as_role, bill, users):
    bill = under_review(bill, users)
    seen = bill.version
    line = first_line(bill.id)
    client = as_role("finance")
    assert (
        client.post(
            f"/billing/bills/{bill.id}/lines/{line.id}/decision", data={"version": seen, "decision": "accepted"}
        ).status_code
        == 302
    )
    response = client.post(f"/billing/bills/{bill.id}/approve", data={"version": seen})
    assert response.status_code == 409
    assert "changed by someone else" in text(response)
    assert fresh(bill.id).status == "under_review"


def test_a_form_without_version_is_refused_with_422(as_role, bill):
    response = as_role("finance").post(f"/billing/bills/{bill.id}/review", data={})
    assert response.status_code == 422
    assert "reload the page" in text(response)
    assert fresh(bill.id).status == "received"


# ---------------------------------------------------------------------------------------------- the workflow


def test_approval_with_undecided_findings_needs_an_override_note(as_role, bill, users):
    bill = under_review(bill, users)
    client = as_role("finance")
    page = text(client.get(f"/billing/bills/{bill.id}"))
    assert "Undecided findings: 1 overcharged" in page and "Approve with override" in page
    response = client.post(f"/billing/bills/{bill.id}/approve", data={"version": bill.version})
    assert response.status_code == 422
    assert "still has undecided findings (1 overcharged)" in text(response)
    response = client.post(
        f"/billing/bills/{bill.id}/approve", data={"version": bill.version, "override_note": "Agreed by phone"}
    )
    assert response.status_code == 302
    approved = fresh(bill.id)
    assert (approved.status, approved.override_note) == ("approved", "Agreed by phone")
    assert "Agreed by phone" in text(client.get(f"/billing/bills/{bill.id}"))


def test_dispute_correction_approval_and_payment_through_the_pages(app, as_role, bill, users):
    bill = under_review(bill, users)
    client = as_role("finance")
    line = first_line(bill.id)
    client.post(
        f"/billing/bills/{bill.id}/lines/{line.id}/decision",
        data={"version": bill.version, "decision": "disputed", "reason": "Above the resident price"},
    )
    bill = fresh(bill.id)
    response = client.post(f"/billing/bills/{bill.id}/dispute", data={"version": bill.version, "note": "Fix line 1"})
    assert response.status_code == 302
    bill = fresh(bill.id)
    assert bill.status == "disputed"
    assert "Receive the corrected bill" in text(client.get(f"/billing/bills/{bill.id}"))

    corrected = BILL.replace(b"9000.00", b"8467.34")
    response = client.post(
        f"/billing/bills/{bill.id}/correction",
        data={
            "version": bill.version,
            "reference": "INV-1-C",
            "received_on": TODAY.isoformat(),
            "file": (io.BytesIO(corrected), "fixed.csv"),
        },
    )
    assert response.status_code == 302
    correction = db.session.scalar(select(HospitalBill).where(HospitalBill.reference == "INV-1-C"))
    assert response.headers["Location"].endswith(f"/billing/bills/{correction.id}")
    assert (correction.status, correction.supersedes_id) == ("under_review", bill.id)
    old_page = text(client.get(f"/billing/bills/{bill.id}"))
    assert "Corrected by" in old_page and "Receive the corrected bill" not in old_page

    assert (
        client.post(f"/billing/bills/{correction.id}/approve", data={"version": correction.version}).status_code == 302
    )
    correction = fresh(correction.id)
    response = client.post(
        f"/billing/bills/{correction.id}/paid", data={"version": correction.version, "paid_on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    assert fresh(correction.id).status == "paid"

    case_page = text(second_client(app, users["coordinator"]).get(f"/cases/{bill.case_id}"))
    assert f"Bill INV-1-C: paid on {TODAY.isoformat()}" in case_page


def test_a_bad_payment_date_is_refused_with_422(as_role, bill, users):
    bill = under_review(bill, users)
    review.decide_line(first_line(bill.id).id, "accepted", "", actor_id=users["finance"].id)
    review.approve_bill(bill.id, actor_id=users["finance"].id)
    db.session.commit()
    bill = fresh(bill.id)
    response = as_role("finance").post(f"/billing/bills/{bill.id}/paid", data={"version": bill.version, "paid_on": "x"})
    assert response.status_code == 422
    assert "Enter the payment date" in text(response)
    assert fresh(bill.id).status == "approved"


# ---------------------------------------------------------------------------------------------- lists


def test_the_bill_list_runs_a_fixed_number_of_statements(as_role, case, count_queries):
    client = as_role("finance")
    receiving.receive_bill(case.id, BILL, "b.csv", "INV-1", TODAY, None)
    db.session.commit()
    with count_queries() as few:
        page = text(client.get("/billing/bills?needs_review=1"))
    assert "INV-1" in page and "€1,723.39" not in page and "€532.66" in page
    for n in range(2, 12):
        receiving.receive_bill(case.id, BILL, "b.csv", f"INV-{n}", TODAY, None)
    db.session.commit()
    with count_queries() as many:
        page = text(client.get("/billing/bills?status=received"))
    assert "INV-11" in page
    assert len(many) == len(few)


def test_the_case_bills_partial_lists_bills_with_a_link_and_the_receive_button(app, bill, users):
    with app.test_request_context():
        login_user(users["finance"])
        page = render_template(
            "billing/_case_bills.html",
            case=get_case(bill.case_id),
            bills=listing.bills_of_case(bill.case_id),
            billable_states=states.BILLABLE_STATES,
        )
    page = html.unescape(page)
    assert f'href="/billing/bills/{bill.id}">INV-1</a>' in page
    # Issue 14: the case page shows the bill's whole total and what was found (disputed), not the audit's overcharge.
    assert "€16,276.61" in page and "€532.66" not in page
    assert "Receive a bill" in page
