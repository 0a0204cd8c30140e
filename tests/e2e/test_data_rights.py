"""A patient's erasure in the browser: an administrator asks for it on the patient's data page, a second
administrator confirms it, the job erases the patient and the certificate lists what happened; finance still finds
the patient's invoice, restricted.

The demo seed names the patient to erase (`backoffice/demo/rights.py`: the first closed case of a patient with no
other case and no login, its deposit invoice paid); the seed is the same every run (its random generator is seeded).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import Browse

JOB_WAIT_MS = 60_000  # the erasure runs in the live server's worker


def patient_to_erase(browse: Browse) -> tuple[str, str]:
    """The demo patient to erase: the one a finance clerk sees with a paid deposit on a closed case. (name, url)"""
    browse.go("/data-requests?q=Ali+Al+Tamimi")
    link = browse.page.locator("a[href*='/patients/'][href$='/data']").first
    return link.inner_text(), link.get_attribute("href")


def test_an_administrator_erases_a_patient_a_second_confirms_and_finance_finds_the_invoice_restricted(
    browse: Browse, browser
):
    page = browse.page
    browse.login("admin")
    name, data_page = patient_to_erase(browse)
    browse.go(data_page)
    expect(page.get_by_role("heading", name="Erase the patient's data")).to_be_visible()
    page.get_by_role("button", name="Ask to erase the data").click()
    expect(page.locator(".flashes")).to_contain_text("A second administrator confirms it")
    row = page.locator("tr", has_text="Erasure")
    expect(row).to_contain_text("Waiting for a second administrator")
    expect(row.get_by_role("button", name="Confirm")).to_have_count(0)  # not for the one who asked
    browse.shot("erasure asked")

    second = Browse(browser.new_context().new_page(), browse.server, browse.test_name, after=browse)
    second.login("admin", email="admin2@demo.test")
    second.go("/data-requests")
    second.page.locator("tr", has_text=name).get_by_role("button", name="Confirm").click()
    expect(second.page.locator(".flashes")).to_contain_text("The erasure is being done")

    browse.go(data_page)
    for _ in range(60):
        if "Erased P-" in browse.text():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.locator("tr", has_text="Erasure")).to_contain_text("Erased", timeout=JOB_WAIT_MS)
    assert name not in browse.text()
    browse.shot("erased")
    page.get_by_role("link", name="Certificate").click()
    expect(page.get_by_role("heading", name="Certificate of erasure")).to_be_visible()
    certificate = browse.text()
    assert re.search(r"Erased P-[0-9A-F]{6}", certificate) and name not in certificate
    assert "Invoice" in certificate and "section 147 AO, section 14b UStG" in certificate
    browse.shot("certificate")
    pdf = page.request.get(
        browse.server.url + page.get_by_role("link", name="PDF for the patient").get_attribute("href")
    )
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    finance = Browse(browser.new_context().new_page(), browse.server, browse.test_name, after=browse)
    finance.login("finance")
    finance.go("/invoices")
    expect(finance.page.locator(".restricted-note")).to_contain_text("not listed")
    assert name not in finance.text()
    finance.go("/restricted-records")
    link = finance.page.locator("a[href*='/invoices/']").first
    invoice_page = link.get_attribute("href")
    link.click()
    expect(finance.page.locator(".restricted-banner")).to_contain_text("Kept for the tax law; finance only.")
    finance.shot("finance sees the invoice restricted")
    coordinator = Browse(browser.new_context().new_page(), browse.server, browse.test_name, after=finance)
    coordinator.login("coordinator")
    assert coordinator.page.goto(browse.server.url + invoice_page).status == 404
