"""A hospital's documented foreign-patient coefficient: from 1 to 5 with at most 4 decimals, never without its source;
changed on the hospital form, audit-logged, shown on the hospital page beside its international price list."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.billing.tariffs import importing
from backoffice.billing.tariffs.csv_file import HEADER
from backoffice.directory import operations
from backoffice.directory.models import Hospital
from backoffice.directory.values import DirectoryError
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import make_hospital

SOURCE = "Hospital's price list for international patients, 2026"
HOSPITAL = {
    "code": "FRA-ABM",
    "name": "Asklepios Bad Homburg",
    "city": "Bad Homburg",
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


def set_coefficient(hospital, coefficient, source=SOURCE, actor_id=None):
    return operations.update_hospital(
        hospital.id,
        **HOSPITAL,
        foreign_coefficient=coefficient,
        foreign_coefficient_source=source,
        actor_id=actor_id,
    )


def test_a_coefficient_with_its_source_is_stored_exactly_and_audited(hospital, users):
    set_coefficient(hospital, " 1,85 ", f" {SOURCE} ", actor_id=users["admin"].id)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Hospital, hospital.id)
    assert (stored.foreign_coefficient, stored.foreign_coefficient_source) == (Decimal("1.8500"), SOURCE)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "hospital_updated")).one()
    assert event.details == {
        "foreign_coefficient": [None, "1.8500"],
        "foreign_coefficient_source": ["", SOURCE],
    }


def test_a_coefficient_without_a_source_is_refused(hospital):
    with pytest.raises(DirectoryError, match="Enter the source of the foreign-patient coefficient"):
        set_coefficient(hospital, "1.8", "  ")


@pytest.mark.parametrize("coefficient", ["0.9999", "0", "-1.5"])
def test_a_coefficient_below_1_is_refused(hospital, coefficient):
    with pytest.raises(DirectoryError, match="is outside 1 to 5"):
        set_coefficient(hospital, coefficient)


@pytest.mark.parametrize(
    ("coefficient", "message"),
    [
        ("5.0001", "is outside 1 to 5"),
        ("1.80001", "has at most 4 decimal places"),
        ("1.8x", "is not an amount"),
        ("NaN", "is not an amount"),
    ],
)
def test_a_coefficient_above_5_too_fine_or_not_a_number_is_refused(hospital, coefficient, message):
    with pytest.raises(DirectoryError, match=message):
        set_coefficient(hospital, coefficient)


def test_a_source_without_a_coefficient_is_refused(hospital):
    with pytest.raises(DirectoryError, match="Enter the foreign-patient coefficient its source documents"):
        set_coefficient(hospital, "", SOURCE)


def test_the_bounds_1_and_5_are_allowed_and_emptying_both_removes_the_coefficient(hospital):
    assert set_coefficient(hospital, "1").foreign_coefficient == Decimal("1.0000")
    assert set_coefficient(hospital, "5.0000").foreign_coefficient == Decimal("5.0000")
    removed = set_coefficient(hospital, "", "")
    assert (removed.foreign_coefficient, removed.foreign_coefficient_source) == (None, "")


# ---------------------------------------------------------------------------------------------- the pages


def test_coordinator_sets_the_coefficient_on_the_hospital_form(as_role, hospital):
    client = as_role("coordinator")
    form = text(client.get(f"/directory/hospitals/{hospital.id}/edit"))
    assert "Foreign-patient coefficient" in form and "Source of the coefficient" in form
    data = {**HOSPITAL, "foreign_coefficient": "1.8", "foreign_coefficient_source": SOURCE}
    response = client.post(f"/directory/hospitals/{hospital.id}/edit", data=data)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "\u00d7 1.8" in page and f"Source: {SOURCE}" in page


def test_a_coefficient_without_a_source_on_the_form_is_a_422_and_nothing_changes(as_role, hospital):
    client = as_role("coordinator")
    data = {**HOSPITAL, "name": "Changed", "foreign_coefficient": "1.8", "foreign_coefficient_source": ""}
    response = client.post(f"/directory/hospitals/{hospital.id}/edit", data=data)
    assert response.status_code == 422
    assert "Enter the source of the foreign-patient coefficient" in text(response)
    db.session.expire_all()
    stored = db.session.get(Hospital, hospital.id)
    assert (stored.name, stored.foreign_coefficient) == ("Asklepios Bad Homburg", None)


def test_the_hospital_page_says_whether_an_international_list_exists(as_role, hospital):
    client = as_role("finance")
    page = text(client.get(f"/directory/hospitals/{hospital.id}"))
    section = page.split("What a foreign patient would pay", 1)[1].split("</section>", 1)[0]
    assert "none" in section and f"/billing/tariffs/{hospital.id}?kind=international" in section
    data = "\n".join([HEADER, "T1,ECG,180,EUR,2025-01-01,", "T2,MRI,900,EUR,2025-01-01,"]).encode()
    importing.import_tariff(hospital.id, data, "foreign.csv", None, kind="international")
    db.session.commit()
    page = text(client.get(f"/directory/hospitals/{hospital.id}"))
    section = page.split("What a foreign patient would pay", 1)[1].split("</section>", 1)[0]
    assert "2 items" in section


def test_a_hospital_made_elsewhere_shows_no_coefficient(as_role):
    other = make_hospital("IST-ACB")
    db.session.commit()
    page = text(as_role("coordinator").get(f"/directory/hospitals/{other.id}"))
    assert "Foreign-patient coefficient" in page
