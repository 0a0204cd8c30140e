"""A hospital's VAT ID: entered on the hospital form, stored in one form (capitals, no spaces), checked for its shape,
audit-logged, shown on the hospital page; the hospital's e-invoices are held against it (tests/billing)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from backoffice.directory import operations
from backoffice.directory.models import Hospital
from backoffice.directory.values import DirectoryError
from backoffice.extensions import db
from backoffice.trail import AuditEvent

HOSPITAL = {
    "code": "FRA-SCF",
    "name": "Sample Clinic Frankfurt",
    "city": "Frankfurt am Main",
    "country": "DE",
    "languages": "de, en",
    "timezone": "Europe/Berlin",
}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def hospital():
    hospital = operations.create_hospital(**HOSPITAL)
    db.session.commit()
    return hospital


def test_a_vat_id_is_stored_in_capitals_without_spaces_and_audited(hospital, users):
    operations.update_hospital(hospital.id, **HOSPITAL, vat_id=" de 811.234.567 ", actor_id=users["admin"].id)
    db.session.commit()
    assert db.session.get(Hospital, hospital.id).vat_id == "DE811234567"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "hospital_updated")).one()
    assert "vat_id" in str(event.details)


@pytest.mark.parametrize("value", ["811234567", "DE81123456", "DE8112345678X", "D", "DE 811 234 56A", "X" * 30])
def test_a_vat_id_of_the_wrong_shape_is_refused(hospital, value):
    with pytest.raises(DirectoryError, match="VAT ID"):
        operations.update_hospital(hospital.id, **HOSPITAL, vat_id=value, actor_id=None)


def test_other_countries_vat_ids_keep_their_letters(hospital):
    operations.update_hospital(hospital.id, **HOSPITAL, vat_id="ATU12345678", actor_id=None)
    assert hospital.vat_id == "ATU12345678"


def test_the_vat_id_is_entered_on_the_form_and_shown_on_the_page(as_role, hospital):
    client = as_role("coordinator")
    assert "VAT ID" in text(client.get(f"/directory/hospitals/{hospital.id}/edit"))
    response = client.post(f"/directory/hospitals/{hospital.id}/edit", data={**HOSPITAL, "vat_id": "DE811234567"})
    assert response.status_code == 302
    assert "DE811234567" in text(client.get(response.headers["Location"]))


def test_a_wrong_vat_id_on_the_form_is_a_422_and_nothing_changes(as_role, hospital):
    client = as_role("coordinator")
    data = {**HOSPITAL, "name": "Changed", "vat_id": "DE12"}
    response = client.post(f"/directory/hospitals/{hospital.id}/edit", data=data)
    assert response.status_code == 422
    assert "German VAT ID is DE and nine digits" in text(response)
    db.session.expire_all()
    stored = db.session.get(Hospital, hospital.id)
    assert (stored.name, stored.vat_id) == ("Sample Clinic Frankfurt", "")


def test_a_hospital_without_a_vat_id_says_its_e_invoices_wait_for_one(as_role, hospital):
    page = text(as_role("finance").get(f"/directory/hospitals/{hospital.id}"))
    assert "none on record: its e-invoices are not received until it is entered" in page
