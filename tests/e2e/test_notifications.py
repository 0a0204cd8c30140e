"""Telling staff, in the browser: the coordinator's menu shows the unread count, the centre lists the notifications,
opening one leads to its case and marks it read; the digest is chosen on the account page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import Browse


def unread(browse: Browse) -> int:
    count = browse.page.locator(".mainnav .nav-count")
    return int(count.inner_text()) if count.count() else 0


def test_the_coordinator_opens_a_notification_from_the_menu_and_lands_on_its_case_marked_read(browse: Browse):
    """The demo's notifications (and the request of the coordinator's path, when it ran first): no request of its
    own, so the public form's limit per address is left to the tests about the form."""
    page = browse.page
    browse.login("coordinator")
    before = unread(browse)
    assert before >= 1
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    link = page.locator("tr.notification-unread a", has_text="New request in the queue").first
    text = link.inner_text()
    number = re.match(r"C-\d{4}-\d{5}", text).group(0)
    browse.shot("centre")

    link.click()
    expect(page.locator("body")).to_contain_text(number)
    assert re.search(r"/cases/\d+$", page.url), page.url
    assert unread(browse) == before - 1

    browse.go("/notifications/")
    expect(page.locator("tr.notification-read", has_text=text)).to_contain_text("Read")
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
    page.get_by_label(re.compile("Off: the notification centre")).check()  # as the demo had it
    page.get_by_role("button", name="Save my choice").click()
    assert "Email digest of your notifications: off." in browse.flash()
