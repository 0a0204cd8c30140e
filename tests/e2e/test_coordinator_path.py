"""The coordinator's path, in the browser: a public treatment request becomes a case that is taken, screened,
offered, confirmed, travelled (appointment, flights, hotel, transfer, interpreter, an itinerary cleared of its
findings), treated, discharged and followed up in aftercare.

The tests run in file order and build on each other through the UI only: each one signs in afresh (a new browser
context) and picks up the case the one before left. Dates are the hospital's (Europe/Berlin): the patient flies
in and is admitted today there (the flight leaves shortly after the test starts and lands before midnight, as a
patient must land by the admission), the appointment is tomorrow, so the case may move into treatment while the test
watches and no booking lies in the past, whenever the suite runs (but in the last minutes of a Berlin day).
"""

from __future__ import annotations

import re
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.tools.evidence import record

HOSPITAL_TZ = ZoneInfo("Europe/Berlin")  # every demo hospital's zone
PATIENT = "Lucía Romero Vidal"
EMAIL = "lucia.romero@example.es"
PROGRAMME = "Spree Orthopaedic Hospital — Total hip replacement"
PHYSICIAN = "Spree Orthopaedic Hospital — Dr. med. Lukas Brandt, Orthopaedic surgery"
CONTRAINDICATION = "Active infection anywhere in the body"
# A PDF is recognised by its first bytes; this is all the records check needs.
HIP_PRICE_TEXT = "Total hip replacement, all-inclusive hospital price"
RECORD_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# What one test leaves for the next: the case number and id, the dates of the trip, figures for the evidence file.
JOURNEY: dict = {}


def today_at_hospital() -> date:
    return datetime.now(HOSPITAL_TZ).date()


def arrival_flight_times() -> tuple[datetime, datetime]:
    """Departure from Madrid and landing in Berlin (same zone offsets), both today in Berlin and in the future.

    The patient must land by the admission day (else the itinerary shows a problem), and the admission must be today
    for the case to move into treatment in this run: a flight from about 20 minutes from now, three hours long, or
    shorter when that would land after 22:55 (the pickup an hour after landing must be on the admission day too).
    """
    now = datetime.now(HOSPITAL_TZ).replace(second=0, microsecond=0, tzinfo=None)
    departs = now + timedelta(minutes=20 + (5 - now.minute % 5) % 5)
    last_landing = datetime.combine(now.date(), datetime.min.time()) + timedelta(hours=22, minutes=55)
    arrives = min(departs + timedelta(hours=3), last_landing)
    if arrives - departs < timedelta(minutes=10):
        pytest.skip("too close to midnight in Berlin to fly the patient in on the admission day")
    return departs, arrives


def flashes(page: Page):
    """The messages the last action flashed (not the itinerary findings, which share the .flash look)."""
    return page.locator(".flashes")


def state_badge(page: Page):
    return page.locator(".page-head h1 .state")


def findings(page: Page) -> list[str]:
    return page.locator("#findings [data-finding]").evaluate_all("nodes => nodes.map(n => n.dataset.finding)")


def move_to(page: Page, label: str) -> None:
    """Press the case page's "Move to <label>" button and see the case there."""
    page.get_by_role("button", name=f"Move to {label}").click()
    expect(flashes(page)).to_contain_text(f"The case is now: {label}.")
    expect(state_badge(page)).to_have_text(label)


def open_case(browse) -> Page:
    if "case_id" not in JOURNEY:
        pytest.skip("the earlier step of the coordinator's path did not get this far")
    browse.login("coordinator")
    browse.go(f"/cases/{JOURNEY['case_id']}")
    expect(browse.page.locator(".page-head h1")).to_contain_text(JOURNEY["number"])
    return browse.page


def select_option_containing(page: Page, select, text: str) -> None:
    """Choose the option whose label contains `text` (labels that carry times or rates are not worth retyping)."""
    value = select.locator("option", has_text=text).first.get_attribute("value")
    assert value, f"no option with {text!r}"
    select.select_option(value)


# ---------------------------------------------------------------------------------------------- 1. the request


def test_visitor_requests_treatment_and_gets_a_case_number(browse):
    JOURNEY["started"] = time.monotonic()  # after the live server's start, which the whole e2e suite shares
    page = browse.page
    browse.go("/request")
    expect(page.get_by_role("heading", name="Request treatment abroad")).to_be_visible()
    expect(page.locator(".intake-open")).to_contain_text("Germany")
    page.get_by_label("Patient's full name").fill(PATIENT)
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Phone (optional)").fill("+34 611 222 333")
    page.get_by_label("Country of residence").select_option(label="Spain")
    page.get_by_label("Preferred language").select_option(label="Spanish")
    page.get_by_label("Diagnosis or treatment wanted").fill("Hip arthrosis, total hip replacement")
    page.get_by_label("Where would you like to be treated?").select_option(label="Germany")
    page.get_by_label("Anything else we should know (optional)").fill(
        "Pain for three years; my daughter travels with me. I speak Spanish only."
    )
    browse.shot("request-form")

    # Without the consent to the processing of health data nothing is taken, and the form says why.
    with page.expect_response(lambda r: r.url.endswith("/request") and r.request.method == "POST") as sent:
        page.get_by_role("button", name="Send my request").click()
    assert sent.value.status == 422
    expect(page.locator(".intake-consent .field-error")).to_have_text("We can only take the request with this consent.")
    expect(page.get_by_label("Patient's full name")).to_have_value(PATIENT)
    browse.shot("request-without-consent")

    page.get_by_label("I agree that the operator processes the health data").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name=f"Thank you, {PATIENT}")).to_be_visible()
    number = page.locator(".intake-number").inner_text()
    assert re.fullmatch(r"C-\d{4}-\d{5}", number), number
    browse.shot("thank-you")
    JOURNEY["number"] = number

    # The thank-you page is shown once: on a shared computer the next visitor does not find this request.
    browse.go("/request/thanks")
    expect(page.get_by_role("heading", name="Request treatment abroad")).to_be_visible()


# ---------------------------------------------------------------------------------------------- 2. the case


def make_and_send_the_offer(browse) -> None:
    """From the case page: the treatment offer for the programme, sent. The hip programme has no tariff codes (and its
    hospital no tariff), so the offer starts with the coordination fee only; the hospital's all-inclusive price is
    added by hand, VAT exempt as medical treatment."""
    page = browse.page
    page.locator("#offer").get_by_role("button", name="Make an offer").click()
    expect(flashes(page)).to_contain_text("Offer version 1 is a draft: check it and send it.")
    expect(page.locator("#problems")).to_contain_text("The offer has no treatment item.")
    page.locator("#items summary", has_text="Add an item").click()
    new_item = page.locator("#items form", has=page.get_by_role("button", name="Add item"))
    new_item.get_by_label("Section").select_option(label="Treatment")
    new_item.get_by_label("Description").fill(HIP_PRICE_TEXT)
    new_item.get_by_label("Quantity").fill("1")
    new_item.get_by_label("Unit price").fill("15400.00")
    new_item.get_by_label("VAT category").select_option(label="Exempt (medical treatment)")
    new_item.get_by_role("button", name="Add item").click()
    expect(flashes(page)).to_contain_text(re.compile(r"Item \d+ saved\."))
    hip = page.locator("#items tbody tr", has_text=HIP_PRICE_TEXT).first
    expect(hip).to_contain_text("€15,400.00")
    expect(hip).to_contain_text("Exempt (medical treatment)")
    expect(page.locator("#problems")).to_have_count(0)
    browse.shot("offer-draft")
    page.locator("#send").get_by_role("button", name="Send the offer").click()
    expect(flashes(page)).to_contain_text(
        re.compile(r"Offer version 1 was sent: €[0-9,]+\.[0-9]{2}\. Its PDF is archived\.")
    )
    expect(page.locator(".offer-status")).to_contain_text("Sent")
    browse.shot("offer-sent")


def record_the_acceptance_by_mail(browse) -> None:
    """Ms Romero signed the offer and mailed it back: the coordinator records her acceptance with the signed copy."""
    page = browse.page
    page.locator("#offer").get_by_role("link", name="Version 1").click()
    page.locator("#answer summary", has_text="Record an acceptance received otherwise").click()
    answer = page.locator("#answer form", has=page.get_by_role("button", name="Record the acceptance"))
    answer.get_by_label("Name as signed").fill(PATIENT)
    answer.get_by_label("Signed offer").set_input_files(
        {"name": "signed-offer.pdf", "mimeType": "application/pdf", "buffer": RECORD_PDF}
    )
    answer.get_by_role("button", name="Record the acceptance").click()
    expect(flashes(page)).to_contain_text(
        "The acceptance of version 1 is recorded; the signed offer is with the case's documents."
    )
    expect(page.locator(".offer-status")).to_contain_text("Accepted")
    expect(page.locator("#answer")).to_contain_text(f"{PATIENT} · recorded by staff")
    browse.shot("offer-accepted-by-mail")


def test_coordinator_takes_the_request_from_the_queue_and_confirms_a_programme(browse):
    if "number" not in JOURNEY:
        pytest.skip("the public request did not go through")
    page, number = browse.page, JOURNEY["number"]
    browse.login("coordinator")

    # The dashboard's queue counter leads to the unassigned open cases; the new request is among them.
    page.get_by_role("link", name=re.compile("in the queue")).click()
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    expect(page.get_by_label("Coordinator")).to_have_value("unassigned")
    page.get_by_label("Search").fill(PATIENT)
    page.get_by_role("button", name="Filter").click()
    row = page.locator("table.table tbody tr", has_text=number)
    expect(row).to_contain_text(PATIENT)
    expect(row).to_contain_text("New request")
    browse.shot("case-list-queue")
    row.get_by_role("link", name=number).click()
    JOURNEY["case_id"] = int(re.search(r"/cases/(\d+)", page.url).group(1))

    expect(state_badge(page)).to_have_text("New request")
    expect(page.locator(".facts").first).to_contain_text(EMAIL)
    expect(page.get_by_role("button", name="Move to Contacted")).to_be_disabled()
    expect(page.locator(".blocker").first).to_have_text(
        "Assign a personal medical coordinator before recording the first contact."
    )
    browse.shot("case-new")

    page.get_by_role("button", name="Take this case").click()
    expect(flashes(page)).to_contain_text("The case is yours now.")
    expect(page.locator("p.muted").first).to_contain_text("coordinator: Carla Coordinator")

    # The first contact: a phone call to the patient, on the timeline, then the case moves on.
    notes = page.locator("#notes")
    notes.get_by_label("Kind").select_option(label="Message record")
    notes.get_by_label("Channel").select_option(label="phone")
    notes.get_by_label("Direction").select_option(label="To them")
    notes.get_by_label("With").select_option(label="Patient")
    notes.get_by_label("Note").fill("Called Ms Romero: she will send the MRI of her hip and her blood tests.")
    notes.get_by_role("button", name="Add to the timeline").click()
    expect(flashes(page)).to_contain_text("Note added.")
    expect(page.locator("#timeline")).to_contain_text("Called Ms Romero")
    move_to(page, "Contacted")

    # Records review needs a medical record on the case.
    expect(page.locator("form.step", has_text="Move to Records review").locator(".blocker")).to_have_text(
        "Upload at least one medical record before the records review."
    )
    documents = page.locator("#documents")
    documents.get_by_label("File", exact=True).set_input_files(
        {"name": "hip-mri-report.pdf", "mimeType": "application/pdf", "buffer": RECORD_PDF}
    )
    documents.get_by_label("Description").fill("MRI of the right hip, October")
    documents.get_by_role("button", name="Upload").click()
    expect(flashes(page)).to_contain_text("“hip-mri-report.pdf” was added to the case's documents as a medical record.")
    expect(page.locator("#documents table")).to_contain_text("hip-mri-report.pdf")
    move_to(page, "Records review")

    # The programme and physician; the programme brings its screening questions. Offering it needs a sent offer.
    offered_step = page.locator("form.step", has_text="Move to Programme offered")
    expect(offered_step.locator(".blocker")).to_have_text(
        [
            "Record a hospital programme on the case before offering the programme.",
            "Send the patient a treatment offer before marking the programme as offered.",
        ]
    )
    page.get_by_label("Programme", exact=True).select_option(label=PROGRAMME)
    page.get_by_label("Physician", exact=True).select_option(label=PHYSICIAN)
    page.get_by_role("button", name="Save programme").click()
    expect(flashes(page)).to_contain_text("Programme recorded.")
    facts = page.locator("section", has=page.get_by_role("heading", name="Hospital and programme"))
    expect(facts).to_contain_text("Spree Orthopaedic Hospital, Berlin")
    expect(offered_step.locator(".blocker")).to_have_text(
        "Send the patient a treatment offer before marking the programme as offered."
    )
    make_and_send_the_offer(browse)
    page.locator(".crumbs").get_by_role("link", name=number).click()
    move_to(page, "Programme offered")
    browse.shot("case-programme-offered")

    # Confirmation waits for the patient's acceptance and the screening: unanswered, then a contraindication present,
    # then resolved.
    confirm_step = page.locator("form.step", has_text="Move to Confirmed")
    expect(confirm_step.locator(".blocker", has_text="offer")).to_have_text(
        "The patient has not accepted the offer yet; the case is confirmed once they do."
    )
    expect(confirm_step.locator(".blocker", has_text="screening")).to_contain_text("1 question(s) unanswered")
    page.get_by_label(f"yes: {CONTRAINDICATION}").check()
    page.get_by_role("button", name="Save answers").click()
    expect(flashes(page)).to_contain_text("Screening saved.")
    expect(confirm_step.locator(".blocker", has_text="contraindication")).to_contain_text(
        f"A contraindication is present and not resolved: {CONTRAINDICATION}."
    )
    expect(page.get_by_role("button", name="Move to Confirmed")).to_be_disabled()
    browse.shot("case-contraindication-open")
    # Only the physician clears it: the clearance letter is uploaded as such and chosen when resolving.
    documents.get_by_label("File", exact=True).set_input_files(
        {"name": "dr-brandt-clearance.pdf", "mimeType": "application/pdf", "buffer": RECORD_PDF}
    )
    documents.get_by_label("Document type").select_option(label="Physician's clearance")
    documents.get_by_role("button", name="Upload").click()
    expect(flashes(page)).to_contain_text("was added to the case's documents as a physician's clearance.")
    resolve = page.locator("form.resolve", has_text=CONTRAINDICATION)
    select_option_containing(page, resolve.get_by_label("Physician's clearance"), "dr-brandt-clearance.pdf")
    resolve.get_by_label("How").fill("Dental abscess treated with antibiotics; CRP normal again")
    resolve.get_by_label("On").fill((datetime.now(UTC).date() - timedelta(days=3)).isoformat())
    resolve.get_by_role("button", name="Record resolution").click()
    expect(flashes(page)).to_contain_text("Resolution recorded.")
    expect(page.locator("#screening")).to_contain_text("Dental abscess treated with antibiotics")
    expect(confirm_step.locator(".blocker")).to_have_text(
        "The patient has not accepted the offer yet; the case is confirmed once they do."
    )
    record_the_acceptance_by_mail(browse)
    page.locator(".crumbs").get_by_role("link", name=number).click()
    expect(page.locator("#offer")).to_contain_text("Accepted")
    expect(confirm_step.locator(".blocker")).to_have_count(0)
    move_to(page, "Confirmed")
    browse.shot("case-confirmed")


# ---------------------------------------------------------------------------------------------- 3. the trip


def _book(page: Page, section: str, link: str, fields: dict[str, str], flashed: str) -> None:
    """On the bookings page, open a booking form, fill it (text by label; `select:` keys choose by label)."""
    page.locator(section).get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=re.compile(f"^{link}"))).to_be_visible()
    _fill(page, fields)
    page.get_by_role("button", name="Request booking").click()
    expect(flashes(page)).to_contain_text(flashed)
    expect(page.get_by_role("heading", name=re.compile("^Bookings"))).to_be_visible()


def _fill(page: Page, fields: dict[str, str]) -> None:
    for label, value in fields.items():
        if label.startswith("select:"):
            page.get_by_label(label.removeprefix("select:"), exact=True).select_option(label=value)
        elif label.startswith("option:"):
            select_option_containing(page, page.get_by_label(label.removeprefix("option:"), exact=True), value)
        else:
            page.get_by_label(label, exact=True).fill(value)


def _edit(page: Page, section: str, fields: dict[str, str], flashed: str) -> None:
    page.locator(section).get_by_role("link", name="Edit").first.click()
    expect(page.get_by_role("heading", name=re.compile("^Change"))).to_be_visible()
    _fill(page, fields)
    page.get_by_role("button", name="Save changes").click()
    expect(flashes(page)).to_contain_text(flashed)


def _confirm(page: Page, section: str, reference: str, flashed: str) -> None:
    form = page.locator(section).locator("form[action$='/confirm']").first
    form.get_by_placeholder("Supplier's reference").fill(reference)
    form.get_by_role("button", name="Confirm").click()
    expect(flashes(page)).to_contain_text(f"{flashed} confirmed ({reference}).")


def _itinerary(page: Page) -> None:
    page.locator(".crumbs").get_by_role("link", name=JOURNEY["number"]).click()
    page.get_by_role("link", name="Itinerary", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Itinerary"))).to_be_visible()


def test_coordinator_books_the_trip_and_clears_the_itinerary_findings(browse, tmp_path):
    page = open_case(browse)
    today = today_at_hospital()
    departs, lands = arrival_flight_times()
    appointment_day, discharge_day, home_day = (
        today + timedelta(days=1),
        today + timedelta(days=12),
        today + timedelta(days=14),
    )

    page.get_by_role("link", name="Bookings and logistics costs").click()
    expect(page.locator("#appointment")).to_contain_text("No hospital appointment booked yet.")
    browse.shot("bookings-empty")

    # The appointment: the hospital, physician and programme come from the case; admitted today, seen tomorrow,
    # discharged after the programme's typical stay (12 days).
    page.locator("#appointment").get_by_role("link", name="Book hospital appointment").click()
    expect(page.get_by_label("Hospital", exact=True)).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_label("Programme", exact=True).locator("option:checked")).to_have_text(
        "Total hip replacement (Spree Orthopaedic Hospital)"
    )
    _fill(
        page,
        {
            "Appointment date": appointment_day.isoformat(),
            "Time": "15:00",
            "Admission": today.isoformat(),
            "Cost": "15400.00",
        },
    )
    browse.shot("booking-form-appointment")
    page.get_by_role("button", name="Request booking").click()
    expect(flashes(page)).to_contain_text("Hospital appointment at Spree Orthopaedic Hospital")
    expect(page.locator("#appointment")).to_contain_text(f"Discharge {discharge_day.isoformat()} (expected)")
    # One appointment at a time: the page offers to change it, not to book a second one.
    expect(page.locator("#appointment").get_by_role("link", name="Book hospital appointment")).to_have_count(0)
    expect(page.locator("#appointment").get_by_role("link", name="Edit the appointment")).to_be_visible()

    flight = {
        "Flight number": "IB3670",
        "Airline": "Iberia",
        "From (IATA code)": "MAD",
        "To (IATA code)": "BER",
        "Departure date": departs.date().isoformat(),
        "Departure time": f"{departs:%H:%M}",
        "Arrival date": lands.date().isoformat(),
        "Arrival time": f"{lands:%H:%M}",
        "Passengers": "Lucía Romero Vidal, Marta Romero",
        "Cost": "412.00",
    }
    page.locator("#flights").get_by_role("link", name="Book flight").click()
    _fill(page, flight)
    browse.shot("booking-form-flight")
    page.get_by_role("button", name="Request booking").click()
    expect(flashes(page)).to_contain_text("Flight IB3670 MAD→BER: requested.")
    home = {
        **flight,
        "Flight number": "IB3671",
        "From (IATA code)": "BER",
        "To (IATA code)": "MAD",
        "Departure date": home_day.isoformat(),
        "Departure time": "12:00",
        "Arrival date": home_day.isoformat(),
        "Arrival time": "15:05",
    }
    _book(page, "#flights", "Book flight", home, "Flight IB3671 BER→MAD: requested.")

    # The hotel after discharge, one night short of the flight home.
    page.locator("#hotels").get_by_role("link", name="Book hotel stay").click()
    _fill(
        page,
        {
            "Hotel": "Spreeufer Hotel",
            "Address": "Friedrichstraße 120, 10117 Berlin",
            "Check-in": discharge_day.isoformat(),
            "Check-out": (home_day - timedelta(days=1)).isoformat(),
            "Room type": "Double room, step-free",
            "Guests": "Lucía Romero Vidal, Marta Romero",
            "Cost": "139.00",
        },
    )
    browse.shot("booking-form-hotel")
    page.get_by_role("button", name="Request booking").click()
    expect(flashes(page)).to_contain_text("Hotel Spreeufer Hotel")

    # The itinerary now lists what is wrong: nobody meets the flight, a night without a bed, no interpreter.
    _itinerary(page)
    codes = findings(page)
    assert {"arrival_without_transfer", "hotel_gap_after_discharge", "no_interpreter"} <= set(codes), codes
    assert "arrival_after_admission" not in codes, codes  # lands on the admission day
    box = page.locator("#findings")
    expect(box).to_contain_text("No transfer meets flight IB3670 (MAD → BER)")
    expect(box).to_contain_text(f"No hotel for the night of {home_day - timedelta(days=1):%a} ")
    expect(box).to_contain_text("The patient speaks Spanish, which nobody at Spree Orthopaedic Hospital speaks")
    browse.shot("itinerary-with-findings")
    JOURNEY["findings_first_seen"] = codes

    # The case cannot be marked as travel booked while the itinerary has problems (nor unconfirmed).
    page.locator(".crumbs").get_by_role("link", name=JOURNEY["number"]).click()
    expect(page.get_by_role("button", name="Move to Travel booked")).to_be_disabled()
    blockers = page.locator("form.step", has_text="Move to Travel booked").locator(".blocker")
    expect(blockers).to_have_count(2)
    expect(blockers.first).to_contain_text("Book the hospital appointment and have the hospital confirm it")
    # Three problems above, and the two rides nobody booked yet: to the hospital on admission, to the flight home.
    expect(blockers.last).to_contain_text("The itinerary shows 5 problems (No transfer meets flight IB3670")
    # Holding the case stays a secondary choice while the move forward is blocked.
    expect(page.get_by_role("button", name="Put on hold")).not_to_have_class(re.compile(r"\bbtn-primary\b"))
    expect(page.locator("#findings")).to_contain_text("No transfer meets flight IB3670")

    # An airport pickup linked to the flight, but too soon after landing.
    page.get_by_role("link", name="Bookings and logistics costs").click()
    page.locator("#transfers").get_by_role("link", name="Book transfer").click()
    _fill(
        page,
        {
            "select:From": "Airport",
            "Pickup place": "Berlin Brandenburg Airport, arrivals hall T1",
            "select:To": "Hospital",
            "Destination": "Spree Orthopaedic Hospital, Spreeweg 11",
            "Pickup date": (lands + timedelta(minutes=15)).date().isoformat(),
            "Pickup time": f"{lands + timedelta(minutes=15):%H:%M}",
            "option:Meets flight": "IB3670",
            "Transfer company": "MedDrive Germany",
            "Driver": "Andreas Keller",
            "Driver's phone": "+49 151 2000 3000",
            "Cost": "85.00",
        },
    )
    browse.shot("booking-form-transfer")
    page.get_by_role("button", name="Request booking").click()
    expect(flashes(page)).to_contain_text("Transfer Berlin Brandenburg Airport, arrivals hall T1 → Spree")
    _itinerary(page)
    codes = findings(page)
    assert "arrival_without_transfer" not in codes and "pickup_too_early" in codes, codes
    expect(page.locator("#findings")).to_contain_text("only 15 min after the flight lands")
    expect(page.locator("#findings")).to_contain_text(f"pick up at {lands + timedelta(minutes=45):%H:%M}")
    browse.shot("itinerary-pickup-too-early")

    # Fix them: the pickup later, the hotel to the day of the flight home, an interpreter at the appointment.
    page.locator(".crumbs").get_by_role("link", name=JOURNEY["number"]).click()
    page.get_by_role("link", name="Bookings and logistics costs").click()
    pickup = lands + timedelta(hours=1)
    _edit(page, "#transfers", {"Pickup date": pickup.date().isoformat(), "Pickup time": f"{pickup:%H:%M}"}, "saved.")
    _edit(page, "#hotels", {"Check-out": home_day.isoformat()}, "saved.")
    # The ride from the hotel to the flight home (the airport pickup already takes the patient to the hospital on
    # the admission day).
    _book(
        page,
        "#transfers",
        "Book transfer",
        {
            "select:From": "Hotel",
            "Pickup place": "Spreeufer Hotel, Friedrichstraße 120",
            "select:To": "Airport",
            "Destination": "Berlin Brandenburg Airport, departures T1",
            "Pickup date": home_day.isoformat(),
            "Pickup time": "09:00",
            "option:Meets flight": "IB3671",
            "Transfer company": "MedDrive Germany",
            "Cost": "85.00",
        },
        "Transfer Spreeufer Hotel, Friedrichstraße 120 → Berlin",
    )

    page.locator(".crumbs").get_by_role("link", name=JOURNEY["number"]).click()
    page.get_by_role("main").get_by_role("link", name="Interpreters", exact=True).click()
    expect(page.locator("section.card")).to_contain_text("No interpreter booked for this case.")
    page.get_by_role("link", name="Book an interpreter").click()
    expect(page.locator("p.muted").first).to_contain_text(f"{PATIENT} speaks Spanish.")
    select_option_containing(page, page.get_by_label("Interpreter"), "Carmen Ortega")
    page.get_by_label("Language", exact=True).select_option(label="Spanish")
    page.get_by_label("Date").fill(appointment_day.isoformat())
    page.get_by_label("From").fill("14:45")
    page.get_by_label("Until").fill("17:00")
    expect(page.get_by_label("Place")).to_have_value(re.compile("^Spree Orthopaedic Hospital"))
    browse.shot("booking-form-interpreter")
    page.get_by_role("button", name="Book interpreter").click()
    expect(flashes(page)).to_contain_text("Carmen Ortega requested for")
    page.get_by_placeholder("Reference (optional)").fill("CO-0611")
    page.get_by_role("button", name="Confirm").click()
    expect(flashes(page)).to_contain_text("Carmen Ortega's booking is confirmed.")
    expect(page.locator("table.table")).to_contain_text("ref. CO-0611")
    browse.shot("interpreter-bookings")

    _itinerary(page)
    codes = findings(page)
    assert not [code for code in codes if code != "unconfirmed_soon"], codes
    expect(page.locator("#findings")).to_contain_text("0 problems")

    # The suppliers confirm; then nothing is left, not even a warning.
    page.locator(".crumbs").get_by_role("link", name=JOURNEY["number"]).click()
    page.get_by_role("link", name="Bookings and logistics costs").click()
    _confirm(page, "#appointment", "SOH-26-4471", "Hospital appointment")
    _confirm(page, "#flights", "IB-7KQ2LM", "Flight")
    _confirm(page, "#flights", "IB-7KQ2LN", "Flight")
    _confirm(page, "#hotels", "SPREE-55123", "Hotel stay")
    _confirm(page, "#transfers", "MD-2026-118", "Transfer")
    _confirm(page, "#transfers", "MD-2026-119", "Transfer")
    expect(page.locator("form[action$='/confirm']")).to_have_count(0)
    expect(page.locator("#costs")).to_contain_text("€")
    browse.shot("bookings-confirmed")
    # At 1280 px every table fits its card: status, cost and the actions are in view, no sideways scrolling.
    overflowing = page.locator("section.card").evaluate_all(
        "cards => cards.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.id)"
    )
    assert overflowing == [], overflowing

    _itinerary(page)
    expect(page.locator("#findings")).to_contain_text("No problems found in the bookings made so far.")
    assert findings(page) == []
    expect(page.locator("table.table")).to_contain_text("Carmen Ortega")
    browse.shot("itinerary-without-findings")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the patient's PDF").click()
    assert download.value.suggested_filename == f"itinerary-{JOURNEY['number']}.pdf"
    pdf = tmp_path / "itinerary.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in (JOURNEY["number"], "IB3670", "Spreeufer Hotel", "Carmen Ortega"):
        assert expected in text, f"{expected!r} not in the itinerary PDF"
    JOURNEY["itinerary_pdf_bytes"] = pdf.stat().st_size

    page.locator(".crumbs").get_by_role("link", name=JOURNEY["number"]).click()
    move_to(page, "Travel booked")
    browse.shot("case-travel-booked")
    JOURNEY["travel_booked"] = True


# ------------------------------------------------------------------------------------------ 4. treatment to aftercare


def test_coordinator_takes_the_case_through_treatment_to_aftercare_and_records_a_follow_up(browse):
    if not JOURNEY.get("travel_booked"):
        pytest.skip("the trip was not booked")
    page = open_case(browse)
    expect(page.locator("#follow-ups")).to_contain_text("The follow-ups are planned when the case is discharged")
    move_to(page, "In treatment")
    expect(page.get_by_role("button", name="Put on hold")).to_have_count(0)  # no pausing once in hospital
    browse.shot("case-in-treatment")
    move_to(page, "Discharged")

    # Discharge plans the programme's follow-ups: three physiotherapy reviews and a check-up.
    follow_ups = page.locator("#follow-ups tbody tr")
    expect(follow_ups).to_have_count(4)
    expect(page.locator("#follow-ups")).to_contain_text("Physiotherapy review")
    expect(page.locator("#follow-ups")).to_contain_text("Orthopaedic check-up")
    move_to(page, "Aftercare")
    browse.shot("case-aftercare-follow-ups")

    first = follow_ups.first
    label = first.locator("td").nth(1).inner_text()
    first.get_by_text("Mark done", exact=True).click()
    first.get_by_label("Result").fill("Walks without crutches; wound healed; physiotherapy at home continues.")
    first.get_by_role("button", name="Record result").click()
    expect(flashes(page)).to_contain_text(f"{label} is done; its result is recorded.")
    expect(page.locator("#follow-ups tbody tr").first).to_contain_text("Done ")
    expect(page.locator("#follow-ups tbody tr").first).to_contain_text("Walks without crutches")
    expect(state_badge(page)).to_have_text("Aftercare")
    # The screening is history now: shown, no longer offered for change.
    expect(page.locator("#screening")).to_contain_text("The screening can no longer change at this stage")
    expect(page.get_by_role("button", name="Save answers")).to_have_count(0)
    expect(page.get_by_label(f"yes: {CONTRAINDICATION}")).to_be_disabled()
    browse.shot("case-follow-up-recorded")

    # The due list of the next 14 days: the review just recorded has left it, the next one is further away.
    page.get_by_role("link", name="Due follow-ups").click()
    expect(page.get_by_role("heading", name="Due follow-ups")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(JOURNEY["number"])
    browse.shot("due-follow-ups")

    figures = {
        "case": JOURNEY["number"],
        "states_walked": 9,
        "findings_first_seen": JOURNEY.get("findings_first_seen"),
        "itinerary_pdf_bytes": JOURNEY.get("itinerary_pdf_bytes"),
        "seconds_in_the_browser": round(time.monotonic() - JOURNEY["started"], 1),
    }
    record("e2e-coordinator-path", figures, command=".venv/bin/python -m pytest -q tests/e2e/test_coordinator_path.py")
    print(f"\ne2e coordinator path: {figures}")


def test_coordinator_adds_a_follow_up_by_hand_and_keeps_several_reminders(browse):
    if not JOURNEY.get("travel_booked"):
        pytest.skip("the trip was not booked")
    page = open_case(browse)
    today = today_at_hospital()

    # A follow-up the programme's schedule does not hold, added by hand on the case's follow-ups.
    box = page.locator("#follow-ups")
    box.get_by_text("Add a follow-up", exact=True).click()
    box.get_by_label("Follow-up", exact=True).fill("Wound check by the family doctor")
    box.get_by_label("Due on", exact=True).fill((today + timedelta(days=10)).isoformat())
    box.get_by_role("button", name="Add follow-up").click()
    expect(flashes(page)).to_contain_text("Wound check by the family doctor is added")
    expect(page.locator("#follow-ups tbody tr")).to_have_count(5)

    # Two reminders of the coordinator's own: both kept, the earliest first; one marked done, the other stays.
    reminders = page.locator("#reminders")
    for days, text in ((3, "Ask for the physiotherapy report"), (0, "Call Lucía about her flight home")):
        reminders.get_by_label("Due on", exact=True).fill((today + timedelta(days=days)).isoformat())
        reminders.get_by_label("What is due", exact=True).fill(text)
        reminders.get_by_role("button", name="Add reminder").click()
        expect(flashes(page)).to_contain_text("Reminder saved.")
    expect(reminders.locator("li.reminder").first).to_contain_text("Call Lucía about her flight home")
    expect(reminders.locator("li.reminder")).to_have_count(2)
    browse.shot("case-reminders")
    reminders.locator("li.reminder", has_text="Call Lucía").get_by_role("button", name="Done").click()
    expect(flashes(page)).to_contain_text("Reminder done: Call Lucía about her flight home")
    expect(page.locator("#reminders li.reminder")).to_have_count(1)
    expect(page.locator("#reminders")).to_contain_text("Ask for the physiotherapy report")
