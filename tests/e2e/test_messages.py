"""Writing from the case in the browser: a coordinator uploads a record, writes to the case's physician from the "ask
the physician" template with the record attached, and sees the message on the case's thread and timeline, then sent;
the mail catcher of `make run` received it with the file (the administrator reads it under "Caught mail")."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Browse
from tests.e2e.test_case_page import PAGE_OVERFLOWING

RECORD = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def case_with_physician(browse: Browse) -> str:
    """A demo case in `confirmed` whose physician is chosen (demo physicians have an address): its path."""
    page = browse.page
    browse.go("/cases/?state=confirmed")
    paths = page.locator("table.table tbody tr td:first-child a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    for path in paths:
        browse.go(path)
        if page.locator("#thread select[name=to] option[value=physician]").count():
            return path
    pytest.skip("the demo has no confirmed case with a physician")


def test_a_coordinator_writes_to_the_physician_with_a_record_and_sees_it_on_the_thread(browse: Browse):
    page = browse.page
    browse.login("coordinator")
    path = case_with_physician(browse)
    case_id = int(re.search(r"/cases/(\d+)", path).group(1))

    upload = page.locator("form.document-upload")
    upload.locator("input[type=file]").set_input_files(
        {"name": "blood-panel.pdf", "mimeType": "application/pdf", "buffer": RECORD}
    )
    upload.get_by_label("Document type").select_option("medical_record")
    upload.get_by_role("button", name="Upload").click()
    expect(page.locator(".flashes")).to_contain_text("blood-panel.pdf")

    page.locator("#thread").get_by_role("link", name="Ask the physician in advance").click()
    expect(page.locator("h1")).to_have_text("Ask the physician in advance")
    expect(page.locator("#request")).to_contain_text("blood-panel.pdf")
    browse.shot("ask-the-physician")
    # the request without the patient's consent is refused; with it recorded first, it goes
    page.locator("#request").get_by_label(re.compile("blood-panel.pdf")).check()
    page.get_by_role("button", name="Send the request with the records").click()
    expect(page.locator(".flashes")).to_contain_text("Record the patient's consent")
    page.locator("#consent").get_by_label(re.compile("blood-panel.pdf")).check()
    page.locator("#consent").get_by_label("Note").fill("Signed form received by mail")
    page.get_by_role("button", name="Record the consent").click()
    expect(page.locator(".flashes")).to_contain_text("consent is recorded")
    page.locator("#request").get_by_label(re.compile("blood-panel.pdf")).check()
    page.get_by_role("button", name="Send the request with the records").click()
    expect(page.locator(".flashes")).to_contain_text("Consultation request")
    browse.go(path)

    thread = page.locator("#thread")
    thread.locator("select[name=to]").select_option("physician")
    thread.locator("select[name=template]").select_option("ask_physician")
    thread.get_by_role("button", name="Write a message").click()
    expect(page.locator("h1")).to_have_text("Write a message")
    expect(page.get_by_label("Subject")).to_have_value(re.compile("Request for your assessment|Bitte um Ihre"))
    page.get_by_label(re.compile("blood-panel.pdf")).check()
    browse.shot("compose-to-the-physician")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".flashes")).to_contain_text("queued")

    row = page.locator("#thread li.timeline-item").first
    expect(row).to_contain_text("blood-panel.pdf")
    expect(row).to_contain_text(re.compile("Queued|Sent"))
    expect(page.locator("#timeline")).to_contain_text("Mail to")
    page.locator("#thread").scroll_into_view_if_needed()
    browse.shot("case-page-thread")
    for width in (1280, 1024):  # the thread fits the case page's main column
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(PAGE_OVERFLOWING) == [], width
    page.set_viewport_size({"width": 1280, "height": 900})

    # the worker sends it: the thread says so once the catcher took it
    for _ in range(30):
        browse.go(f"/cases/{case_id}")
        if "Sent" in page.locator("#thread li.timeline-item").first.inner_text():
            break
        page.wait_for_timeout(500)
    expect(page.locator("#thread li.timeline-item").first).to_contain_text("Sent")
    page.locator("#thread li.timeline-item").first.get_by_role("link").click()
    expect(page.locator("body")).to_contain_text("blood-panel.pdf")
    subject = page.locator("h1").inner_text()
    physician = re.search(r"To\s+(\S+@\S+) \(physician\)", browse.text()).group(1)
    browse.shot("message-page")

    # what the mail catcher of `make run` received: the message to the physician, the record attached
    browse.logout()
    browse.login("admin")
    browse.go("/dev/mail/")
    page.locator("table tbody tr", has_text=subject).first.get_by_role("link").click()
    expect(page.locator("body")).to_contain_text(physician)
    expect(page.get_by_role("link", name="blood-panel.pdf")).to_be_visible()
