"""A patient reads their treatment offers in the portal and accepts or declines one; nobody else's, never a draft."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.messages.models import Message
from backoffice.offers import operations
from backoffice.offers.models import Offer
from backoffice.storage import archive
from backoffice.trail import AuditEvent
from tests.factories import make_patient, make_user
from tests.faults.test_races_through_the_web import at_once
from tests.helpers import login_as, page_text
from tests.offers.priced import TOTAL, make_offer_case, make_sent_offer

NOT_YOURS = "There is nothing of yours at this address."


def patient_of(user, *, name="Paula Patient", language="en"):
    patient = make_patient(name=name, email=user.email, preferred_language=language)
    patient.user_id = user.id
    return patient


@pytest.fixture
def coordinator():
    return make_user("coordinator")


@pytest.fixture
def paula_offer(users, coordinator):
    """A sent offer of Paula's case (Paula signs in as users["patient"])."""
    case = make_offer_case(patient=patient_of(users["patient"]))
    return make_sent_offer(case, coordinator=coordinator)


def accept(client, offer, **fields):
    data = {"name": "Paula Patient", "agree": "y", **fields}
    return client.post(f"/portal/offers/{offer.id}/accept", data=data)


def reloaded(offer) -> Offer:
    db.session.expire_all()
    return db.session.get(Offer, offer.id)


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_the_offer_page_shows_the_items_the_saving_and_the_answers(as_role, paula_offer):
    response = as_role("patient").get(f"/portal/offers/{paula_offer.id}")
    text = page_text(response)

    assert response.status_code == 200
    for expected in (
        "Consultation",
        "Ward day",
        "€11,045.00",
        "€2,240.00",
        "19.5%",
        "none claimed",
        "Airport transfer",
    ):
        assert expected in text, expected
    assert "Accept the offer" in text and "Decline the offer" in text


def test_the_list_shows_given_out_offers_and_never_a_draft(as_role, users, coordinator, paula_offer):
    draft = operations.start_offer(paula_offer.case_id, actor_id=coordinator.id)  # version 2, not sent
    db.session.commit()
    client = as_role("patient")

    listing = page_text(client.get("/portal/offers"))

    assert "version 1" in listing and "Waiting for your answer" in listing
    assert "version 2" not in listing
    assert client.get(f"/portal/offers/{draft.id}").status_code == 404


def test_accepting_records_the_typed_name_the_address_the_hash_and_an_audit_row(as_role, paula_offer):
    response = accept(as_role("patient"), paula_offer, name="  Paula Maria Patient ")

    assert response.status_code == 302
    offer = reloaded(paula_offer)
    assert offer.status == "accepted"
    assert offer.accepted_name == "Paula Maria Patient"
    assert offer.accepted_address == "127.0.0.1"
    assert offer.accepted_sha256 == offer.pdf_sha256 is not None
    assert offer.acceptance_channel == "portal"
    assert offer.accepted_total == TOTAL
    rows = events("case_offer_accepted")
    assert len(rows) == 1
    assert (rows[0].actor_id, rows[0].details["offer_id"], rows[0].details["name"]) == (
        offer.accepted_by_id,
        offer.id,
        "Paula Maria Patient",
    )
    assert rows[0].details["sha256"] == offer.pdf_sha256 and rows[0].details["address"] == "127.0.0.1"


def test_the_optional_items_chosen_count_in_the_accepted_total(as_role, paula_offer):
    transfer = next(item for item in paula_offer.items if item.optional)

    client = as_role("patient")
    accept(client, paula_offer, chosen=str(transfer.id))
    page = page_text(client.get(f"/portal/offers/{paula_offer.id}"))

    assert reloaded(paula_offer).accepted_total == TOTAL + 238  # 200.00 and 19 % VAT
    assert "€11,283.00" in page and "Optional items chosen, with VAT" in page and "chosen" in page
    assert "You accepted this offer on" in page and "Accept the offer" not in page


def test_two_acceptances_make_one_and_the_second_is_told(as_role, paula_offer):
    client = as_role("patient")
    first = accept(client, paula_offer)
    second = accept(client, paula_offer, name="Somebody Else")  # the other tab

    assert first.status_code == 302
    assert second.status_code in (409, 422)
    assert "already accepted" in page_text(second)
    offer = reloaded(paula_offer)
    assert offer.accepted_name == "Paula Patient"
    assert len(events("case_offer_accepted")) == 1


def test_a_superseded_offer_cannot_be_accepted(as_role, coordinator, paula_offer):
    newer = operations.start_offer(paula_offer.case_id, actor_id=coordinator.id)
    operations.send_offer(newer.id, actor_id=coordinator.id)
    db.session.commit()
    client = as_role("patient")

    page = page_text(client.get(f"/portal/offers/{paula_offer.id}"))
    response = accept(client, paula_offer)

    assert "Replaced by a newer version" in page and "Accept the offer" not in page and "See version 2" in page
    assert response.status_code == 422
    assert "replaced by a newer version" in page_text(response)
    assert reloaded(paula_offer).status == "superseded"


def test_an_expired_offer_cannot_be_accepted(as_role, paula_offer):
    db.session.execute(
        Offer.__table__.update()
        .where(Offer.__table__.c.id == paula_offer.id)
        .values(valid_until=operator_today() - timedelta(days=1))
    )
    db.session.commit()
    client = as_role("patient")

    page = page_text(client.get(f"/portal/offers/{paula_offer.id}"))
    response = accept(client, paula_offer)

    assert "Expired" in page and "Accept the offer" not in page
    assert response.status_code == 422
    assert reloaded(paula_offer).status == "sent"


def test_another_patients_offer_is_not_found(as_role, users, coordinator):
    peters = make_sent_offer(make_offer_case(patient=patient_of(users["patient2"], name="Peter Patient")))
    client = as_role("patient")

    answers = [
        client.get(f"/portal/offers/{peters.id}"),
        client.get(f"/portal/offers/{peters.id}.pdf"),
        accept(client, peters),
        client.post(f"/portal/offers/{peters.id}/decline", data={"reason": "no"}),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    assert all(NOT_YOURS in page_text(answer) and "Peter" not in page_text(answer) for answer in answers)
    assert reloaded(peters).status == "sent"
    assert "Peter" not in page_text(client.get("/portal/offers"))


def test_declining_needs_a_reason(as_role, paula_offer):
    client = as_role("patient")

    refused = client.post(f"/portal/offers/{paula_offer.id}/decline", data={"reason": "  "})
    assert refused.status_code == 422 and "Tell us why you decline the offer." in page_text(refused)
    assert reloaded(paula_offer).status == "sent"

    declined = client.post(f"/portal/offers/{paula_offer.id}/decline", data={"reason": "We found a clinic nearer home"})
    assert declined.status_code == 302
    offer = reloaded(paula_offer)
    assert (offer.status, offer.decline_reason) == ("declined", "We found a clinic nearer home")


def test_accepting_needs_the_name_and_the_tick(as_role, paula_offer):
    client = as_role("patient")

    no_name = accept(client, paula_offer, name="")
    no_tick = client.post(f"/portal/offers/{paula_offer.id}/accept", data={"name": "Paula Patient"})
    made_up_item = accept(client, paula_offer, chosen="transfer")

    assert [no_name.status_code, no_tick.status_code, made_up_item.status_code] == [422, 422, 422]
    assert "Type your full name to accept the offer." in page_text(no_name)
    assert "Tick “I accept” to accept the offer." in page_text(no_tick)
    assert "Only the optional items of this offer can be chosen." in page_text(made_up_item)
    assert reloaded(paula_offer).status == "sent"


def test_the_archived_pdf_downloads_as_sent_and_the_download_is_audited(as_role, paula_offer):
    response = as_role("patient").get(f"/portal/offers/{paula_offer.id}.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == archive.read_pdf(paula_offer.pdf_filename, paula_offer.pdf_sha256)
    assert f"{paula_offer.case.number}-offer-v1.pdf" in response.headers["Content-Disposition"]
    assert [str(e.object_id) for e in events("portal.offer_downloaded")] == [str(paula_offer.id)]


def test_the_page_is_in_russian_for_a_russian_patient(as_role, users, coordinator):
    case = make_offer_case(patient=patient_of(users["patient"], name="Анна Иванова", language="ru"))
    offer = make_sent_offer(case, coordinator=coordinator)

    text = page_text(as_role("patient").get(f"/portal/offers/{offer.id}"))

    for expected in (
        "Ваше предложение на лечение",
        "Принять предложение",
        "Отклонить предложение",
        "19,5\u00a0%",
        "11\u00a0045,00\u00a0€",
    ):
        assert expected in text, expected


def test_sending_an_offer_mails_the_patient_a_link_in_their_language_without_prices(users, coordinator):
    case = make_offer_case(patient=patient_of(users["patient"], name="Анна Иванова", language="ru"))
    offer = make_sent_offer(case, coordinator=coordinator)

    mails = db.session.scalars(select(Message).where(Message.kind == "offer_waiting")).all()

    assert len(mails) == 1
    mail = mails[0]
    assert (mail.language, mail.to_addresses, mail.case_id) == ("ru", users["patient"].email, case.id)
    assert f"/portal/offers/{offer.id}" in mail.body_text
    assert "Анна Иванова" in mail.body_text and "Здравствуйте" in mail.body_text
    for secret in ("€", "EUR", "11 045", "9 260", "Stem cell", "Consultation", "Ward"):
        assert secret not in mail.body_text and secret not in mail.subject, secret
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.kind == "offer_waiting")) == 1


def test_the_offer_mail_reaches_the_patients_inbox_with_the_link_to_the_offer(users, coordinator, mailbox):
    case = make_offer_case(patient=patient_of(users["patient"], name="Paula Patient", language="de"))
    offer = make_sent_offer(case, coordinator=coordinator)

    (mail,) = mailbox.messages()

    body = mail.get_content()
    assert mail["To"] == users["patient"].email
    assert mail["Subject"] == "Ihr Behandlungsangebot wartet im Patientenportal auf Sie"
    assert f"http://localhost/portal/offers/{offer.id}" in body
    assert "€" not in body and "11.045" not in body


def test_two_tabs_accepting_at_the_same_moment_make_one_acceptance(app, users, paula_offer):
    tabs = {name: app.test_client() for name in ("first", "second")}
    for tab in tabs.values():
        login_as(tab, users["patient"])

    responses = at_once({name: (lambda tab=tab: accept(tab, paula_offer)) for name, tab in tabs.items()})

    answers = sorted(getattr(response, "status_code", repr(response)) for response in responses.values())
    assert answers[0] == 302 and answers[1] in (409, 422), responses
    assert reloaded(paula_offer).status == "accepted"
    assert len(events("case_offer_accepted")) == 1


def test_the_list_and_the_offer_page_run_a_fixed_number_of_statements(as_role, users, coordinator, count_queries):
    patient = patient_of(users["patient"])
    first = make_sent_offer(make_offer_case(patient=patient), coordinator=coordinator)
    client = as_role("patient")
    with count_queries() as few:
        assert client.get("/portal/offers").status_code == 200
    with count_queries() as page_few:
        assert client.get(f"/portal/offers/{first.id}").status_code == 200
    for _ in range(3):  # more cases, each with an offer and its newer versions
        offer = make_sent_offer(make_offer_case(patient=patient), coordinator=coordinator)
        newer = operations.start_offer(offer.case_id, actor_id=coordinator.id)
        operations.send_offer(newer.id, actor_id=coordinator.id)
        newest_id = newer.id
        db.session.commit()
    with count_queries() as many:
        listing = page_text(client.get("/portal/offers"))
    with count_queries() as page_many:
        assert client.get(f"/portal/offers/{newest_id}").status_code == 200

    assert listing.count("Replaced by a newer version") == 3
    assert len(few) == len(many)
    assert len(page_few) == len(page_many)
