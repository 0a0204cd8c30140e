"""A German-speaking coordinator gets the medicine orders and the pharmacies in German: the order form, the order
page, a refused form, a flash message; the portal invitation on the case page and its link page too."""

from __future__ import annotations

import pytest

from backoffice.extensions import db
from backoffice.shipments import operations
from tests.directory.pages import assert_pages_say
from tests.factories import make_case, make_patient
from tests.helpers import page_text
from tests.shipments.factories import make_pharmacy, make_prescription, order_input


@pytest.fixture
def case(users):
    patient = make_patient(name="Amira Haddad", country="AE", email="amira@example.org", preferred_language="ar")
    patient.address = "Villa 12, Al Wasl Road, Dubai"
    case = make_case(patient=patient, state="discharged", coordinator=users["coordinator"])
    db.session.commit()
    return case


def test_a_german_speaking_coordinator_sees_medicine_orders_in_german(as_german, case, users):
    pharmacy = make_pharmacy(name="Apotheke am Römer")
    prescription = make_prescription(case, uploaded_by=users["coordinator"])
    order = operations.create_order(case.id, order_input(pharmacy, prescription), actor_id=None)
    db.session.commit()
    client = as_german("coordinator")
    pages = {
        f"/medicine-orders/{order.id}": [
            f"Medikamentenbestellung #{order.id}",
            "Entwurf",
            "Ein Entwurf: An die Apotheke geht nichts, bevor er eingereicht wird.",
            "Lieferung",
            "Vereinigte Arabische Emirate",
            "Sandbox-Apotheke (Testmodus)",
            "Ja: gekühlt bis zur Haustür",
        ],
        f"/cases/{case.id}/medicine-orders/new": [
            "Neue Medikamentenbestellung",
            "Apotheke wählen",
            "Lieferland",
            "Alles funktioniert",
            "Entwurf speichern",
        ],
        "/pharmacies": ["Apotheken", "Kühlkette", "Deutschland"],
        f"/cases/{case.id}": ["Medikamentenbestellungen", "Patientenportal", "Ins Portal einladen"],
    }
    assert_pages_say(client, pages, "de")


def test_a_german_speaking_coordinator_is_refused_and_told_in_german(as_german, case, users):
    pharmacy = make_pharmacy(name="Apotheke am Römer")
    prescription = make_prescription(case, uploaded_by=users["coordinator"])
    db.session.commit()
    client = as_german("coordinator")
    data = {
        "pharmacy_id": str(pharmacy.id),
        "prescription_id": str(prescription.id),
        "delivery_country": "AE",
        "cold_chain": "y",
        "sandbox_behaviour": "normal",
        "action": "draft",
        "items-0-medicine": "Insulin glargine",
        "items-0-quantity": "zehn",
    }
    refused = client.post(f"/cases/{case.id}/medicine-orders/new", data=data)
    page = page_text(refused)
    assert refused.status_code == 422 and '<html lang="de"' in page
    assert "Nichts wurde gespeichert: Position 1: die Menge ist eine ganze Zahl wie 3." in page

    saved = client.post(f"/cases/{case.id}/medicine-orders/new", data={**data, "items-0-quantity": "10"})
    assert saved.status_code == 302
    page = page_text(client.get(saved.headers["Location"]))
    assert "als Entwurf gespeichert." in page


def test_a_german_speaking_admin_invites_a_patient_and_reads_the_link_page_in_german(as_german, case):
    client = as_german("admin")
    response = client.post(f"/cases/{case.id}/portal-invite")
    page = page_text(response)
    assert response.status_code == 200 and '<html lang="de"' in page
    assert "Portaleinladung für Amira Haddad" in page and "Gesendet an" in page and "Zurück zum Fall" in page


def test_a_german_speaking_admin_adds_a_pharmacy_in_german(as_german):
    client = as_german("admin")
    page = page_text(client.get("/pharmacies/new"))
    assert '<html lang="de"' in page and "Apotheke hinzufügen" in page and "Land wählen" in page
    refused = client.post("/pharmacies/new", data={"name": "Apotheke am Römer", "country": "XX", "provider": "sandbox"})
    assert refused.status_code == 422
    assert "Land: 'XX' ist kein zweistelliger Ländercode (wie DE, GB, AE)." in page_text(refused)
