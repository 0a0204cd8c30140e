"""A coordinator in the browser: opens a case from the case list ("New case"), is offered the known patient when
the email is already on file, and finds the case again by a name typed without its accent and by part of its
number. The server's demo data pauses intake to Türkiye, which the new case must override with a reason.
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

PATIENT = "Łukasz Wiśniewski-Zając"
TAG = uuid.uuid4().hex[:8]
EMAIL = f"lukasz.{TAG}@example.pl"


def fill_new_case(page: Page, *, destination: str) -> None:
    page.get_by_label("Patient's name").fill(PATIENT)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Phone").fill("+48 (22) 555-01-23")
    page.get_by_label("Country of residence").select_option(label="Poland")
    page.get_by_label("Diagnosis or treatment wanted").fill("Lumbar disc herniation")
    page.get_by_label("Destination country").select_option(label=destination)
    page.get_by_label("The patient agreed to the processing of their health data").check()


def rows(page: Page):
    return page.locator("table.table tbody tr")


def test_coordinator_opens_a_case_from_the_list_overriding_a_paused_destination_and_finds_it_again(browse):
    page = browse.page
    browse.login("coordinator")
    browse.go("/cases/")
    page.get_by_role("link", name="New case").click()
    expect(page.get_by_role("heading", name="New case from a call or an e-mail")).to_be_visible()

    fill_new_case(page, destination="Türkiye (intake paused)")
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator(".flashes")).to_contain_text("Intake to Türkiye is paused")
    browse.shot("new-case-paused-destination")
    page.get_by_label("Reason to open it although intake is paused").fill("Referred by the patient's surgeon")
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator(".flashes")).to_contain_text("opened")
    number = re.search(r"C-\d{4}-\d{5}", page.locator("h1").inner_text()).group(0)
    expect(page.locator("body")).to_contain_text("Opened although intake to Türkiye is paused")

    # Found by the name typed without its accents, in lower case.
    browse.go("/cases/")
    page.get_by_label("Search").fill("lukasz wisniewski")
    page.get_by_role("button", name="Filter").click()
    expect(rows(page).filter(has_text=number)).to_contain_text(PATIENT)
    browse.shot("case-list-search-lukasz")
    page.get_by_label("Search").fill("lukasz")
    page.get_by_role("button", name="Filter").click()
    expect(rows(page).filter(has_text=number)).to_be_visible()

    # Found by the serial part of its number alone.
    serial = number.rsplit("-", 1)[1]
    page.get_by_label("Search").fill(serial)
    page.get_by_role("button", name="Filter").click()
    expect(rows(page).filter(has_text=number)).to_contain_text(PATIENT)
    browse.shot("case-list-search-partial-number")

    # The same email again: the known patient is offered, and the second case is opened for them.
    browse.go("/cases/new")
    fill_new_case(page, destination="Germany")
    page.get_by_role("button", name="Open the case").click()
    warning = page.locator(".known-contact")
    expect(warning).to_contain_text("This email or phone number is already known")
    expect(warning.get_by_role("link", name=number)).to_be_visible()
    browse.shot("new-case-known-contact")
    warning.get_by_role("button", name=f"Open the case for {PATIENT}").click()
    expect(page.locator(".flashes")).to_contain_text("opened")
    expect(page.locator("body")).to_contain_text("Opened for the existing patient record")
