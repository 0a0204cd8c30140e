"""An administrator requeues a medicine order's job that gave up, in the browser.

The admin adds a sandbox pharmacy; a coordinator orders medicines there for a patient in aftercare with the sandbox
behaviour "the pharmacy does not answer" (the sandbox's outage is chosen per order, not per pharmacy: the sandbox
pharmacy leaves unanswered as many calls as a job has attempts, JOB_MAX_ATTEMPTS, and answers the next one). The
purchase job retries and gives up, the order fails and the coordinator sees why; the admin finds the failed job on
/admin/jobs, requeues it once the pharmacy is back, and the order goes on to delivered on its own.

The live server retries a job 1 s after it failed (3 attempts) and delivers a parcel 2 s after it is shipped
(tests/e2e/conftest.py), so the whole story takes seconds.
"""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, Browse, _slug
from tests.tools.evidence import record

HOSPITAL = "Isar Heart Centre"  # cases the other browser tests leave alone
# A PDF is recognised by its first bytes; this is all the records check needs.
PRESCRIPTION = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JOB_WAIT_MS = 60_000  # the order's jobs run in the worker; the page reloads itself when the status moves on


def flashes(page: Page):
    return page.locator(".flashes")


def add_sandbox_pharmacy(browse: Browse, name: str) -> None:
    page = browse.page
    browse.go("/pharmacies")
    page.get_by_role("link", name="New pharmacy").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("City").fill("München")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Email").fill("bestellung@marien-apotheke.example")
    page.get_by_label("Provider").select_option("sandbox")
    page.get_by_role("button", name="Add pharmacy").click()
    expect(flashes(page)).to_contain_text(f"{name} is in the pharmacy directory.")
    row = page.locator("tr", has_text=name)
    expect(row).to_contain_text("Sandbox")
    expect(row).to_contain_text("Active")
    browse.shot("pharmacies")


def case_in_aftercare(browse: Browse) -> tuple[int, str]:
    page = browse.page
    browse.go("/cases/?state=aftercare")
    hospital = page.locator("select[name=hospital] option", has_text=HOSPITAL).get_attribute("value")
    browse.go(f"/cases/?state=aftercare&hospital={hospital}")
    link = page.locator("table tbody tr td:first-child a").first
    number = link.inner_text()
    link.click()
    return int(re.search(r"/cases/(\d+)", page.url).group(1)), number


def order_medicines(browse: Browse, case_id: int, pharmacy: str, prescription: str) -> int:
    """The coordinator uploads the prescription, then writes and submits the order (the pharmacy will be down)."""
    page = browse.page
    browse.go(f"/cases/{case_id}")
    upload = page.locator("form.document-upload")
    upload.locator("input[name=file]").set_input_files(
        {"name": prescription, "mimeType": "application/pdf", "buffer": PRESCRIPTION}
    )
    upload.locator("input[name=description]").fill("Prescription: insulin glargine, 3 months")
    upload.get_by_label("Document type").select_option(label="Prescription")  # only a prescription backs an order
    upload.get_by_role("button", name="Upload").click()
    expect(flashes(page)).to_contain_text(f"“{prescription}” was added to the case's documents as a prescription.")
    page.locator("#medicine-orders").get_by_role("link", name="New medicine order").click()
    page.get_by_label("Pharmacy", exact=True).select_option(label=f"{pharmacy}, München (DE) (sandbox)")
    page.get_by_label("Prescription").select_option(index=1)
    expect(page.get_by_label("Prescription")).to_contain_text(prescription)
    page.get_by_label("Delivery address").fill("Calle de Alcalá 45, 3º B\n28014 Madrid")
    page.get_by_label("Delivery country").select_option("ES")
    page.get_by_label("Sandbox behaviour").select_option("down")
    page.get_by_label("Medicine 1", exact=True).fill("Insulin glargine")
    page.get_by_label("Strength 1", exact=True).fill("100 IU/ml")
    page.get_by_label("Form 1", exact=True).fill("pre-filled pens")
    page.get_by_label("Quantity 1", exact=True).fill("5")
    page.get_by_role("button", name="Save and submit").click()
    expect(flashes(page)).to_contain_text(f"submitted to {pharmacy}: the purchase starts now.")
    return int(re.search(r"/medicine-orders/(\d+)", page.url).group(1))


def failed_row(page: Page, order_id: int):
    return page.locator("#outbox-failed tr", has_text="shipments.purchase").filter(
        has_text=re.compile(rf"order_id\s+{order_id}\b")
    )


def test_admin_requeues_the_job_of_an_order_whose_pharmacy_did_not_answer(browse: Browse):
    page = browse.page
    suffix = uuid.uuid4().hex[:4].upper()
    for old in (ARTIFACTS / _slug(browse.test_name)).glob("*.png"):
        old.unlink()  # the screenshots of an earlier run, numbered differently
    pharmacy = f"Marien-Apotheke {suffix}"
    prescription = f"prescription-{suffix}.pdf"

    # 1. The admin adds the pharmacy (reached through the sandbox provider).
    attempts = int(browse.server.env.get("JOB_MAX_ATTEMPTS", "3"))  # the sandbox stays down for that many tries
    browse.login("admin")
    add_sandbox_pharmacy(browse, pharmacy)
    browse.logout()

    # 2. A coordinator orders insulin for a patient in aftercare; the pharmacy does not answer.
    browse.login("coordinator")
    case_id, case_number = case_in_aftercare(browse)
    order_id = order_medicines(browse, case_id, pharmacy, prescription)
    submitted = time.monotonic()
    expect(page.locator(".sandbox-banner")).to_contain_text("The pharmacy does not answer")

    # 3. The job retries, gives up, and the order fails; the coordinator sees why and is told on the case.
    expect(page.locator("#order-status")).to_contain_text("Failed", timeout=JOB_WAIT_MS)
    failed_after = time.monotonic() - submitted
    failure = page.locator(".order-failed")
    expect(failure).to_contain_text(f"This order failed: gave up after {attempts} attempts")
    expect(failure).to_contain_text("sandbox purchase: the service did not answer")
    expect(failure).to_contain_text("an administrator can requeue its job on the jobs page")
    purchase = page.locator("tr[data-step=purchase]")
    expect(purchase).to_contain_text("Failed")
    expect(purchase.locator("[data-field=attempts]")).to_have_text(str(attempts))
    browse.shot("order-failed")
    browse.go(f"/cases/{case_id}")
    expect(page.locator("body")).to_contain_text(f"Medicine order #{order_id} failed")
    browse.logout()

    # 4. The admin finds the failed job with its reason, and requeues it once the pharmacy is back.
    browse.login("admin")
    browse.go("/admin/jobs")
    row = failed_row(page, order_id)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"gave up after {attempts} attempts: sandbox purchase: the service did not answer")
    expect(page.locator("#failed-jobs")).to_contain_text("GaveUp")
    browse.shot("jobs-before-requeue")
    # A second administrator has the same page open in another tab.
    other_tab = page.context.new_page()
    other_tab.goto(page.url)
    expect(failed_row(other_tab, order_id)).to_have_count(1)
    row.get_by_role("button", name="Requeue").click()
    expect(flashes(page)).to_contain_text(
        re.compile(rf"Job #\d+ shipments\.purchase \(order_id={order_id}\) is requeued: the work is open again")
    )
    requeued = time.monotonic()
    expect(failed_row(page, order_id)).to_have_count(0)
    browse.shot("jobs-after-requeue")
    # The other tab's button is stale: refused with the reason, nothing sent twice.
    failed_row(other_tab, order_id).get_by_role("button", name="Requeue").click()
    expect(flashes(other_tab)).to_contain_text(
        re.compile(
            rf"Job #\d+ shipments\.purchase \(order_id={order_id}\) is not failed: .*There is nothing to requeue\."
        )
    )
    other_tab.close()

    # 5. The order goes on by itself: purchased, packed, shipped, delivered.
    browse.go(f"/medicine-orders/{order_id}")
    expect(page.locator("#order-status")).to_contain_text("Delivered", timeout=JOB_WAIT_MS)
    delivered_after = time.monotonic() - requeued
    expect(page.locator(".flash-success")).to_contain_text("Delivered")
    for step in ("purchase", "pack", "ship", "track"):
        expect(page.locator(f"tr[data-step={step}]")).to_contain_text("Done")
    # The step counts every try: those before the requeue, and the one that went through after it.
    expect(page.locator("tr[data-step=purchase] [data-field=attempts]")).to_have_text(str(attempts + 1))
    expect(page.locator("#references")).to_contain_text("SBX-PH-")
    browse.shot("order-delivered")
    browse.go("/admin/jobs")
    expect(failed_row(page, order_id)).to_have_count(0)

    record(
        "e2e-admin-requeue",
        {
            "case": case_number,
            "order": order_id,
            "purchase attempts before giving up": attempts,
            "seconds from submit to failed (retry backoff 1 s)": round(failed_after, 1),
            "seconds from requeue to delivered (transit 2 s, tracking every 1 s)": round(delivered_after, 1),
        },
        command=".venv/bin/python -m pytest -q tests/e2e/test_admin_path.py",
    )
    print(
        f"\nadmin requeue: order #{order_id} failed {failed_after:.1f} s after submitting, "
        f"delivered {delivered_after:.1f} s after the requeue"
    )


def test_an_admin_follows_a_cases_access_history_from_the_case_page(browse):
    page = browse.page
    browse.login("coordinator")
    browse.go("/cases/?q=")
    case_url = page.locator("table.table tbody tr a[href^='/cases/']").first.evaluate("a => a.href")
    page.goto(case_url)
    expect(page.get_by_role("link", name="Access history")).to_have_count(0)
    number = re.search(r"C-\d{4}-\d{5}", page.locator("h1").inner_text()).group(0)
    browse.logout()

    browse.login("admin")
    page.goto(case_url)
    page.get_by_role("link", name="Access history").click()
    expect(page.get_by_role("heading", name=f"Access history of {number}")).to_be_visible()
    table = page.locator("table.table")
    expect(table).to_contain_text("health_data_read")
    expect(table).to_contain_text("cases.show_case")
    for name in ("Ada Admin", "Carla Coordinator"):
        expect(table).to_contain_text(name)
    browse.shot("case-access-history")
    page.get_by_role("link", name="Refused requests").click()
    expect(page.locator("main")).not_to_contain_text("cases.show_case")


def test_an_account_the_admin_opens_chooses_its_own_password_at_the_first_sign_in(browse, browser):
    """Issue 14 (passwords): the admin's password opens only the change-password page; a common one is refused."""
    page = browse.page
    email = f"nina.{uuid.uuid4().hex[:8]}@clinic.example"
    browse.login("admin")
    browse.go("/admin/users/new")
    page.get_by_label("Full name").fill("Nina Neumann")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Role").select_option("finance")
    page.get_by_label("Initial password").fill("password1234")
    page.get_by_label("Repeat the password").fill("password1234")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("body")).to_contain_text("one of the most common passwords")
    page.get_by_label("Initial password").fill("handed over by phone")
    page.get_by_label("Repeat the password").fill("handed over by phone")
    page.get_by_role("button", name="Create account").click()
    expect(flashes(page)).to_contain_text("They choose their own password at their first sign-in")
    expect(page.locator(".facts")).to_contain_text("to be changed at the next sign-in")
    browse.shot("account-created")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        nina = Browse(context.new_page(), browse.server, browse.test_name + "-nina")
        nina.go("/login")
        nina.page.fill("input[name=email]", email)
        nina.page.fill("input[name=password]", "handed over by phone")
        nina.page.click("button[type=submit]")
        expect(nina.page).to_have_url(re.compile(r"/account/password$"))
        nina.go("/dashboard")
        expect(nina.page).to_have_url(re.compile(r"/account/password$"))
        expect(nina.page.locator("body")).to_contain_text("Choose your own before you continue")
        nina.shot("forced-change")
        nina.page.get_by_label("Current password").fill("handed over by phone")
        nina.page.get_by_label("New password", exact=True).fill("ninas own quiet garden")
        nina.page.get_by_label("Repeat the new password").fill("ninas own quiet garden")
        nina.page.get_by_role("button", name="Change password").click()
        expect(nina.page).to_have_url(re.compile(r"/dashboard$"))
        expect(nina.page.locator(".flashes")).to_contain_text("Your password is changed")
        nina.shot("dashboard-after-change")
    finally:
        context.close()
