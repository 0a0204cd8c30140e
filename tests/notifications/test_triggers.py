"""What tells staff, at the moment it happens: a new request from the public form tells every active coordinator, a
failed medicine order and a hospital bill tell the case's coordinator. Each text is the case number and what happened,
never health data (it may leave by mail in the digest)."""

from __future__ import annotations

import html
from datetime import date

import pytest
from sqlalchemy import select

from backoffice.billing.bills import receiving
from backoffice.billing.bills.csv_file import HEADER
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.intake import operations as intake
from backoffice.notifications.models import Notification
from backoffice.shipments import steps
from tests.factories import make_case, make_hospital, make_user
from tests.helpers import login_as
from tests.shipments.factories import submitted_order

TREATMENT = "Relapsing multiple sclerosis"
TARIFF = (
    b"code,description,resident_price,currency,valid_from,valid_to\nT00053,cryopreservation,9000.00,EUR,2024-01-01,\n"
)
BILL = "\n".join([HEADER, "1,2026-03-01,T00053,cryopreservation,1,9000.00,EUR"]).encode()


def notifications() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).order_by(Notification.user_id, Notification.id)))


def test_a_request_from_the_public_form_tells_every_active_coordinator_once(users):
    gone = make_user("coordinator", email="gone@test.example", name="Gone Coordinator")
    gone.active = False
    db.session.commit()

    case = intake.submit_request(
        name="Olga Sidorova",
        email="olga@example.org",
        country="KZ",
        requested_treatment=TREATMENT,
        message="I cannot walk far",
        consent=True,
        remote_addr="192.0.2.30",
    )
    db.session.commit()

    told = notifications()
    assert [(n.user_id, n.kind, n.case_id) for n in told] == [(users["coordinator"].id, "new_request", case.id)]
    assert told[0].text == f"{case.number}: New request in the queue"
    assert told[0].link == f"/cases/{case.id}"
    assert TREATMENT not in told[0].text and "Olga" not in told[0].text


def test_a_request_refused_when_its_case_is_opened_tells_nobody(users):
    with pytest.raises(intake.RequestRejected):
        intake.submit_request(
            name="Olga Sidorova",
            email="olga at example",
            country="KZ",
            requested_treatment=TREATMENT,
            consent=True,
            remote_addr="192.0.2.31",
        )
    db.session.commit()
    assert notifications() == []


def test_a_failed_medicine_order_tells_the_case_coordinator_with_a_link_to_the_order(users):
    case = make_case(state="discharged", coordinator=users["coordinator"], requested_treatment=TREATMENT)
    order = submitted_order(case=case)

    steps.give_up({"order_id": order.id}, "prescription not accepted")
    steps.give_up({"order_id": order.id}, "prescription not accepted")  # the same failure seen twice: told once
    db.session.commit()

    told = notifications()
    assert [(n.user_id, n.kind) for n in told] == [(users["coordinator"].id, "medicine_order_failed")]
    assert told[0].text == f"{case.number}: Medicine order failed (order #{order.id})"
    assert told[0].link == f"/medicine-orders/{order.id}"


def test_a_received_hospital_bill_tells_the_case_coordinator_but_not_who_received_it(users):
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    import_tariff(hospital.id, TARIFF, "tariffs.csv", None)
    case = make_case(state="in_treatment", hospital_id=hospital.id, coordinator=users["coordinator"])
    db.session.commit()

    bill = receiving.receive_bill(case.id, BILL, "bill.csv", "INV-7", date.today(), users["finance"].id)
    db.session.commit()

    told = notifications()
    assert [(n.user_id, n.kind) for n in told] == [(users["coordinator"].id, "bill_received")]
    assert told[0].text == f"{case.number}: Hospital bill received for my case (bill INV-7)"
    assert told[0].link == f"/billing/bills/{bill.id}"

    receiving.receive_bill(case.id, None, "", "INV-8", date.today(), users["coordinator"].id)  # received by them
    db.session.commit()
    assert len(notifications()) == 1


def test_a_coordinator_sees_a_request_from_the_form_in_the_centre_and_opens_its_case(app, users):
    visitor = app.test_client()
    form = {
        "name": "Layla Haddad",
        "email": "layla@example.org",
        "country": "AE",
        "preferred_language": "en",
        "requested_treatment": TREATMENT,
        "phone": "+971 50 123 4567",
        "destination_country": "",
        "message": "",
        "consent": "y",
        "website": "",
    }
    assert visitor.post("/request", data=form).status_code == 302
    case_id, number = db.session.execute(select(Case.id, Case.number)).one()
    coordinator = app.test_client()
    login_as(coordinator, users["coordinator"])

    page = html.unescape(coordinator.get("/notifications/").get_data(as_text=True))

    assert 'aria-label="1 unread"' in page and f"{number}: New request in the queue" in page
    assert TREATMENT not in page and "Layla" not in page
    (notification,) = notifications()
    assert coordinator.get(f"/notifications/{notification.id}").headers["Location"] == f"/cases/{case_id}"
