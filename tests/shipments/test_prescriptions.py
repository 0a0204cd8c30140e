"""A medicine order rests on a prescription: a document of the case of type prescription, not removed."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.jobs import get_queue
from backoffice.shipments import operations
from backoffice.shipments.models import MedicineOrder
from tests.factories import make_case, make_patient
from tests.shipments.factories import make_pharmacy, make_prescription, order_input
from tests.shipments.test_views import form, new_order


@pytest.fixture(autouse=True)
def _empty_queue(app):
    get_queue().empty()
    yield
    get_queue().empty()


@pytest.fixture
def case(users):
    patient = make_patient(name="Amira Haddad", country="AE")
    patient.address = "Villa 12, Al Wasl Road, Dubai"
    case = make_case(patient=patient, state="discharged", coordinator=users["coordinator"])
    db.session.commit()
    return case


def lab_report(case, users):
    document = make_prescription(case, uploaded_by=users["coordinator"])
    document.document_type, document.original_filename = "medical_record", "lab-report.pdf"
    db.session.commit()
    return document


def count_orders() -> int:
    return db.session.scalar(select(func.count()).select_from(MedicineOrder))


def test_a_lab_report_is_refused_as_a_medicine_orders_prescription(as_role, case, users):
    report, pharmacy = lab_report(case, users), make_pharmacy()
    db.session.commit()

    response = new_order(as_role("coordinator"), case, form(pharmacy, report))

    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "“lab-report.pdf” is filed as “Medical record”, not as “Prescription”" in page
    assert count_orders() == 0


def test_the_prescription_choice_lists_only_prescriptions_that_were_not_removed(as_role, case, users):
    lab_report(case, users)
    kept = make_prescription(case, uploaded_by=users["coordinator"])
    removed = make_prescription(case, uploaded_by=users["coordinator"])
    removed.original_filename, removed.removed_at = "old-prescription.pdf", removed.uploaded_at
    db.session.commit()
    make_pharmacy()
    db.session.commit()

    page = as_role("coordinator").get(f"/cases/{case.id}/medicine-orders/new").get_data(as_text=True)

    assert f'value="{kept.id}"' in page
    assert "lab-report.pdf" not in page and "old-prescription.pdf" not in page


def test_a_removed_prescription_no_longer_lets_a_draft_be_submitted(case, users):
    prescription, pharmacy = make_prescription(case, uploaded_by=users["coordinator"]), make_pharmacy()
    order = operations.create_order(case.id, order_input(pharmacy, prescription), actor_id=None)
    prescription.removed_at = prescription.uploaded_at
    db.session.commit()

    with pytest.raises(operations.OrderError, match="was removed from the case"):
        operations.submit_order(order.id, actor_id=None, expected_version=None)


def test_a_prescription_retyped_as_something_else_is_refused_at_submission(case, users):
    prescription, pharmacy = make_prescription(case, uploaded_by=users["coordinator"]), make_pharmacy()
    order = operations.create_order(case.id, order_input(pharmacy, prescription), actor_id=None)
    prescription.document_type = "other"
    db.session.commit()

    with pytest.raises(operations.OrderError, match="is filed as “Other”, not as “Prescription”"):
        operations.submit_order(order.id, actor_id=None, expected_version=None)
