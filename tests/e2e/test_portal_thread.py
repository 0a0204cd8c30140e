"""The portal's secure thread and account page on a phone (390x844), in Arabic (right to left) and German: the patient
chooses their language on the account page, writes to their coordinator, a coordinator answers in the portal from
the case page, and the patient reads the answer. No page scrolls sideways; screenshots of each step are kept."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import Browse
from tests.e2e.test_finance_layout import OVERFLOWING
from tests.e2e.test_layout_fits import PAGE_WIDTH

PATIENT = "patient2@demo.test"  # Priya reads English: she is put back to it at the end
PHONE = {"width": 390, "height": 844}
QUESTION = "هل يمكنني السفر يوم الاثنين؟\nركبتي ما زالت متورمة."
ANSWER = "Ja, Montag passt. Bitte bringen Sie Ihren Arztbrief mit.\nMit freundlichen Grüßen"


def fits(browse: Browse, name: str) -> list[str]:
    browse.shot(name)
    found = [f"the page ({w} px wide)" for w in browse.page.evaluate(PAGE_WIDTH) if w > PHONE["width"]]
    return found + browse.page.evaluate(OVERFLOWING)


def choose_language(browse: Browse, code: str) -> None:
    browse.go("/portal/account")
    browse.page.locator("select[name=language]").select_option(code)
    browse.page.locator("form[action$='/portal/account/language'] button").click()
    browse.page.wait_for_load_state()
    expect(browse.page.locator("html")).to_have_attribute("lang", code)


def test_a_patient_writes_to_the_coordinator_and_reads_the_answer_on_a_phone_in_arabic_and_german(browse: Browse):
    page = browse.page
    page.set_viewport_size(PHONE)
    problems = {}
    browse.login("patient", email=PATIENT)
    try:
        choose_language(browse, "ar")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("h1")).to_have_text("حسابي")
        problems["account ar"] = fits(browse, "account-ar")

        page.locator("nav.mainnav").get_by_role("link", name="الرسائل").click()
        expect(page.locator("h1")).to_have_text("الرسائل مع منسقك")
        page.locator("textarea[name=text]").fill(QUESTION)
        page.locator("form.portal-write button").click()
        expect(page.locator(".flashes")).to_contain_text("تم إرسال رسالتك")
        expect(page.locator(".portal-message-mine").last).to_contain_text("ركبتي ما زالت متورمة")
        case_id = re.search(r"/portal/messages/(\d+)", page.url).group(1)
        problems["messages ar"] = fits(browse, "messages-ar")

        page.context.clear_cookies()
        page.set_viewport_size({"width": 1280, "height": 900})
        browse.login("admin")
        browse.go(f"/cases/{case_id}")
        thread = page.locator("#thread")
        expect(thread).to_contain_text("هل يمكنني السفر")
        expect(thread.locator(".badge", has_text="portal").first).to_be_visible()
        thread.locator("#portal-answer textarea").fill(ANSWER)
        thread.locator("#portal-answer button").click()
        expect(page.locator(".flashes")).to_contain_text("waits for the patient in the portal")
        browse.shot("case-thread-answered")

        page.context.clear_cookies()
        page.set_viewport_size(PHONE)
        browse.login("patient", email=PATIENT)
        choose_language(browse, "de")
        expect(page.locator("h1")).to_have_text("Mein Konto")
        problems["account de"] = fits(browse, "account-de")
        browse.go("/portal/messages")
        expect(page.locator("h1")).to_have_text("Nachrichten mit Ihrer Koordination")
        expect(page.locator(".portal-message-theirs").last).to_contain_text("Bitte bringen Sie Ihren Arztbrief mit")
        problems["messages de"] = fits(browse, "messages-de")
    finally:  # Priya as the rest of the suite knows her
        page.context.clear_cookies()
        browse.login("patient", email=PATIENT)
        choose_language(browse, "en")
    assert not {where: found for where, found in problems.items() if found}, problems
