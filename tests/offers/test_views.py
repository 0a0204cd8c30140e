"""The coordinator's offer pages: a draft built from the programme, changed, sent and answered; bad input and stale
forms refused with a message and a 4xx, the draft unchanged; another case's offer a 404; finance reads only."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.cases import documents
from backoffice.cases.models import CaseDocument
from backoffice.extensions import db
from backoffice.offers import acceptance, operations
from backoffice.trail import AuditEvent
from tests.helpers import page_text
from tests.logistics.factories import make_hotel, make_interpreter, make_interpreter_booking, make_transfer
from tests.offers.staff import draft_of, in_days, make_offer_case, newest_offer, stored

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def case(users):
    return make_offer_case(users["coordinator"])


@pytest.fixture
def coordinator(as_role):
    return as_role("coordinator")


def page_of(offer) -> str:
    return f"/cases/{offer.case_id}/offers/{offer.id}"


def snapshot(offer) -> tuple:
    """What a refused change must leave as it was."""
    offer = stored(offer.id)
    return (
        offer.row_version,
        offer.total,
        offer.valid_until,
        [(i.code, i.description, i.quantity, i.unit_price) for i in offer.items],
        [(i.label, i.percent, i.due_on) for i in offer.instalments],
    )


def test_a_draft_offer_is_built_from_the_programme_and_sent(case, coordinator):
    response = coordinator.post(f"/cases/{case.id}/offers", data={})
    offer = newest_offer(case.id)
    assert response.status_code == 302 and response.headers["Location"].endswith(page_of(offer))

    text = page_text(coordinator.get(page_of(offer)))
    # hand-computed: 1 x 3,900 + 2 x 850 + 3 x 110 = 5,930.00 at resident prices; x 1.6 = 9,488.00 for a foreign
    # patient, a saving of 3,558.00 (37.5 %); coordination 1,500.00 + 19 % VAT 285.00: 7,715.00 in all
    for shown in ("Leukocytapheresis", "€5,930.00", "€9,488.00", "€3,558.00", "37.5 %", "€285.00", "€7,715.00"):
        assert shown in text, shown
    assert "coefficient" in text and "Exempt (medical treatment)" in text
    assert "at the hospital's coefficient 1.6: Clinic's price list for international patients, 2026" in text
    assert "€2,314.50" in text and "€5,400.50" in text  # 30 % deposit and 70 % balance of the total

    response = coordinator.post(page_of(offer) + "/send", data={"version": offer.row_version})
    assert response.status_code == 302
    sent = stored(offer.id)
    assert sent.status == "sent" and sent.pdf_sha256
    text = page_text(coordinator.get(page_of(offer)))
    assert "Sent to the patient" in text and "Download the archived PDF" in text

    pdf = coordinator.get(page_of(offer) + "/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == sent.pdf_sha256
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "offer.downloaded")) == 1


def test_the_case_page_shows_the_offer_with_its_saving(case, coordinator, users):
    text = page_text(coordinator.get(f"/cases/{case.id}"))
    assert "Make an offer" in text
    offer = draft_of(case, users["coordinator"])
    text = page_text(coordinator.get(f"/cases/{case.id}"))
    assert "Version 1" in text and "Draft" in text and "€7,715.00" in text and "saving 37.5 %" in text
    assert page_of(offer) in text


def test_a_send_with_an_unpriced_code_is_refused_with_the_code_named(users, coordinator):
    case = make_offer_case(users["coordinator"], codes="SC-001 | 1\nXR-999 | 1")
    offer = draft_of(case, users["coordinator"])
    text = page_text(coordinator.get(page_of(offer)))
    assert "XR-999 has no resident tariff valid on" in text and "no tariff" in text

    response = coordinator.post(page_of(offer) + "/send", data={"version": offer.row_version})
    assert response.status_code == 422
    assert "XR-999 has no resident tariff" in page_text(response)
    assert stored(offer.id).status == "draft"


def test_a_stale_form_is_refused(case, users, coordinator):
    offer = draft_of(case, users["coordinator"])
    seen = offer.row_version
    item = {"version": seen, "section": "service", "description": "Airport lounge", "quantity": "1"}
    assert coordinator.post(page_of(offer) + "/items", data={**item, "unit_price": "50", "vat_category": "standard"})
    before = snapshot(offer)

    response = coordinator.post(
        page_of(offer) + "/items", data={**item, "unit_price": "80", "vat_category": "standard"}
    )  # the same page, after the first change: its version is old
    assert response.status_code == 422
    assert "Someone else changed this offer meanwhile" in page_text(response)
    assert snapshot(offer) == before


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [
        ("/items", {"section": "service", "description": "Visa", "quantity": "0", "unit_price": "10"}, "more than 0"),
        ("/items", {"section": "service", "description": "Visa", "quantity": "1", "unit_price": "-5"}, "more than 0"),
        (
            "/items",
            {"section": "service", "description": "Visa", "quantity": "1", "unit_price": "99999999999"},
            "beyond",
        ),
        (
            "/items",
            {"section": "service", "description": "Visa", "quantity": "1", "unit_price": "abc"},
            "is not an amount",
        ),
        ("/terms", {"treatment_on": in_days(30), "valid_until": in_days(-1)}, "valid until today or later"),
        ("/terms", {"treatment_on": in_days(30), "valid_until": "2026-02-30"}, "Valid until"),
        (
            "/schedule",
            {"rows-0-payment": "Deposit", "rows-0-percent": "30", "rows-0-due_on": in_days(3)},
            "add up to 100 %",
        ),
    ],
    ids=["quantity 0", "negative price", "huge price", "not a number", "validity in the past", "no such day", "70 %"],
)
def test_bad_input_gives_422_and_keeps_the_draft_unchanged(case, users, coordinator, path, fields, message):
    offer = draft_of(case, users["coordinator"])
    before = snapshot(offer)
    response = coordinator.post(
        page_of(offer) + path, data={"version": offer.row_version, "vat_category": "standard", **fields}
    )
    assert response.status_code == 422
    text = page_text(response)
    assert message in text
    assert snapshot(offer) == before


def test_items_terms_and_schedule_of_a_draft_change(case, users, coordinator):
    offer = draft_of(case, users["coordinator"])
    fee = next(i for i in offer.items if i.section == "service")
    response = coordinator.post(
        page_of(offer) + "/items",
        data={
            "version": offer.row_version,
            "item_id": fee.id,
            "section": "service",
            "description": "Personal coordination",
            "quantity": "1",
            "unit_price": "1000",
            "vat_category": "standard",
        },
    )
    assert response.status_code == 302
    offer = stored(offer.id)
    assert offer.total == Decimal("7120.00")  # 5,930 + 1,000 + 190 VAT
    lab = next(i for i in offer.items if i.code == "LAB-17")
    assert coordinator.post(page_of(offer) + f"/items/{lab.id}/remove", data={"version": offer.row_version})
    offer = stored(offer.id)
    assert [i.code for i in offer.items] == ["SC-001", "SC-002", ""] and offer.total == Decimal("6790.00")

    response = coordinator.post(
        page_of(offer) + "/schedule",
        data={
            "version": offer.row_version,
            "rows-0-payment": "Deposit",
            "rows-0-percent": "50",
            "rows-0-due_on": in_days(2),
            "rows-1-payment": "Balance",
            "rows-1-percent": "50",
            "rows-1-due_on": in_days(20),
        },
    )
    assert response.status_code == 302
    offer = stored(offer.id)
    assert [(i.label, i.percent) for i in offer.instalments] == [("Deposit", 50), ("Balance", 50)]
    assert "€3,395.00" in page_text(coordinator.get(page_of(offer)))

    response = coordinator.post(
        page_of(offer) + "/terms",
        data={
            "version": offer.row_version,
            "treatment_on": in_days(40),
            "valid_until": in_days(10),
            "included": "Everything listed",
            "excluded": "Flights",
            "cancellation_terms": "Free until 14 days before",
        },
    )
    assert response.status_code == 302
    offer = stored(offer.id)
    assert (offer.valid_until.isoformat(), offer.excluded) == (in_days(10), "Flights")


def test_hotel_nights_transfers_and_interpreter_hours_come_from_the_bookings(case, users, coordinator):
    offer = draft_of(case, users["coordinator"])
    day = offer.treatment_on
    make_hotel(
        case, check_in_on=day, check_out_on=day + timedelta(days=3), cost_amount=Decimal("450.00"), cost_currency="EUR"
    )
    make_hotel(case, check_in_on=day, check_out_on=day + timedelta(days=1), status="cancelled")
    pickup = datetime.combine(day, time(8), tzinfo=UTC)
    make_transfer(case, pickup_at=pickup, cost_amount=Decimal("80.00"), cost_currency="EUR")
    make_transfer(case, pickup_at=pickup, from_place="Hotel am Main", to_place="Clinic")  # no cost yet
    interpreting = make_interpreter_booking(case, make_interpreter(), starts_at=pickup, hours=2)
    interpreting.cost_amount, interpreting.cost_currency = Decimal("130.00"), "EUR"
    db.session.commit()

    response = coordinator.post(page_of(offer) + "/services", data={"version": offer.row_version})
    assert response.status_code == 302
    offer = stored(offer.id)
    added = [(i.description, i.quantity, i.amount, i.vat_category) for i in offer.items][4:]
    assert added == [
        (f"Hotel Hotel am Main, 3 nights from {day.isoformat()}", 3, Decimal("450.00"), "reduced"),
        (f"Transfer from FRA Terminal 1 to Hotel am Main on {day.isoformat()}", 1, Decimal("80.00"), "standard"),
        (f"Interpreter, 2 hours on {day.isoformat()}", 2, Decimal("130.00"), "standard"),
    ]
    assert "1 left out" in page_text(coordinator.get(page_of(offer)))

    again = coordinator.post(page_of(offer) + "/services", data={"version": offer.row_version})
    assert again.status_code == 422 and "No booking to add" in page_text(again)
    assert len(stored(offer.id).items) == 7


def test_an_acceptance_received_otherwise_is_recorded_with_the_signed_document(case, users, coordinator):
    offer = draft_of(case, users["coordinator"])
    operations.send_offer(offer.id, actor_id=users["coordinator"].id)
    db.session.commit()
    offer = stored(offer.id)

    refused = coordinator.post(
        page_of(offer) + "/acceptance",
        data={"version": offer.row_version, "name": "Amira Haddad"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "Choose a file" in page_text(refused)
    assert stored(offer.id).status == "sent"

    response = coordinator.post(
        page_of(offer) + "/acceptance",
        data={"version": offer.row_version, "name": "Amira Haddad", "file": (io.BytesIO(PDF), "signed.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    accepted = stored(offer.id)
    document = db.session.get(CaseDocument, accepted.acceptance_document_id)
    assert (accepted.status, accepted.acceptance_channel, accepted.accepted_name) == (
        "accepted",
        "recorded",
        "Amira Haddad",
    )
    assert document.case_id == case.id and document.original_filename == "signed.pdf"
    assert "recorded by staff" in page_text(coordinator.get(page_of(offer)))


def test_a_sent_offer_is_declined_on_the_patients_behalf_with_a_reason(case, users, coordinator):
    offer = draft_of(case, users["coordinator"])
    operations.send_offer(offer.id, actor_id=users["coordinator"].id)
    db.session.commit()
    offer = stored(offer.id)
    assert (
        coordinator.post(page_of(offer) + "/decline", data={"version": offer.row_version, "reason": ""}).status_code
        == 422
    )
    response = coordinator.post(
        page_of(offer) + "/decline", data={"version": offer.row_version, "reason": "Found a clinic nearer home"}
    )
    assert response.status_code == 302
    assert (stored(offer.id).status, stored(offer.id).decline_reason) == ("declined", "Found a clinic nearer home")


def test_the_next_version_copies_the_sent_one_and_sending_it_supersedes_the_first(case, users, coordinator):
    offer = draft_of(case, users["coordinator"])
    operations.send_offer(offer.id, actor_id=users["coordinator"].id)
    db.session.commit()
    assert coordinator.post(f"/cases/{case.id}/offers", data={}).status_code == 302
    second = newest_offer(case.id)
    assert second.version == 2 and second.total == offer.total
    assert coordinator.post(page_of(second) + "/send", data={"version": second.row_version}).status_code == 302
    assert stored(offer.id).status == "superseded"
    text = page_text(coordinator.get(page_of(second)))
    assert "Superseded" in text and "Sent to the patient" in text


def test_an_offer_of_another_case_is_404(case, users, coordinator):
    offer = draft_of(case, users["coordinator"])
    other = make_offer_case(users["coordinator"])
    assert coordinator.get(f"/cases/{other.id}/offers/{offer.id}").status_code == 404
    before = snapshot(offer)
    response = coordinator.post(f"/cases/{other.id}/offers/{offer.id}/send", data={"version": offer.row_version})
    assert response.status_code == 404
    assert snapshot(offer) == before


def test_finance_reads_the_offer_but_changes_nothing(case, users, as_role):
    offer = draft_of(case, users["coordinator"])
    finance = as_role("finance")
    text = page_text(finance.get(page_of(offer)))
    assert "€7,715.00" in text and "Send the offer" not in text and "Add an item" not in text
    assert finance.post(page_of(offer) + "/send", data={"version": offer.row_version}).status_code == 403


def test_a_case_paying_in_another_currency_asks_the_rate(users, coordinator):
    case = make_offer_case(users["coordinator"], invoicing_currency="USD")
    text = page_text(coordinator.get(f"/cases/{case.id}"))
    assert "This case pays in USD" in text
    response = coordinator.post(f"/cases/{case.id}/offers", data={})
    assert response.status_code == 422 and "enter the exchange rate" in page_text(response)
    assert newest_offer(case.id) is None
    response = coordinator.post(
        f"/cases/{case.id}/offers", data={"exchange_rate": "1.1", "exchange_rate_on": in_days(-1)}
    )
    assert response.status_code == 302
    assert newest_offer(case.id).total == Decimal("8486.50")  # 7,715.00 EUR x 1.1


def test_the_offer_page_in_german(case, users, as_german):
    offer = draft_of(case, users["coordinator"])
    german = as_german("coordinator")
    text = page_text(german.get(page_of(offer)))
    for shown in ("Angebot", "Entwurf", "Behandlung und Leistungen", "Ersparnis", "Zahlungsplan", "Angebot versenden"):
        assert shown in text, shown
    for english in ("Payment schedule", "Send the offer", "Treatment at resident prices", "Dates and terms"):
        assert english not in text, english
    refused = german.post(page_of(offer) + "/send", data={"version": offer.row_version + 1})
    assert refused.status_code == 422 and "inzwischen geändert" in page_text(refused)
    assert "Behandlungsangebot" in page_text(german.get(f"/cases/{case.id}"))


def test_a_refused_recorded_acceptance_leaves_no_document_behind(case, users, coordinator):
    offer = draft_of(case, users["coordinator"])
    operations.send_offer(offer.id, actor_id=users["coordinator"].id)
    db.session.commit()
    sent = stored(offer.id)
    sent.valid_until = date.today() - timedelta(days=1)  # expired since it was sent
    db.session.commit()
    files_before = sorted(documents.documents_dir().iterdir())

    response = coordinator.post(
        page_of(sent) + "/acceptance",
        data={"version": stored(offer.id).row_version, "name": "Amira Haddad", "file": (io.BytesIO(PDF), "signed.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "was valid until" in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(CaseDocument)) == 0
    assert sorted(documents.documents_dir().iterdir()) == files_before
    assert stored(offer.id).status == "sent"


def test_a_draft_has_no_pdf_to_download(case, users, coordinator):
    offer = draft_of(case, users["coordinator"])
    response = coordinator.get(page_of(offer) + "/pdf")
    assert response.status_code == 422 and "a draft gets one when it is sent" in page_text(response)


def test_finance_sees_the_offer_panel_without_the_button(case, users, as_role):
    draft_of(case, users["coordinator"])
    text = page_text(as_role("finance").get(f"/cases/{case.id}"))
    assert "Treatment offer" in text and "Open the offer" in text
    assert "Make an offer" not in text and "Work on the draft" not in text


def test_the_offer_page_runs_a_fixed_number_of_statements(case, users, coordinator, count_queries):
    offer = draft_of(case, users["coordinator"])
    url, offer_id = page_of(offer), offer.id
    with count_queries() as few:
        coordinator.get(url)
    for n in range(6):
        operations.save_item(
            offer_id,
            actor_id=users["coordinator"].id,
            item_id=None,
            section="service",
            description=f"Service {n}",
            quantity="1",
            unit_price="10",
            vat_category="standard",
            optional=False,
        )
    db.session.commit()
    with count_queries() as many:
        coordinator.get(url)
    assert len(many) == len(few)


def test_finance_reads_a_declined_offer_without_the_patients_reason(case, users, as_role):
    offer = draft_of(case, users["coordinator"])
    operations.send_offer(offer.id, actor_id=users["coordinator"].id)
    db.session.commit()
    acceptance.decline_offer(offer.id, actor_id=users["coordinator"].id, reason="Afraid of the anaesthesia")
    db.session.commit()
    coordinator = as_role("coordinator")
    assert "Afraid of the anaesthesia" in page_text(coordinator.get(page_of(offer)))
    coordinator.post("/logout")
    finance_page = page_text(as_role("finance").get(page_of(offer)))
    assert "Declined" in finance_page and "Afraid of the anaesthesia" not in finance_page


def test_each_label_on_a_draft_names_one_field_of_its_own(case, users, coordinator):
    """The new item's form and every item's change form: a label's field is the one beside it, not another form's."""
    coordinator.post(f"/cases/{case.id}/offers", data={})
    html = coordinator.get(page_of(newest_offer(case.id))).get_data(as_text=True)
    targets = re.findall(r'<label for="([^"]+)"', html)
    assert "section" in targets and len(set(targets)) == len(targets), targets
    for target in targets:
        assert len(re.findall(f' id="{re.escape(target)}"', html)) == 1, target
