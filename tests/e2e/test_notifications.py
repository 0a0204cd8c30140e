"""Telling staff, in the browser: a visitor's request shows in the coordinator's menu count and notification centre;
opening the notification leads to the case and marks it read; the digest is chosen on the account page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import Browse

PATIENT = "Inés Navarro"


def unread(browse: Browse) -> int:
    count = browse.page.locator(".mainnav .nav-count")
    return int(count.inner_text()) if count.count() else 0


def test_a_request_reaches_the_coordinators_notification_centre_and_leads_to_its_case(browse: Browse):
    page = browse.page
    browse.go("/request")
    page.get_by_label("Patient's full name").fill(PATIENT)
    page.get_by_label("Email", exact=True).fill("ines.navarro@example.org")
    page.get_by_label("Country of residence").select_option(label="Spain")
    page.get_by_label("Diagnosis or treatment wanted").fill("Chronic lower back pain")
    page.get_by_label("I agree that the operator processes the health data").check()
    page.get_by_role("button", name="Send my request").click()
    number = page.locator(".intake-number").inner_text()

    browse.login("coordinator")
    before = unread(browse)
    assert before >= 1
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    link = page.get_by_role("link", name=f"{number}: New request in the queue")
    expect(link).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Chronic lower back pain")
    browse.shot("centre")

    link.click()
    expect(page.locator("body")).to_contain_text(number)
    assert re.search(r"/cases/\d+$", page.url), page.url
    assert unread(browse) == before - 1

    browse.go("/notifications/")
    row = page.locator("tr", has_text=f"{number}: New request in the queue")
    expect(row).to_contain_text("Read")
    browse.shot("centre-after-opening")


def test_a_coordinator_chooses_the_daily_digest_on_the_account_page(browse: Browse):
    page = browse.page
    browse.login("coordinator")
    browse.go("/notifications/")
    expect(page.locator("body")).to_contain_text("Email digest: off")
    page.get_by_role("link", name="change").click()
    page.get_by_label(re.compile("Daily: one email")).check()
    page.get_by_role("button", name="Save my choice").click()
    assert "Email digest of your notifications: daily." in browse.flash()
    browse.shot("digest-daily")
    page.get_by_label(re.compile("Off: the notification centre")).check()  # as the demo had it, for the tests after this one
    page.get_by_role("button", name="Save my choice").click()
    assert "Email digest of your notifications: off." in browse.flash()
