"""Mail in the browser, end to end: a visitor's request is confirmed by mail with its case number; the coordinator is
notified, writes to the patient from the case, and the patient's reply - delivered to the operator's IMAP mailbox, a
real Dovecot - appears on the case's thread once the fetch job has read it.

The mail leaves through the live server's worker and its mail catcher (`make run`'s real SMTP server); the test reads
what the catcher received from its folder, as the administrator's "Caught mail" page does.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from playwright.sync_api import expect

from backoffice.mail_catcher import list_caught
from tests.e2e.conftest import Browse, LiveServer

PATIENT = "Greta Briefwechsel"
EMAIL = "greta.briefwechsel@example.org"
JOURNEY: dict = {}


def caught_mail(server: LiveServer, *, to: str, subject: str, timeout: float = 30.0):
    """The first mail the catcher received for `to` whose subject contains `subject` (waits for the worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for summary in list_caught(server.caught_mail, per_page=200).items:
            if to in summary.to and subject in summary.subject:
                content = (server.caught_mail / "new" / summary.name).read_bytes()
                return email.message_from_bytes(content, policy=email.policy.default)
        time.sleep(0.5)
    raise AssertionError(f"no mail to {to} about {subject!r} reached the catcher within {timeout:.0f} s")


def test_a_visitors_request_is_confirmed_by_mail_with_its_case_number(browse: Browse):
    page = browse.page
    browse.go("/request")
    page.get_by_label("Patient's full name").fill(PATIENT)
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Country of residence").select_option(label="Austria")
    page.get_by_label("Preferred language").select_option("de")
    page.get_by_label("Diagnosis or treatment wanted").fill("Knee arthroscopy")
    page.get_by_label("Where would you like to be treated?").select_option(label="Germany")
    page.get_by_label("I agree that the operator processes the health data").check()
    page.get_by_role("button", name="Send my request").click()
    number = page.locator(".intake-number").inner_text()
    assert re.fullmatch(r"C-\d{4}-\d{5}", number), number
    JOURNEY["number"] = number

    confirmation = caught_mail(browse.server, to=EMAIL, subject=number)
    text = confirmation.get_body(("plain",)).get_content()
    assert number in text and "24" in text  # the case number and the first-answer promise
    assert confirmation["Content-Language"] == "de"  # in the patient's language

    # the administrator sees it on the development mail page
    browse.login("admin")
    browse.go("/dev/mail/")
    row = page.locator("table tbody tr", has_text=number).first
    expect(row).to_contain_text(EMAIL)
    row.get_by_role("link").first.click()
    expect(page.locator("body")).to_contain_text(number)
    browse.shot("confirmation-in-the-catcher")


def test_the_coordinator_is_notified_writes_to_the_patient_and_sees_the_reply_on_the_thread(browse: Browse):
    if "number" not in JOURNEY:
        pytest.skip("the public request did not go through")
    server, page, number = browse.server, browse.page, JOURNEY["number"]
    if server.imap is None:
        pytest.skip("no IMAP server here (Dovecot missing and not installable): `make test` installs it")
    browse.login("coordinator")

    # the notification centre names the new request; opening it leads to the case
    page.get_by_role("link", name=re.compile("Notifications")).first.click()
    entry = page.get_by_role("link", name=re.compile(re.escape(number))).first
    expect(entry).to_be_visible()
    browse.shot("notified-of-the-request")
    entry.click()
    expect(page.locator("h1")).to_contain_text(number)
    case_path = re.search(r"/cases/\d+", page.url).group(0)

    # writing to the patient from the case
    thread = page.locator("#thread")
    thread.locator("select[name=to]").select_option("patient")
    thread.get_by_role("button", name="Write a message").click()
    subject = f"Ihre Anfrage {number}: nächste Schritte"
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Text").fill("Guten Tag Frau Briefwechsel,\n\nwann können wir Sie anrufen?\n")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".flashes")).to_contain_text("queued")

    sent = caught_mail(server, to=EMAIL, subject=subject)
    reply_to = sent["Reply-To"]
    assert reply_to and "+" in reply_to  # the case's reply address

    # the patient's mail program answers; the operator's mail server delivers it to the IMAP mailbox
    reply = EmailMessage()
    reply["From"] = f"{PATIENT} <{EMAIL}>"
    reply["To"] = reply_to
    reply["Subject"] = "Re: " + subject
    reply["Message-ID"] = make_msgid(domain="example.org")
    reply["In-Reply-To"] = sent["Message-ID"]
    reply["References"] = sent["Message-ID"]
    reply.set_content("Am besten morgen ab 10 Uhr. Viele Grüße, Greta\n")
    server.imap.deliver(reply.as_bytes())

    # the fetch job runs once a minute: the reply shows on the thread within its next run
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        browse.go(case_path)
        if "Re: " + subject in page.locator("#thread").inner_text():
            break
        page.wait_for_timeout(2000)
    received = page.locator("#thread li.timeline-item", has_text="Re: " + subject).first
    expect(received).to_contain_text(EMAIL)
    expect(received).to_contain_text(re.compile("Received", re.I))
    page.locator("#thread").scroll_into_view_if_needed()
    browse.shot("reply-on-the-thread")
    received.get_by_role("link").first.click()
    expect(page.locator("body")).to_contain_text("Am besten morgen ab 10 Uhr")
    browse.shot("the-reply")
