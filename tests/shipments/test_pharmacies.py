"""The pharmacy directory: administrators add and change pharmacies, coordinators read the list, finance and
patients see nothing. Bad input gets a message and a 4xx, and nothing is stored."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from backoffice.config import settings
from backoffice.extensions import db
from backoffice.shipments import pharmacies
from backoffice.shipments.models import Pharmacy
from backoffice.trail import AuditEvent
from tests.helpers import change_settings
from tests.shipments.factories import make_pharmacy, submitted_order

GOOD = {
    "name": "Apotheke am Römer",
    "country": "DE",
    "city": "Frankfurt am Main",
    "address": "Römerberg 1\n60311 Frankfurt am Main",
    "email": "Orders@Roemer-Apotheke.example",
    "phone": "+49 69 123 456",
    "provider": "sandbox",
    "cold_chain": "y",
    "active": "y",
}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_an_admin_adds_a_pharmacy_and_it_is_listed_with_its_provider(as_role):
    client = as_role("admin")
    page = text(client.get("/pharmacies/new"))
    assert "New pharmacy" in page and "Sandbox pharmacy (test mode)" in page
    response = client.post("/pharmacies/new", data=GOOD)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Apotheke am Römer is in the pharmacy directory." in page
    assert "Frankfurt am Main" in page and "Germany" in page and "Sandbox pharmacy (test mode)" in page
    pharmacy = db.session.scalar(select(Pharmacy))
    assert (pharmacy.email, pharmacy.cold_chain, pharmacy.active) == ("orders@roemer-apotheke.example", True, True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pharmacy_created"))
    assert event.object_id == str(pharmacy.id) and event.details["provider"] == "sandbox"


def test_an_admin_changes_a_pharmacy_and_the_change_is_audited(as_role):
    pharmacy = make_pharmacy(name="Apotheke am Römer", cold_chain=True)
    db.session.commit()
    client = as_role("admin")
    page = text(client.get(f"/pharmacies/{pharmacy.id}/edit"))
    assert 'value="Apotheke am Römer"' in page
    response = client.post(f"/pharmacies/{pharmacy.id}/edit", data={**GOOD, "cold_chain": None, "active": None})
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Pharmacy, pharmacy.id)
    assert (changed.cold_chain, changed.active) == (False, False)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pharmacy_updated"))
    assert event.details["cold_chain"] == [True, False] and event.details["active"] == [True, False]
    assert "pharmacy_updated" in text(client.get(f"/pharmacies/{pharmacy.id}/edit"))  # the changes, on the page
    assert "Deactivated" in text(client.get("/pharmacies"))


BAD = {
    "no name": ({"name": "  "}, "Enter the pharmacy's name."),
    "huge name": ({"name": "x" * 10_000}, "Field cannot be longer than 200 characters."),
    "bad country": ({"country": "XX"}, "Country: 'XX' is not a two-letter country code"),
    "no country": ({"country": ""}, "is not a two-letter country code"),
    "bad email": ({"email": "orders at example"}, "is not an email address"),
    "bad phone": ({"phone": "call us"}, "is not a phone number"),
    "unknown provider": ({"provider": "acme"}, "Choose the provider from the list (sandbox)."),
}


@pytest.mark.parametrize("changes, message", BAD.values(), ids=BAD.keys())
def test_a_bad_pharmacy_is_refused_with_a_message_and_nothing_stored(as_role, changes, message):
    response = as_role("admin").post("/pharmacies/new", data={**GOOD, **changes})
    assert response.status_code == 422
    assert message in text(response)
    assert count(Pharmacy) == 0 and count(AuditEvent, AuditEvent.action.like("pharmacy%")) == 0


def test_a_bad_change_leaves_the_pharmacy_as_it_was(as_role):
    pharmacy = make_pharmacy(name="Apotheke am Römer")
    db.session.commit()
    response = as_role("admin").post(f"/pharmacies/{pharmacy.id}/edit", data={**GOOD, "name": "Other", "country": "XX"})
    assert response.status_code == 422 and "is not a two-letter country code" in text(response)
    db.session.expire_all()
    assert db.session.get(Pharmacy, pharmacy.id).name == "Apotheke am Römer"


def test_the_same_pharmacy_twice_in_one_city_is_refused(as_role):
    make_pharmacy(name="Apotheke am Römer")
    db.session.commit()
    response = as_role("admin").post("/pharmacies/new", data={**GOOD, "name": "apotheke AM römer"})
    assert response.status_code == 422
    assert "apotheke AM römer, Frankfurt am Main is already in the directory." in text(response)
    assert count(Pharmacy) == 1


def test_an_unknown_pharmacy_is_not_found(as_role):
    client = as_role("admin")
    assert client.get("/pharmacies/999999/edit").status_code == 404
    assert client.post("/pharmacies/999999/edit", data=GOOD).status_code == 404


def test_the_provider_of_a_pharmacy_with_orders_on_the_way_does_not_change(app, monkeypatch):
    order = submitted_order()
    change_settings(
        monkeypatch,
        app,
        pharmacy_providers={**settings(app).pharmacy_providers, "acme": "backoffice.shipments.sandbox:SandboxPharmacy"},
    )
    fields = {key: value for key, value in GOOD.items() if key not in ("cold_chain", "active")}
    with pytest.raises(pharmacies.PharmacyError, match="has 1 order on the way"):
        pharmacies.update_pharmacy(order.pharmacy_id, actor_id=None, **{**fields, "provider": "acme"})


def test_coordinators_read_the_directory_but_do_not_change_it(as_role):
    pharmacy = make_pharmacy()
    db.session.commit()
    client = as_role("coordinator")
    page = text(client.get("/pharmacies"))
    assert pharmacy.name in page and "New pharmacy" not in page and "/edit" not in page
    assert client.get("/pharmacies/new").status_code == 403
    assert client.post("/pharmacies/new", data=GOOD).status_code == 403
    assert client.post(f"/pharmacies/{pharmacy.id}/edit", data={**GOOD, "name": "Renamed"}).status_code == 403
    assert count(Pharmacy, Pharmacy.name == "Renamed") == 0


@pytest.mark.parametrize("role", ["finance", "patient"])
def test_finance_and_patients_do_not_reach_the_directory(as_role, role):
    pharmacy = make_pharmacy()
    db.session.commit()
    client = as_role(role)
    assert client.get("/pharmacies").status_code == 403
    assert client.get(f"/pharmacies/{pharmacy.id}/edit").status_code == 403
    assert client.post("/pharmacies/new", data=GOOD).status_code == 403


def test_the_pharmacy_list_runs_a_fixed_number_of_statements(as_role, count_queries):
    client = as_role("admin")
    make_pharmacy(name="Pharmacy 0")
    db.session.commit()
    with count_queries() as few:
        assert client.get("/pharmacies").status_code == 200
    for n in range(1, 30):
        make_pharmacy(name=f"Pharmacy {n}", active=n % 3 != 0)
    db.session.commit()
    with count_queries() as many:
        page = text(client.get("/pharmacies"))
    assert "Pharmacy 29" in page
    assert len(many) == len(few)
