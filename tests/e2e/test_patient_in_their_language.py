"""Issue 17's journey, as a new patient makes it on a phone (390x844): a request sent in Russian and one in Arabic
(right to left) are confirmed by mail in the language they were sent in; the coordinator books the Arabic-speaking
patient's trip, invites her to the portal and asks for a record; she sets her password, finds the portal in Arabic,
sees her trip and downloads the itinerary PDF with her name in Arabic script, sends the record and writes a message;
the coordinator answers from the case page and she reads the answer. Every patient page is measured (no sideways
scrolling) and kept as a screenshot in test-artifacts/e2e/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Browse
from tests.e2e.test_coordinator_path import RECORD_PDF, _book
from tests.e2e.test_mail_journey import caught_mail
from tests.e2e.test_patient_pages_fit_a_phone import MISFITS
from tests.test_pdf_scripts import assert_text_comes_back, missing_glyphs, pdf_text

PHONE = {"width": 390, "height": 844}
PASSWORD = "النخيل على ضفاف النهر"  # "palms on the river bank": a password in her own script
REQUESTS = {
    # language: (name, email, treatment, a word of the confirmation mail in that language)
    "ru": ("Ольга Смирнова", "olga.smirnova@example.org", "Стволовые клетки, диабет 1 типа", "Здравствуйте"),
    "ar": ("ليلى حداد", "layla.haddad@example.org", "زراعة الخلايا الجذعية لمرض السكري", "شكرًا لك على طلبك"),
}
JOURNEY: dict = {}


def fits(browse: Browse, name: str) -> None:
    """A screenshot of the page the tab shows, and nothing on it wider than the phone."""
    browse.shot(name)
    problems = browse.page.evaluate(MISFITS)
    assert not problems, f"{name} does not fit a phone: {problems}"


def flashes(page: Page):
    return page.locator(".flashes")


@pytest.mark.parametrize("language", ["ru", "ar"])
def test_a_request_sent_in_russian_or_arabic_is_confirmed_by_mail_in_that_language(browse: Browse, language):
    name, email, treatment, greeting = REQUESTS[language]
    page = browse.page
    page.set_viewport_size(PHONE)
    browse.go(f"/request?lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.locator("select[name=preferred_language]")).to_have_value(language)  # the page's language
    page.fill("input[name=name]", name)
    page.fill("input[name=email]", email)
    page.select_option("select[name=country]", "AE" if language == "ar" else "KZ")
    page.fill("input[name=requested_treatment]", treatment)
    page.check("input[name=consent]")
    fits(browse, f"request-{language}")
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/request/thanks")
    number = page.locator(".intake-number").inner_text()
    expect(page.locator("h1")).to_contain_text(name)
    fits(browse, f"thanks-{language}")

    mail = caught_mail(browse.server, to=email, subject=number)
    assert mail["Content-Language"] == language
    text = mail.get_body(("plain",)).get_content()
    assert greeting in text and number in text, text
    assert treatment not in text  # no health data in a mail
    JOURNEY[language] = number


def test_the_arabic_speaking_patient_finds_her_trip_sends_a_record_and_talks_to_her_coordinator(
    browse, browser, tmp_path
):
    if "ar" not in JOURNEY:
        pytest.skip("the Arabic request did not go through")
    name, email, _treatment, _greeting = REQUESTS["ar"]
    page = browse.page

    # The coordinator takes the case, books her flight and hotel, asks for a record and invites her to the portal.
    browse.login("coordinator")
    browse.go(f"/cases/?q={JOURNEY['ar']}")
    page.locator("table.table tbody tr", has_text=JOURNEY["ar"]).get_by_role("link", name=JOURNEY["ar"]).click()
    case_path = re.search(r"/cases/\d+", page.url).group(0)
    page.get_by_role("button", name="Take this case").click()
    expect(flashes(page)).to_contain_text("The case is yours now.")
    flies = date.today() + timedelta(days=20)
    page.get_by_role("link", name="Bookings and logistics costs").click()
    _book(
        page,
        "#flights",
        "Book flight",
        {
            "Flight number": "EK45",
            "Airline": "Emirates",
            "From (IATA code)": "DXB",
            "To (IATA code)": "FRA",
            "Departure date": flies.isoformat(),
            "Departure time": "08:40",
            "Arrival date": flies.isoformat(),
            "Arrival time": "13:25",
            "Passengers": name,
            "Cost": "640.00",
        },
        "Flight EK45 DXB→FRA: requested.",
    )
    _book(
        page,
        "#hotels",
        "Book hotel stay",
        {
            "Hotel": "Mainufer Hotel",
            "Address": "Untermainkai 20, 60329 Frankfurt am Main",
            "Check-in": flies.isoformat(),
            "Check-out": (flies + timedelta(days=14)).isoformat(),
            "Guests": name,
            "Cost": "1680.00",
        },
        "Hotel Mainufer Hotel",
    )
    browse.go(case_path)
    page.locator("form.document-request-form input[name=description]").fill("Your latest HbA1c result")
    page.locator("form.document-request-form button").click()
    expect(flashes(page)).to_contain_text("The patient is asked for the document in the portal.")
    page.get_by_role("button", name="Invite patient to the portal").click()
    link = page.get_by_label("Invitation link").input_value()
    browse.logout()

    # She, on her phone, in a browser of her own: the invitation, then the portal in Arabic (her request's language).
    context = browser.new_context(viewport=PHONE, accept_downloads=True, locale="en-GB")
    context.set_default_timeout(15_000)
    try:
        patient = Browse(context.new_page(), browse.server, browse.test_name, after=browse)
        _her_portal(patient, link, name, email, tmp_path)
        browse.shots = patient.shots
    finally:
        context.close()

    # The coordinator answers her in the portal from the case page.
    browse.login("coordinator")
    browse.go(case_path)
    thread = page.locator("#thread")
    expect(thread).to_contain_text("هل أحتاج إلى تأشيرة")
    expect(page.locator("#documents")).to_contain_text("hba1c.pdf")
    thread.locator("#portal-answer textarea").fill("No visa is needed for your stay; we send the invitation letter.")
    thread.locator("#portal-answer button").click()
    expect(flashes(page)).to_contain_text("waits for the patient in the portal")
    browse.shot("coordinator-answered")
    # She is told by mail, in Arabic, that a message waits; its text stays in the portal.
    waiting = caught_mail(browse.server, to=email, subject="رسالة جديدة بانتظارك في بوابة المرضى")
    assert "invitation letter" not in waiting.get_body(("plain",)).get_content()

    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    try:
        patient = Browse(context.new_page(), browse.server, browse.test_name, after=browse)
        patient.login("patient", email=email, password=PASSWORD)
        patient.go("/portal/messages")
        expect(patient.page.locator(".portal-message-theirs").last).to_contain_text("No visa is needed")
        fits(patient, "portal-messages-answered-ar")
    finally:
        context.close()


def _her_portal(patient: Browse, link: str, name: str, email: str, tmp_path) -> None:
    page = patient.page
    page.goto(link)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=confirm]").fill(PASSWORD)
    fits(patient, "set-password")
    page.locator("form button[type=submit]").click()
    expect(flashes(page)).to_contain_text(email.lower())
    patient.login("patient", email=email, password=PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "ar")  # her request's language, not the browser's
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    fits(patient, "portal-home-ar")

    # The trip: the flight with its local times, the hotel, the coordinator; the itinerary PDF in Arabic.
    page.locator("nav.mainnav").get_by_role("link", name="رحلتي").click()  # "My trip"
    trip = page.locator("main")
    expect(trip).to_contain_text("EK45")
    expect(trip).to_contain_text("Mainufer Hotel")
    expect(trip).to_contain_text("Carla Coordinator")
    fits(patient, "portal-trip-ar")
    with page.expect_download() as download:
        page.get_by_role("link", name="تنزيل خطة الرحلة (PDF)").click()  # "Download the itinerary (PDF)"
    pdf = download.value.path().read_bytes()
    text = pdf_text(pdf)
    assert_text_comes_back(text, name, shaped=True)
    assert "EK45" in text and missing_glyphs(pdf) == []

    # The record the coordinator asked for, sent from the documents page.
    page.locator("nav.mainnav").get_by_role("link", name="مستنداتي").click()  # "My documents"
    expect(page.locator("main")).to_contain_text("HbA1c")
    fits(patient, "portal-documents-ar")
    page.locator("form.portal-upload input[type=file]").first.set_input_files(
        {"name": "hba1c.pdf", "mimeType": "application/pdf", "buffer": RECORD_PDF}
    )
    page.locator("form.portal-upload button").first.click()
    expect(flashes(page)).to_be_visible()
    expect(page.locator("main")).to_contain_text("hba1c.pdf")
    fits(patient, "portal-document-sent-ar")

    # A message to her coordinator, in the portal's secure thread.
    page.locator("nav.mainnav").get_by_role("link", name="الرسائل").click()  # "Messages"
    page.locator("textarea[name=text]").fill("هل أحتاج إلى تأشيرة لدخول ألمانيا؟")  # "Do I need a visa for Germany?"
    page.locator("form.portal-write button").click()
    expect(page.locator(".portal-message-mine").last).to_contain_text("تأشيرة")
    fits(patient, "portal-message-sent-ar")
