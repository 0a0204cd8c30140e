"""Issue 19's "Done when", tried in the browser as a new finance clerk would: a hospital's ZUGFeRD PDF bill gives the
same findings as its CSV and its original downloads byte for byte; a final invoice to an insurer is issued and its
XRechnung downloaded; the invoice PDF carries `factur-x.xml` with the page's total; an overdue deposit is reminded
of from the ageing report (the mail caught in the patient's language); a month is exported for the tax adviser, and
exporting it again carries nothing twice.

The records it starts from (the samples' clinic with its VAT ID and tariff, three cases, a deposit issued 40 days
ago) are made by `e_invoice_records` through the project's operations, in the live server's database.
"""

from __future__ import annotations

import calendar
import json
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import ROOT, Browse, LiveServer
from tests.e2e.test_finance_path import INVOICE_NUMBER, amount_of, flashed, save_download
from tests.e2e.test_mail_journey import caught_mail

SAMPLES = ROOT / "tests" / "billing" / "samples"
PDF_BILL = "SCF-2026-0815"  # the ZUGFeRD sample's own invoice number (BT-1)
LEITWEG_ID = "04011000-1234512345-06"
INSURER = "Allianz Private Krankenversicherungs-AG"
UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
CII = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def records(server: LiveServer) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.e_invoice_records"],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def receive(page: Page, case_id: int, browse: Browse, file: Path, reference: str = "") -> int:
    browse.go(f"/cases/{case_id}")
    page.locator("#bills").get_by_role("link", name="Receive a bill").click()
    if reference:
        page.get_by_label("Hospital's invoice number").fill(reference)
    page.set_input_files("input[name=file]", str(file))
    page.get_by_role("button", name="Receive and audit").click()
    expect(page.locator(".flashes")).to_contain_text("lines audited.")
    return int(re.search(r"/bills/(\d+)", page.url).group(1))


def line_statuses(page: Page) -> dict[int, str]:
    """Line number -> the status the bill page shows (its badge's class names the status)."""
    shown = {}
    for row in page.locator("table.bill-lines tbody tr").all():
        number = int(row.locator("td").first.inner_text())
        badge = row.locator(".badge").get_attribute("class")
        shown[number] = re.search(r"line-status-(\w+)", badge).group(1)
    return shown


def test_finance_receives_and_issues_e_invoices_reminds_and_exports_for_the_tax_adviser(browse: Browse, tmp_path: Path):
    started = time.monotonic()
    page = browse.page
    made = records(browse.server)
    browse.login("finance")

    # 1. The hospital's ZUGFeRD PDF: no number or date typed, both are the e-invoice's.
    receive(page, made["bill_case_id"], browse, SAMPLES / "bill-zugferd.pdf")
    expect(page.locator("h1")).to_contain_text(PDF_BILL)
    expect(page.locator(".flashes")).to_contain_text(f"Bill {PDF_BILL} received: 71 lines audited.")
    from_pdf = line_statuses(page)
    expected = json.loads((SAMPLES / "e-invoice-expected.json").read_text())
    assert from_pdf == {line["line"]: line["status"] for line in expected["lines"]}
    assert dict(Counter(from_pdf.values())) == expected["counts"]
    browse.shot("zugferd-bill-audited")
    original = save_download(page, page.locator("dt:text-is('Original') + dd a"), tmp_path / "original")
    assert original.read_bytes() == (SAMPLES / "bill-zugferd.pdf").read_bytes()

    # The same bill as the hospital's CSV, on the same case: the same finding for every line both carry.
    receive(page, made["bill_case_id"], browse, SAMPLES / "bill.csv", reference=f"{PDF_BILL}-CSV")
    from_csv = line_statuses(page)
    assert {n: from_csv[n] for n in from_pdf if n != 1073} == {n: s for n, s in from_pdf.items() if n != 1073}
    assert from_pdf[1073] == "duplicate"  # the PDF's extra copy of line 6
    browse.shot("csv-bill-audited")

    # 2. A final invoice to the patient's insurer, with its Leitweg-ID: issued, its XRechnung downloaded.
    browse.go(f"/cases/{made['insured_case_id']}/invoices")
    page.get_by_role("button", name="Make the final draft").click()
    expect(page.locator(".flashes")).to_contain_text("made: check it, then issue it.")
    edit = page.locator("#edit")
    edit.get_by_label("Bill to").fill(INSURER)
    edit.get_by_label("Address").fill("Königinstraße 28")
    edit.get_by_label("Postcode").fill("80802")
    edit.get_by_label("City").fill("München")
    edit.get_by_label("Country code").fill("DE")
    edit.get_by_label("Payer's VAT ID").fill("DE129274139")
    edit.get_by_label("Buyer reference (Leitweg-ID)").fill(LEITWEG_ID)
    if not edit.get_by_label("Service from").input_value():
        edit.get_by_label("Service from").fill(date.today().isoformat())
    edit.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_contain_text("saved.")
    browse.shot("final-draft-to-the-insurer")
    page.get_by_role("button", name="Issue final invoice").click()
    expect(page.locator(".flashes")).to_contain_text("issued; its PDF is archived.")
    number = INVOICE_NUMBER.search(flashed(page)).group(0)
    expect(page.locator("main")).to_contain_text(LEITWEG_ID)
    total = amount_of(page.locator("#totals tfoot strong").inner_text())
    browse.shot("final-invoice-issued")
    xrechnung = save_download(page, page.get_by_role("link", name="Download XRechnung"), tmp_path)
    ubl = etree.fromstring(xrechnung.read_bytes())
    assert etree.QName(ubl).localname == "Invoice" and "ubl" in etree.QName(ubl).namespace.lower()
    assert ubl.findtext("cbc:ID", namespaces=UBL) == number
    assert ubl.findtext("cbc:BuyerReference", namespaces=UBL) == LEITWEG_ID

    # 3. The invoice PDF carries factur-x.xml. (A PDF viewer that lists attachments cannot be driven headless, so
    # the attachment is read with pypdf, as such a viewer would list it.)
    invoice_pdf = save_download(page, page.get_by_role("link", name="Download PDF"), tmp_path)
    attachments = PdfReader(invoice_pdf).attachments
    assert "factur-x.xml" in attachments, list(attachments)
    cii = etree.fromstring(attachments["factur-x.xml"][0])
    assert Decimal(cii.findtext(".//ram:GrandTotalAmount", namespaces=CII)) == total

    # 4. The overdue deposit: ageing report -> its bucket -> the first reminder.
    browse.go("/receivables/ageing")
    browse.shot("ageing-report")
    # Issued 40 days ago with 14 days to pay: 26 days overdue, in the euro row's "1-30 days" bucket.
    page.locator("#ageing tr", has_text="EUR").locator("a[href*='/ageing/1-30']").click()
    row = page.locator("#bucket-invoices tr", has_text=made["deposit_number"])
    expect(row).to_contain_text("26")
    browse.shot("ageing-bucket")
    row.get_by_role("button", name="Send first reminder").click()
    expect(page.locator(".flashes")).to_contain_text(f"of {made['deposit_number']} is archived and mailed to")
    page.locator("#bucket-invoices").get_by_role("link", name=made["deposit_number"]).click()
    reminders = page.locator("#reminders")
    expect(reminders).to_contain_text("First reminder")
    expect(reminders).to_contain_text(made["patient_language"])
    # The payer's country without postcode and city stands alone (not "· KZ").
    expect(page.locator("dt:text-is('Bill to') + dd")).not_to_contain_text("·")
    browse.shot("deposit-with-its-reminder")
    mail = caught_mail(browse.server, to=made["patient_email"], subject=made["deposit_number"])
    assert mail["Content-Language"] == made["patient_language"]
    text = mail.get_body(("plain",)).get_content()
    assert made["deposit_number"] in text and re.search("[\u0400-\u04ff]", text), text  # written in Russian

    # 5. This month for the tax adviser: DATEV's EXTF batch; a second export carries nothing twice.
    today = date.today()
    first, last = today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])
    browse.go("/accounting/datev")
    page.fill("input[name=from]", first.isoformat())
    page.fill("input[name=to]", last.isoformat())
    page.get_by_role("button", name="Show").click()
    browse.shot("datev-preview")
    page.get_by_role("button", name="Export").click()
    expect(page.locator(".flashes")).to_contain_text("exported.")
    expect(page.locator("main")).to_contain_text(number)
    carried = sum(
        int(page.locator(f"dt:text-is('{label}') + dd").inner_text())
        for label in ("Bookings carried", "Left out: carried by earlier exports")
    )
    browse.shot("datev-export")
    batch = save_download(page, page.get_by_role("link", name="Download CSV").first, tmp_path / "datev")
    assert batch.read_bytes().startswith(b'"EXTF";')  # DATEV quotes its text fields
    assert number.encode() in batch.read_bytes()
    browse.go(f"/accounting/datev?from={first}&to={last}")
    expect(page.locator("main")).to_contain_text("Nothing new to export for this period.")
    left_out = page.locator(".stat", has_text="Carried by earlier exports").locator(".stat-value")
    expect(left_out).to_have_text(str(carried))  # this export's bookings and what earlier ones carried
    browse.shot("datev-nothing-new")
    print(f"\ne-invoice journey: {time.monotonic() - started:.1f} s")
