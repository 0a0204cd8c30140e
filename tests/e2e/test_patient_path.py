"""The patient's path, in the browser: from the invitation link a member of staff sends to downloading an invoice.

The demo invoices only patients who already have portal logins, and leaves one stem-cell case with an approved
hospital bill (ABM-<year>-0763) for finance to invoice by hand. So finance issues that case's final invoice first,
then an administrator invites the case's patient, who has no portal account yet; the patient, in a browser of their
own, sets a password from the link, signs in and downloads the PDF, and finds nothing of anyone else's. Staff never
set the password of an account in use, and finance invites nobody (the last test). The demo's patient of that case
prefers Arabic: the link's page speaks the browser's language (English), the portal hers, right to left.
"""

from __future__ import annotations

import re
import subprocess
import time
from decimal import Decimal

from playwright.sync_api import Page, expect

from backoffice.money import format_money
from tests.e2e.conftest import Browse
from tests.tools.evidence import record

PASSWORD = "a quiet harbour at dawn"
INVOICE_NUMBER = re.compile(r"INV-\d{4}-\d{5}")
BILL_LEFT_FOR_FINANCE = re.compile(r"ABM-\d{4}-0763")
ADDRESS = "Olaya Street 4120, Apartment 7\nRiyadh 12214\nSaudi Arabia"


def flashes(page: Page):
    return page.locator(".flashes")


def issue_final_invoice(browse: Browse) -> dict[str, str]:
    """As finance: the case whose approved bill waits for an invoice, its final invoice drafted and issued."""
    page = browse.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Bills").click()
    page.locator("nav.filters").get_by_role("link", name="Approved", exact=True).click()
    row = page.locator("table.table tbody tr", has_text=BILL_LEFT_FOR_FINANCE)
    expect(row).to_have_count(1)
    number = row.locator("td").nth(1).inner_text().strip()
    row.get_by_role("link", name=number).click()
    expect(page.locator(".page-head h1")).to_contain_text(number)
    case_url = page.url
    patient = page.locator(".facts").first
    name = patient.locator("dt:text-is('Patient') + dd").inner_text().strip()
    email = patient.locator("dt:text-is('Email') + dd").inner_text().strip()

    # A patient without a portal login yet; the invoice panel shows what is issued (nothing by hand so far).
    portal = page.locator("#portal")
    expect(portal.locator("dt:text-is('Account') + dd")).to_have_text("None yet")
    page.get_by_role("link", name="Invoices and payments of this case").click()
    expect(page.locator("#sources")).to_contain_text(BILL_LEFT_FOR_FINANCE)
    issued = page.locator("#invoices tbody tr", has_text=INVOICE_NUMBER)
    if issued.count() == 0:
        page.get_by_role("button", name="Make the final draft").click()
        expect(flashes(page)).to_contain_text("made: check it, then issue it.")
        edit = page.locator("#edit")
        if not edit.get_by_label("Bill to").input_value():
            edit.get_by_label("Bill to").fill(name)
        edit.get_by_label("Address").fill(ADDRESS)
        edit.get_by_role("button", name="Save").click()
        expect(flashes(page)).to_contain_text("saved.")
        page.get_by_role("button", name="Issue final invoice").click()
        expect(flashes(page)).to_contain_text("issued; its PDF is archived.")
        invoice = INVOICE_NUMBER.search(flashes(page).inner_text()).group(0)
    else:  # another path of the suite invoiced the case already
        invoice = INVOICE_NUMBER.search(issued.first.inner_text()).group(0)
    page.goto(case_url)
    row = page.locator("#invoices tbody tr", has_text=invoice)
    expect(row).to_contain_text("Final invoice")
    total = row.locator("td").nth(2).inner_text().strip()
    return {"case": number, "case_url": case_url, "name": name, "email": email, "invoice": invoice, "total": total}


def an_invoice_of_someone_else(browse: Browse, patient_name: str) -> str:
    """The number of an issued invoice of another patient (the demo's own invoices), from finance's list."""
    browse.go("/invoices")
    rows = browse.page.locator("table.table tbody tr", has_text=INVOICE_NUMBER)
    for index in range(rows.count()):
        text = rows.nth(index).inner_text()
        if patient_name not in text:
            return INVOICE_NUMBER.search(text).group(0)
    raise AssertionError("the demo holds no invoice of another patient")


def test_invited_patient_sets_a_password_and_downloads_only_their_own_invoice(browse, browser, tmp_path):
    started = time.monotonic()
    page = browse.page

    # Staff: finance issues the invoice; an administrator (or the case's coordinator) invites the patient and reads
    # the one-time link.
    browse.login("finance")
    case = issue_final_invoice(browse)
    other_invoice = an_invoice_of_someone_else(browse, case["name"])
    browse.logout()
    browse.login("admin")
    page.goto(case["case_url"])
    page.get_by_role("button", name="Invite patient to the portal").click()
    expect(page.get_by_role("heading", name=f"Portal invitation for {case['name']}")).to_be_visible()
    link = page.get_by_label("Invitation link").input_value()
    assert re.fullmatch(re.escape(browse.server.url) + r"/invite/[A-Za-z0-9_\-]{20,}", link), link
    expect(page.locator(".facts")).to_contain_text(case["email"])
    browse.shot("invite-link")
    page.get_by_role("link", name="Back to the case").first.click()
    expect(page.locator("#portal dt:text-is('Account') + dd")).to_have_text(case["email"].lower())
    expect(page.locator("#portal dt:text-is('Invitation') + dd")).to_contain_text("Open until")
    browse.logout()

    # The patient, in a browser of their own.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    try:
        patient = Browse(context.new_page(), browse.server, browse.test_name, after=browse)
        _patient_path(patient, link, case, other_invoice, tmp_path)
    finally:
        context.close()

    figures = {
        "case": case["case"],
        "invoice": case["invoice"],
        "refused_with_404": ["another patient's invoice", "the used invitation link"],
        "refused_with_403": ["/cases/", "/cases/<id>", "/invoices", "/billing/bills"],
        "seconds_in_the_browser": round(time.monotonic() - started, 1),
    }
    record("e2e-patient-path", figures, command=".venv/bin/python -m pytest -q tests/e2e/test_patient_path.py")
    print(f"\ne2e patient path: {figures}")


def _patient_path(patient: Browse, link: str, case: dict, other_invoice: str, tmp_path) -> None:
    page = patient.page
    first_name = case["name"].split()[0]
    response = page.goto(link)
    assert response.status == 200
    expect(page.get_by_role("heading", name=f"Welcome, {first_name}")).to_be_visible()
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    patient.shot("set-password")
    page.get_by_role("button", name="Set password").click()
    expect(flashes(page)).to_contain_text(f"Password set. Sign in with {case['email'].lower()}.")

    patient.login("patient", email=case["email"], password=PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "ar")  # her saved language, not the browser's
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name=f"مرحبًا، {case['name']}")).to_be_visible()  # "Welcome, ..."
    assert page.url.endswith("/portal/"), page.url
    page.get_by_role("link", name="فواتيري").first.click()  # "My invoices"
    expect(page.get_by_role("heading", name="فواتيري")).to_be_visible()
    row = page.locator("table.table tbody tr", has_text=case["invoice"])
    expect(row).to_have_count(1)
    cells = row.locator("td")
    expect(cells.nth(1)).to_have_text("الفاتورة النهائية")  # "Final invoice"
    # The total finance issued (shown to staff the English way), written the Arabic way.
    total = format_money(Decimal(re.sub(r"[^0-9.]", "", case["total"])), "EUR", "ar")
    expect(cells.nth(3)).to_have_text(total)
    expect(cells.nth(4)).to_have_text(total)  # left to pay: nothing paid yet
    expect(page.locator("table.table tbody tr")).to_have_count(1)  # only this patient's own documents
    patient.shot("portal-invoices")

    with page.expect_download() as download:
        row.get_by_role("link", name=f"تنزيل {case['invoice']}.pdf").click()  # "Download ..."
    assert download.value.suggested_filename == f"{case['invoice']}.pdf"
    pdf = tmp_path / "invoice.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert case["invoice"] in text
    assert case["name"] in text

    # Someone else's invoice is not found (not "forbidden": its existence is not given away); staff pages refuse.
    assert page.goto(f"{patient.server.url}/portal/invoices/{other_invoice}.pdf").status == 404
    assert page.goto(f"{patient.server.url}/portal/invoices/INV-1999-99999.pdf").status == 404
    for path in ("/cases/", case["case_url"].removeprefix(patient.server.url), "/invoices", "/billing/bills"):
        assert page.goto(patient.server.url + path).status == 403, path

    # The link worked once.
    patient.logout()
    assert page.goto(link).status == 404
    expect(page.locator("h1")).not_to_contain_text("Welcome")


def _a_case_without_portal_account(browse: Browse) -> str:
    """The address of a new request whose patient has no portal account yet (as an administrator)."""
    page = browse.page
    browse.go("/cases/?state=new")
    hrefs = page.locator("table.table tbody tr a[href^='/cases/']").evaluate_all("links => links.map(a => a.href)")
    for href in dict.fromkeys(hrefs):
        if re.search(r"/cases/\d+$", href):
            page.goto(href)
            if page.locator("#portal dt:text-is('Account') + dd").inner_text().strip() == "None yet":
                return href
    raise AssertionError("the demo holds no new request without a portal account")


def test_staff_never_set_the_password_of_an_account_in_use_and_finance_cannot_invite(browse, browser):
    page = browse.page
    browse.login("admin")
    case_url = _a_case_without_portal_account(browse)
    name = page.locator(".facts").first.locator("dt:text-is('Patient') + dd").inner_text().strip()

    # The administrator invites the patient; the account waits for its first password, so the case page (kept
    # open) still offers the invitation.
    page.get_by_role("button", name="Invite patient to the portal").click()
    link = page.get_by_label("Invitation link").input_value()
    page.goto(case_url)
    expect(page.locator("#portal")).to_contain_text("waits for its first password")

    # The patient sets a password from the link, in a browser of their own.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        patient = context.new_page()
        patient.goto(link)
        patient.get_by_label("New password").fill(PASSWORD)
        patient.get_by_label("Repeat the password").fill(PASSWORD)
        patient.get_by_role("button", name="Set password").click()
        expect(patient.locator(".flashes")).to_contain_text("Password set.")
    finally:
        context.close()

    # The page opened before: inviting again now would set the password of an account in use. Refused, and why.
    page.get_by_role("button", name="Invite patient to the portal").click()
    expect(flashes(page)).to_contain_text(f"{name} already has a portal account")
    expect(flashes(page)).to_contain_text("Staff never set the password of an account a patient may be using")
    expect(page.locator("#portal").get_by_role("button", name="Invite patient to the portal")).to_have_count(0)
    expect(page.locator("#portal").get_by_role("button", name="Mail a password-reset link")).to_be_visible()
    browse.shot("invite-refused-for-an-account-in-use")
    browse.logout()

    # Finance sees no invitation button, and a forged invitation is refused.
    browse.login("finance")
    page.goto(case_url)
    portal = page.locator("#portal")
    expect(portal.get_by_role("button", name="Invite patient to the portal")).to_have_count(0)
    expect(portal.get_by_role("button", name="Mail a password-reset link")).to_have_count(0)
    token = page.locator("form[action$='/logout'] input[name=csrf_token]").input_value()
    forged = page.request.post(case_url + "/portal-invite", form={"csrf_token": token}, max_redirects=0)
    assert forged.status == 403, forged.status
    browse.shot("finance-sees-no-invitation")
