"""Finance's path through the browser: a hospital's resident tariff imported, its bill for a treated case audited and
disputed, the hospital's corrected bill approved, then the case invoiced (deposit, final invoice deducting it,
payment, credit note), everything through the pages and buttons finance uses.

The Rhine Neuro Clinic (DUS-RNC) has no tariff in the demo: the test imports one, then takes one of its discharged
cases that has neither a bill nor an invoice yet, so it does not depend on what the demo seed invoiced itself.
"""

from __future__ import annotations

import csv
import re
import subprocess
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from babel.numbers import format_decimal
from playwright.sync_api import Page, expect

from backoffice.languages import PATIENT_LANGUAGES
from tests.e2e.conftest import ARTIFACTS, Browse, _slug
from tests.tools.evidence import record

HOSPITAL = "Rhine Neuro Clinic"
# code, description, resident price, valid from, valid to (empty: open-ended)
TARIFF = (
    ("RNC-CONS", "Neurological consultation", "180.00", "2020-01-01", ""),
    ("RNC-MRI", "MRI of the head", "650.00", "2020-01-01", ""),
    ("RNC-DBS", "Deep brain stimulation, implantation", "18500.00", "2020-01-01", ""),
    ("RNC-WARD", "Ward bed day", "395.00", "2020-01-01", "2024-12-31"),
    ("RNC-WARD", "Ward bed day", "420.00", "2025-01-01", ""),
    ("RNC-PROG", "Stimulator programming session", "240.00", "2020-01-01", ""),
)
DEPOSIT = Decimal("5000.00")
PAYMENT = Decimal("10000.00")
CREDITED = Decimal("240.00")  # one programming session that did not take place
INVOICE_NUMBER = re.compile(r"INV-\d{4}-\d{5}")
CREDIT_NOTE_NUMBER = re.compile(r"CN-\d{4}-\d{5}")


def euros(amount: Decimal) -> str:
    """An amount as the pages show it (Babel, English): €21,910.00."""
    return f"€{amount:,.2f}"


def amount_of(text: str) -> Decimal:
    """The amount in a text as the pages show it ("- €5,000.00" -> 5000.00)."""
    found = re.search(r"€\s?([0-9,]+\.[0-9]{2})", text)
    assert found, f"no amount in {text!r}"
    return Decimal(found.group(1).replace(",", ""))


def amount_of_text(text: str) -> Decimal:
    """An amount in any of the app's notations ("€945.00", "EUR 945.00", "945.00 EUR")."""
    found = re.search(r"([0-9][0-9,]*\.[0-9]{2})", text)
    assert found, f"no amount in {text!r}"
    return Decimal(found.group(1).replace(",", ""))


def printed(amount: Decimal, text: str) -> bool:
    """Whether a PDF shows `amount` as one of the patient languages writes it (an invoice is in the patient's:
    1,234.56 / 1.234,56 / 1 234,56)."""
    spaced = text.replace("\u00a0", " ").replace("\u202f", " ")
    written = {format_decimal(amount, "#,##0.00", locale=language) for language in PATIENT_LANGUAGES}
    return any(form.replace("\u00a0", " ").replace("\u202f", " ") in spaced for form in written)


def flashed(page: Page) -> str:
    flashes = page.locator(".flashes")
    return " ".join(flashes.all_inner_texts()) if flashes.count() else ""


def write_csv(path: Path, header: tuple[str, ...], rows: list[tuple]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def tariff_csv(path: Path) -> Path:
    header = ("code", "description", "resident_price", "currency", "valid_from", "valid_to")
    return write_csv(path, header, [(code, text, price, "EUR", start, end) for code, text, price, start, end in TARIFF])


def bill_csv(path: Path, admission: date, *, corrected: bool) -> Path:
    """The hospital's bill for the stay: first with the MRI above the resident price and a fee outside the tariff;
    corrected, at resident prices and without the fee."""
    lines = [
        (admission, "RNC-CONS", "Neurological consultation", "1", "180.00"),
        (admission, "RNC-MRI", "MRI of the head", "1", "650.00" if corrected else "845.00"),
        (admission + timedelta(days=1), "RNC-DBS", "Deep brain stimulation, implantation", "1", "18500.00"),
        (admission + timedelta(days=6), "RNC-WARD", "Ward bed day", "5", "420.00"),
        (admission + timedelta(days=5), "RNC-PROG", "Stimulator programming session", "2", "240.00"),
    ]
    if not corrected:
        lines.append((admission + timedelta(days=6), "RNC-VIP", "International patient service", "1", "750.00"))
    header = ("line", "date", "code", "description", "quantity", "unit_price", "currency")
    rows = [
        (n, day.isoformat(), code, text, qty, price, "EUR") for n, (day, code, text, qty, price) in enumerate(lines, 1)
    ]
    return write_csv(path, header, rows)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def save_download(page: Page, link, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    with page.expect_download() as info:
        link.click()
    download = info.value
    target = folder / download.suggested_filename
    download.save_as(target)
    return target


def totals_row(page: Page, label: str) -> str:
    """The text of a row of the invoice's account or deductions (dt/dd pairs of `#totals`)."""
    return page.locator("#totals dt", has_text=label).locator("xpath=following-sibling::dd[1]").first.inner_text()


# ---------------------------------------------------------------------------------------------- the steps


def import_tariff(browse: Browse, tmp_path: Path) -> int:
    page = browse.page
    browse.go("/billing/tariffs")
    page.get_by_role("link", name=HOSPITAL).click()
    hospital_id = int(re.search(r"/tariffs/(\d+)", page.url).group(1))
    # First the file as a spreadsheet saved it, with a decimal comma: refused whole, the row named.
    bad = tmp_path / "RNC tariff (decimal comma).csv"
    bad.write_text(
        "code,description,resident_price,currency,valid_from,valid_to\n"
        "RNC-CONS,Neurological consultation,180.00,EUR,2020-01-01,\n"
        'RNC-MRI,MRI of the head,"650,00",EUR,2020-01-01,\n',
        encoding="utf-8",
    )
    page.set_input_files("input[name=file]", str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".flashes")).to_contain_text("Nothing was imported from “RNC tariff (decimal comma).csv”")
    problems = page.locator("section.flash-error", has_text="correct the file and import it again")
    expect(problems).to_contain_text("row 3")
    expect(page.locator("body")).to_contain_text("No tariff has been imported for this hospital yet")
    browse.shot("tariff-refused")
    page.set_input_files("input[name=file]", str(tariff_csv(tmp_path / "RNC resident tariff.csv")))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".flashes")).to_contain_text(
        f"Imported {len(TARIFF)} items from “RNC resident tariff.csv”: this is now the hospital's resident tariff."
    )
    items = page.locator("section.card", has=page.get_by_role("heading", name="Items", exact=True)).locator("table")
    expect(items).to_contain_text("RNC-MRI")
    expect(items).to_contain_text("€650.00")
    expect(items).to_contain_text("2024-12-31")  # the earlier version of the bed day is kept beside the current one
    browse.shot("tariff-imported")
    browse.go("/billing/tariffs")
    row = page.locator("tr", has=page.get_by_role("link", name=HOSPITAL))
    expect(row).to_contain_text(str(len(TARIFF)))
    expect(row).to_contain_text("RNC resident tariff.csv")
    browse.shot("tariff-list")
    return hospital_id


def case_to_bill(browse: Browse, hospital_id: int) -> tuple[int, str]:
    """A discharged case of the hospital with neither a bill nor an invoice yet."""
    page = browse.page
    browse.go(f"/cases/?state=discharged&hospital={hospital_id}")
    links = page.locator("table tbody tr td:first-child a")
    candidates = [(link.inner_text(), link.get_attribute("href")) for link in links.all()]
    assert candidates, "the demo has no discharged case at the Rhine Neuro Clinic"
    for number, href in candidates:
        browse.go(href)
        if "No bill received for this case yet." in browse.text() and "No invoice for this case yet." in browse.text():
            return int(re.search(r"/cases/(\d+)", page.url).group(1)), number
    raise AssertionError(f"every discharged case of the clinic has a bill or an invoice already: {candidates}")


def admission_of(browse: Browse, case_id: int) -> date:
    browse.go(f"/cases/{case_id}/bookings")
    found = re.search(r"Admission (\d{4}-\d{2}-\d{2})", browse.page.locator("#appointment").inner_text())
    assert found, "the case has no hospital appointment with its stay"
    return date.fromisoformat(found.group(1))


def issue_deposit(browse: Browse, case_id: int) -> str:
    """The deposit the patient paid before travelling: drafted, addressed, issued and paid."""
    page = browse.page
    browse.go(f"/cases/{case_id}/invoices")
    page.locator("#new-deposit input[name=amount]").fill(str(DEPOSIT))
    page.get_by_role("button", name="Make the deposit draft").click()
    expect(page.locator(".flashes")).to_contain_text("made: check it, then issue it.")
    address_patient(page)
    page.get_by_role("button", name="Issue deposit invoice").click()
    expect(page.locator(".flashes")).to_contain_text("issued; its PDF is archived.")
    number = INVOICE_NUMBER.search(flashed(page)).group(0)
    page.locator("#payments input[name=amount]").fill(str(DEPOSIT))
    page.locator("#payments input[name=reference]").fill(f"SEPA transfer {number}")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".flashes")).to_contain_text(f"Payment of {euros(DEPOSIT)} recorded.")
    expect(page.locator("h1")).to_contain_text("Paid")
    return number


def address_patient(page: Page) -> None:
    """The demo patient has no postal address on file: finance enters it on the draft (an invoice needs it)."""
    address = page.locator("#edit textarea[name=bill_to_address]")
    if not address.input_value().strip():
        address.fill("Rue de la Loi 16\n1000 Brussels\nBelgium")
        page.locator("#edit").get_by_role("button", name="Save").click()
        expect(page.locator(".flashes")).to_contain_text("saved.")


# ---------------------------------------------------------------------------------------------- the test


def test_finance_audits_a_bill_disputes_it_and_invoices_the_case(browse: Browse, tmp_path: Path):
    page = browse.page
    started = time.monotonic()
    for old in (ARTIFACTS / _slug(browse.test_name)).glob("*.png"):
        old.unlink()  # the screenshots of an earlier run, numbered differently
    suffix = uuid.uuid4().hex[:6].upper()
    browse.login("finance")

    # 1. The clinic's resident price list, imported from its CSV.
    hospital_id = import_tariff(browse, tmp_path)

    # 2. A treated case of the clinic; the patient paid a deposit before travelling.
    case_id, case_number = case_to_bill(browse, hospital_id)
    admission = admission_of(browse, case_id)
    deposit_number = issue_deposit(browse, case_id)

    # 3. The hospital's bill arrives: uploaded on the case, audited against the tariff.
    browse.go(f"/cases/{case_id}")
    page.locator("#bills").get_by_role("link", name="Receive a bill").click()
    expect(page.locator(".facts")).to_contain_text("RNC resident tariff.csv")  # the tariff the audit will use
    reference = f"RNC-{suffix}"
    page.get_by_label("Hospital's invoice number").fill(reference)
    page.set_input_files("input[name=file]", str(bill_csv(tmp_path / f"{reference}.csv", admission, corrected=False)))
    page.get_by_role("button", name="Receive and audit").click()
    expect(page.locator(".flashes")).to_contain_text(f"Bill {reference} received: 6 lines audited.")
    expect(page.locator("h1")).to_contain_text("Received")
    totals = page.locator("section.card", has=page.get_by_role("heading", name="Totals"))
    eur = totals.locator("tr", has_text="EUR")
    # bill total, charged over priced lines, expected at resident prices, overcharge, unpriced (the unknown code)
    for amount in ("22,855.00", "22,105.00", "21,910.00", "195.00", "750.00"):
        expect(eur).to_contain_text(f"€{amount}")
    lines = page.locator("#lines table")
    mri = lines.locator("tr", has_text="RNC-MRI")
    expect(mri).to_contain_text("Overcharged")
    expect(mri).to_contain_text("€845.00")
    expect(mri).to_contain_text("€650.00")
    expect(lines.locator("tr", has_text="RNC-VIP")).to_contain_text("Unknown code")
    expect(lines.locator("tr", has_text="RNC-DBS")).to_contain_text("OK")
    page.get_by_role("button", name="Start the review").click()
    expect(page.locator(".flashes")).to_contain_text(f"Bill {reference} is under review.")
    expect(page.locator("#workflow")).to_contain_text("Undecided findings: 1 overcharged, 1 unknown code.")
    browse.shot("bill-audit-findings")

    # 4. Finance disputes what does not match, with the reason the hospital will read, and sends the letter.
    for line, code, reason in (
        (2, "RNC-MRI", "Charged 845.00 EUR; the resident price is 650.00 EUR."),
        (6, "RNC-VIP", "Not in your resident tariff and not agreed with us."),
    ):
        row = page.locator("#lines tr", has_text=code)
        row.locator("input[name=reason]").fill(reason)
        row.get_by_role("button", name="Dispute").click()
        expect(page.locator(".flashes")).to_contain_text(f"Line {line} disputed.")
        expect(page.locator("#lines tr", has_text=code)).to_contain_text(f"Disputed: {reason}")
    page.get_by_label("Internal note").fill("Asked the clinic's international office for a corrected bill.")
    page.get_by_role("button", name="Dispute the bill (2 lines)").click()
    expect(page.locator(".flashes")).to_contain_text(
        f"Bill {reference} disputed: send the hospital its disputed lines."
    )
    expect(page.locator("h1")).to_contain_text("Disputed")
    browse.shot("bill-disputed")
    letter = save_download(page, page.get_by_role("link", name="Dispute letter to the hospital (PDF)"), tmp_path)
    assert letter.read_bytes().startswith(b"%PDF")
    letter_text = pdf_text(letter)
    assert reference in letter_text and "RNC-MRI" in letter_text and "RNC-VIP" in letter_text, letter_text
    assert case_number in letter_text, letter_text

    # 5. The hospital answers with a corrected bill at resident prices; finance approves it and pays the hospital.
    corrected = f"{reference}-C"
    form = page.locator("#workflow")
    form.get_by_label("Hospital's invoice number").fill(corrected)
    form.locator("input[name=file]").set_input_files(
        str(bill_csv(tmp_path / f"{corrected}.csv", admission, corrected=True))
    )
    form.get_by_role("button", name="Receive the corrected bill").click()
    expect(page.locator(".flashes")).to_contain_text(f"Corrected bill {corrected} received and under review.")
    expect(page.locator("h1")).to_contain_text("Under review")
    expect(page.locator("dd", has_text=f"{reference} (disputed)")).to_be_visible()
    expect(totals.locator("tr", has_text="EUR")).to_contain_text("€21,910.00")
    page.get_by_role("button", name="Approve the bill").click()
    expect(page.locator(".flashes")).to_contain_text(f"Bill {corrected} approved.")
    expect(page.locator("h1")).to_contain_text("Approved")
    browse.shot("corrected-bill-approved")
    page.get_by_role("button", name="Mark paid").click()  # the operator pays the hospital what it approved
    expect(page.locator(".flashes")).to_contain_text(f"Bill {corrected} marked paid.")
    expect(page.locator("h1")).to_contain_text("Paid")

    # The savings report counts the chain once: charged as first billed, approved as corrected, the difference got
    # back (the overcharge on the MRI and the fee outside the tariff).
    browse.go("/billing/savings")
    page.locator("form.filters select[name=hospital]").select_option(str(hospital_id))
    page.get_by_role("button", name="Show").click()
    saved = page.locator("table tbody tr", has_text=HOSPITAL)
    expect(saved).to_have_count(1)
    cells = [cell.strip() for cell in saved.locator("td").all_inner_texts()]
    assert [amount_of_text(cell) for cell in cells[4:10]] == [
        Decimal("22855.00"),  # charged (the whole first bill)
        Decimal("750.00"),  # of which unpriced (the fee outside the tariff)
        Decimal("21910.00"),  # resident expected (the priced lines of the first bill)
        Decimal("21910.00"),  # approved
        Decimal("945.00"),  # found (disputed): 195.00 on the MRI, 750.00 outside the tariff
        Decimal("945.00"),  # recovered
    ], cells
    browse.shot("savings-report")

    # 6. The final invoice: the approved bill at resident prices, the trip, the fee, less the deposit.
    browse.go(f"/cases/{case_id}/invoices")
    expect(page.locator("#sources")).to_contain_text(corrected)
    page.get_by_role("button", name="Make the final draft").click()
    expect(page.locator(".flashes")).to_contain_text(
        re.compile(r"Draft final invoice #\d+ made: check it, then issue it.")
    )
    invoice_url = page.url
    invoice_lines = page.locator("#lines table")
    expect(invoice_lines.locator("tr", has_text="RNC-MRI")).to_contain_text("€650.00")
    expect(invoice_lines).not_to_contain_text("RNC-VIP")
    expect(invoice_lines).to_contain_text("Coordination of treatment, travel and aftercare")
    exempt = page.locator("#totals tbody tr", has_text="Exempt (medical treatment)")
    expect(exempt).to_contain_text("€21,910.00")
    expect(page.locator("#totals")).to_contain_text(deposit_number)
    assert amount_of(totals_row(page, "Deposits deducted")) == DEPOSIT
    total = amount_of(page.locator("#totals tfoot strong").inner_text())  # gross, VAT included
    assert amount_of(totals_row(page, "Balance due")) == total - DEPOSIT
    address_patient(page)
    browse.shot("final-invoice-draft")

    # 7. Issued: numbered, archived, downloaded.
    page.get_by_role("button", name="Issue final invoice").click()
    expect(page.locator(".flashes")).to_contain_text("issued; its PDF is archived.")
    number = INVOICE_NUMBER.search(flashed(page)).group(0)
    expect(page.locator("h1")).to_contain_text(f"Final invoice {number}")
    expect(page.locator("h1")).to_contain_text("Issued, unpaid")
    assert amount_of(totals_row(page, "Outstanding")) == total - DEPOSIT
    browse.shot("final-invoice-issued")
    pdf = save_download(page, page.get_by_role("link", name="Download PDF"), tmp_path)
    assert pdf.name == f"{number}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(pdf)
    assert number in text, text
    assert printed(total, text), text
    assert printed(total - DEPOSIT, text), text

    # 8. The patient pays part of it.
    page.locator("#payments input[name=amount]").fill(str(PAYMENT))
    page.locator("#payments input[name=reference]").fill(f"SEPA transfer {number}")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".flashes")).to_contain_text(f"Payment of {euros(PAYMENT)} recorded.")
    expect(page.locator("h1")).to_contain_text("Partially paid")
    outstanding = total - DEPOSIT - PAYMENT
    assert amount_of(totals_row(page, "Outstanding")) == outstanding

    # 9. One programming session did not take place: a credit note for that part of its line.
    page.get_by_role("link", name="Credit note").click()
    row = page.locator("tr", has_text="RNC-PROG")
    row.locator("input[type=checkbox]").check()
    row.locator("input[type=text]").fill(str(CREDITED))
    page.get_by_label("Reason (printed on the credit note)").fill("One stimulator programming session was not held.")
    page.get_by_role("button", name="Make the credit-note draft").click()
    expect(page.locator(".flashes")).to_contain_text("made: check it, then issue it.")
    expect(page.locator("#totals tfoot")).to_contain_text(euros(CREDITED))
    page.get_by_role("button", name="Issue credit note").click()
    expect(page.locator(".flashes")).to_contain_text("issued; its PDF is archived.")
    credit_number = CREDIT_NOTE_NUMBER.search(flashed(page)).group(0)
    expect(page.locator("#header")).to_contain_text(number)
    browse.shot("credit-note-issued")
    credit_pdf = save_download(page, page.get_by_role("link", name="Download PDF"), tmp_path)
    credit_text = pdf_text(credit_pdf)
    assert credit_pdf.name == f"{credit_number}.pdf" and credit_number in credit_text, credit_text
    assert number in credit_text and printed(CREDITED, credit_text), credit_text  # the invoice it corrects

    # 10. The invoice shows what the credit note took off and what is left to pay.
    browse.go(invoice_url.removeprefix(browse.server.url))
    expect(page.locator("#header")).to_contain_text(credit_number)
    assert amount_of(totals_row(page, "Credited")) == CREDITED
    assert amount_of(totals_row(page, "Outstanding")) == outstanding - CREDITED
    expect(page.locator("h1")).to_contain_text("Partially paid")
    browse.shot("final-invoice-after-credit-note")
    # The issued invoice itself does not change: its PDF is the same bytes as when it was issued.
    again = save_download(page, page.get_by_role("link", name="Download PDF"), tmp_path / "again")
    assert again.read_bytes() == pdf.read_bytes()

    # 11. The invoice list: the case's deposit, final invoice and credit note.
    browse.go(f"/cases/{case_id}/invoices")
    patient = page.locator("h1").inner_text().split(" · ")[-1].strip()
    browse.go("/invoices")
    page.locator("form.filters input[name=q]").fill(patient)
    page.get_by_role("button", name="Filter").click()
    listed = page.locator("table.invoice-list")  # beside the totals per currency
    for shown in (deposit_number, number, credit_number):
        expect(listed).to_contain_text(shown)
    final_row = listed.locator("tr", has_text=number)
    expect(final_row).to_contain_text("Partially paid")
    expect(final_row).to_contain_text(euros(outstanding - CREDITED))
    browse.shot("invoice-list")

    # 12. The case page sums it up: the disputed bill replaced by the corrected one (paid), the three documents.
    browse.go(f"/cases/{case_id}")
    expect(page.locator("#bills tr", has_text=f"replaced by {corrected}")).to_contain_text("Disputed")
    approved = page.locator("#bills tr").filter(has=page.get_by_role("link", name=corrected, exact=True))
    expect(approved).to_contain_text("Paid")
    for shown in (deposit_number, number, credit_number):
        expect(page.locator("#invoices")).to_contain_text(shown)
    # The case's account over all its invoices: the same amount left to pay as on the invoice.
    browse.go(f"/cases/{case_id}/invoices")
    account = page.locator("#account tbody tr", has_text="EUR")
    figures = [amount_of_text(cell) for cell in account.locator("td.num").all_inner_texts()]
    invoiced, credited, paid, left, refund = figures
    assert (credited, paid, left, refund) == (CREDITED, DEPOSIT + PAYMENT, outstanding - CREDITED, 0), figures
    assert invoiced == total, figures  # the deposit, and the final invoice less the deposit it deducts
    browse.shot("case-account")

    evidence = {
        "case": case_number,
        "bill lines audited": 6,
        "findings disputed": 2,
        "final invoice": number,
        "final invoice total": f"{total:.2f} EUR",
        "deposit deducted": f"{DEPOSIT:.2f} EUR",
        "credit note": credit_number,
        "left to pay after payment and credit note": f"{outstanding - CREDITED:.2f} EUR",
        "screenshots": browse.shots,
        "seconds": round(time.monotonic() - started, 1),
    }
    record("e2e-finance-path", evidence, command=".venv/bin/python -m pytest -q tests/e2e/test_finance_path.py")
    print(
        f"\nfinance path: case {case_number}, bill {reference} disputed and corrected, {number} "
        f"({euros(total)}) less deposit {deposit_number}, credit note {credit_number}; {evidence['seconds']} s"
    )


def test_an_unpriced_bill_line_blocks_approval_until_finance_decides_it(browse: Browse, tmp_path: Path):
    """Issue 14: a line no resident price was compared with (here a charge in dollars against a euro tariff) is
    decided before the bill is approved, accepted only with a reason; the case page shows the whole bill."""
    page = browse.page
    browse.login("finance")
    browse.go("/billing/tariffs")
    page.get_by_role("link", name="Clinic of Advanced Biological Medicine").click()
    hospital_id = int(re.search(r"/tariffs/(\d+)", page.url).group(1))
    for state in ("discharged", "aftercare", "in_treatment", "travel_booked", "confirmed", "closed"):
        browse.go(f"/cases/?state={state}&hospital={hospital_id}")
        cases = page.locator("table tbody tr td:first-child a")
        if cases.count():
            break
    cases.first.click()  # any case of the clinic that a bill may be received for
    case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))

    page.locator("#bills").get_by_role("link", name="Receive a bill").click()
    reference = f"ABM-USD-{uuid.uuid4().hex[:6].upper()}"
    page.get_by_label("Hospital's invoice number").fill(reference)
    header = ("line", "date", "code", "description", "quantity", "unit_price", "currency")
    bill = write_csv(
        tmp_path / f"{reference}.csv", header, [(1, "2026-03-01", "ABM-CONS", "Lab", "1", "9999.00", "USD")]
    )
    page.set_input_files("input[name=file]", str(bill))
    page.get_by_role("button", name="Receive and audit").click()
    expect(page.locator(".flashes")).to_contain_text(f"Bill {reference} received: 1 line audited.")
    expect(page.locator("#lines tr", has_text="ABM-CONS")).to_contain_text("Currency mismatch")
    page.get_by_role("button", name="Start the review").click()
    workflow = page.locator("#workflow")
    expect(workflow).to_contain_text("Undecided findings: 1 currency mismatch.")

    # Approving without a decision is refused: the dollar charge was never compared with a resident price.
    workflow.get_by_role("button", name="Approve with override").click()
    expect(page.locator(".flashes")).to_contain_text("still has undecided findings (1 currency mismatch)")
    expect(page.locator("h1")).to_contain_text("Under review")
    browse.shot("unpriced-line-blocks-approval")

    # Accepting it needs a reason; with one, the bill is approved without an override.
    row = page.locator("#lines tr", has_text="ABM-CONS")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator(".flashes")).to_contain_text("Say why line 1 is accepted")
    row = page.locator("#lines tr", has_text="ABM-CONS")
    row.locator("input[name=reason]").fill("Agreed in dollars with the clinic's international office.")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator(".flashes")).to_contain_text("Line 1 accepted.")
    expect(page.locator("#workflow")).not_to_contain_text("Undecided findings")
    page.get_by_role("button", name="Approve the bill").click()
    expect(page.locator(".flashes")).to_contain_text(f"Bill {reference} approved.")
    browse.shot("unpriced-line-accepted-bill-approved")

    # The case page shows the bill at its whole total, the unpriced part apart, not "$0.00".
    browse.go(f"/cases/{case_id}")
    shown = page.locator("#bills tr").filter(has=page.get_by_role("link", name=reference, exact=True))
    expect(shown).to_contain_text("$9,999.00 ($9,999.00 unpriced)")
    browse.shot("case-page-unpriced-bill")


# ---------------------------------------------------------------------------------------------- overpayment (issue 14)

ASKED = Decimal("7710.00")
RECEIVED = Decimal("9000.00")


def case_to_deposit(browse: Browse, asked: Decimal) -> int:
    """A case before travel, invoiced in EUR, with no invoice yet and an accepted offer of at least `asked`."""
    page = browse.page
    for state in ("travel_booked", "confirmed"):
        browse.go(f"/cases/?state={state}")
        hrefs = [link.get_attribute("href") for link in page.locator("table tbody tr td:first-child a").all()]
        for href in hrefs:
            case_id = int(re.search(r"/cases/(\d+)", href).group(1))
            browse.go(f"/cases/{case_id}/invoices")
            sources = page.locator("#sources").inner_text()
            accepted = re.search(r"Accepted offer\s+€([0-9,]+\.[0-9]{2})", sources)
            if (
                "No invoice for this case yet." in browse.text()
                and "Invoicing currency\nEUR" in page.locator("#account").inner_text()
                and accepted
                and Decimal(accepted.group(1).replace(",", "")) >= asked
            ):
                return case_id
    raise AssertionError("the demo has no case before travel without an invoice and with a large enough accepted offer")


def test_finance_records_an_overpayment_and_the_excess_is_a_credit_on_the_case(browse: Browse):
    page = browse.page
    for old in (ARTIFACTS / _slug(browse.test_name)).glob("*.png"):
        old.unlink()
    browse.login("finance")
    case_id = case_to_deposit(browse, ASKED)

    # 1. A deposit of EUR 7,710 is issued; the bank shows EUR 9,000 received for it.
    page.locator("#new-deposit input[name=amount]").fill(str(ASKED))
    page.get_by_role("button", name="Make the deposit draft").click()
    expect(page.locator(".flashes")).to_contain_text("made: check it, then issue it.")
    address_patient(page)
    page.get_by_role("button", name="Issue deposit invoice").click()
    expect(page.locator(".flashes")).to_contain_text("issued; its PDF is archived.")
    page.locator("#payments input[name=amount]").fill(str(RECEIVED))
    page.locator("#payments input[name=reference]").fill("SEPA transfer, patient paid a round sum")
    page.get_by_role("button", name="Record payment").click()
    excess = RECEIVED - ASKED
    expect(page.locator(".flashes")).to_contain_text(f"Payment of {euros(RECEIVED)} recorded.")
    expect(page.locator(".flashes")).to_contain_text(f"{euros(excess)} above what was open is a credit")
    expect(page.locator("h1")).to_contain_text("Paid")
    expect(page.locator("#payments")).to_contain_text(f"of which {euros(excess)} to the case's credit")
    browse.shot("overpaid-deposit")

    # 2. The case's account shows the credit and its statement; the case page shows it too.
    browse.go(f"/cases/{case_id}/invoices")
    expect(page.locator("#account")).to_contain_text(f"Credit on the case's account: {euros(excess)}")
    expect(page.locator("#credit")).to_contain_text("Paid more than was open")
    browse.shot("case-credit")
    browse.go(f"/cases/{case_id}")
    expect(page.locator("#invoices")).to_contain_text(f"Credit on the case's account: {euros(excess)}")

    # 3. Finance pays part of it back; the rest stays a credit for the next invoice.
    browse.go(f"/cases/{case_id}/invoices")
    refund = Decimal("290.00")
    form = page.locator("#credit form", has_text="Record the refund")
    form.locator("input[name=amount]").fill(str(refund))
    form.locator("input[name=reference]").fill("Refund of the round-up")
    form.get_by_role("button", name="Record the refund").click()
    expect(page.locator(".flashes")).to_contain_text(f"Refund of {euros(refund)} from the case's credit recorded.")
    expect(page.locator("#account")).to_contain_text(f"Credit on the case's account: {euros(excess - refund)}")
    expect(page.locator("#credit")).to_contain_text("Refunded to the patient")
    browse.shot("case-credit-after-refund")
