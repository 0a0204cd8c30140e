"""An erased patient's supplier invoices: their page and original for finance and administrators only, under the
restriction banner and without the decision form; none received or decided any more (`patients.restriction`)."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.extensions import db
from backoffice.patients.models import Patient
from backoffice.patients.restriction import RecordRestricted
from backoffice.suppliers import receiving
from backoffice.suppliers.models import SupplierInvoice
from tests.helpers import page_text
from tests.patients.factories import BANNER, BANNER_END, REFUSAL, erase
from tests.suppliers.test_receiving import hotel_cii, stay_case  # noqa: F401 (stay_case: a fixture)


@pytest.fixture
def received(users, stay_case):  # noqa: F811
    """A hotel's invoice received for the case before its patient was erased."""
    case, _stay = stay_case
    invoice = receiving.receive_supplier_invoice(case.id, "hotel", hotel_cii(), "invoice.xml", users["finance"].id)
    db.session.commit()
    erase(db.session.get(Patient, case.patient_id))
    return case, invoice


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_administrators_read_an_erased_patients_supplier_invoice_under_the_banner(as_role, received, role):
    _case, invoice = received
    client = as_role(role)
    page = page_text(client.get(f"/supplier-invoices/{invoice.id}"))
    assert BANNER in page and BANNER_END in page and f"/supplier-invoices/{invoice.id}/decision" not in page
    assert client.get(f"/supplier-invoices/{invoice.id}/original").status_code == 200


def test_a_coordinator_finds_no_erased_patients_supplier_invoice(as_role, received):
    _case, invoice = received
    client = as_role("coordinator")
    assert client.get(f"/supplier-invoices/{invoice.id}").status_code == 404
    assert client.get(f"/supplier-invoices/{invoice.id}/original").status_code == 404


def test_an_erased_patients_supplier_invoice_is_neither_received_nor_decided(as_role, users, received):
    case, invoice = received
    response = as_role("finance").post(
        f"/supplier-invoices/{invoice.id}/decision", data={"decision": "approved", "version": invoice.version}
    )
    assert response.status_code == 409 and REFUSAL in page_text(response)
    with pytest.raises(RecordRestricted):
        receiving.receive_supplier_invoice(
            case.id, "hotel", hotel_cii("VK-2026-312", start=date(2026, 3, 12)), "b.xml", None
        )
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(SupplierInvoice, invoice.id).status == invoice.status
    assert db.session.scalar(db.select(db.func.count()).select_from(SupplierInvoice)) == 1
