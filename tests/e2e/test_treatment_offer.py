"""Issue 18's "Done when", as the people make it in the browser: for Dmitri Patient's stem-cell case at the Frankfurt
clinic (FRA-ABM) the coordinator builds the treatment offer from the programme and sees the resident total beside what
a foreign patient would pay and the saving in percent, every figure checked against a hand-computed offer (the demo's
tariff tables, the versions valid on the offer's treatment date); sends it. Dmitri, on his phone, reads it in Russian
(told by mail, in Russian), sees his saving and accepts it by typing his name. The coordinator moves the case to
"programme offered" and, once the screening is answered, to "confirmed" (no longer blocked by the offer); finance
finds the deposit invoice draft following the offer's schedule, and a hospital bill above the offer shows the
`exceeds_offer` finding with the offer's figures. Screenshots of each step in test-artifacts/e2e/.
"""

from __future__ import annotations

import csv
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from babel.numbers import format_decimal
from playwright.sync_api import Page, expect

from backoffice.demo.data import FRA_ABM_INTERNATIONAL, FRA_ABM_TARIFF, STEM_CELL_TARIFF_CODES
from tests.e2e.conftest import ARTIFACTS, Browse, _slug
from tests.e2e.test_coordinator_path import flashes, move_to, state_badge
from tests.e2e.test_finance_path import amount_of_text
from tests.e2e.test_mail_journey import caught_mail
from tests.e2e.test_patient_pages_fit_a_phone import MISFITS
from tests.test_pdf_scripts import document_language, missing_glyphs, pdf_text

PHONE = {"width": 390, "height": 844}
DMITRI, DMITRI_EMAIL = "Dmitri Patient", "patient3@demo.test"
HOSPITAL = "Clinic of Advanced Biological Medicine"
DEPOSIT_PERCENT = Decimal(30)  # the offer's default schedule: 30 % deposit, the balance before admission
WAITING_SUBJECT = "Ваше предложение на лечение ждёт Вас"  # noqa: RUF001 (Russian: "Your treatment offer waits")
# On a phone each row of the offer's tables is a card of labelled cells and its number goes (app.css, on purpose).
ROW_NUMBERS_HIDDEN = {'cell "#" is hidden', 'cell "Шаг" is hidden'}  # Шаг: "Step"
EXTRA_WARD_DAYS = 1  # the hospital bills one ward day more than the offer's programme holds
CENT, TENTH = Decimal("0.01"), Decimal("0.1")


# ---------------------------------------------------------------------------------------------- the hand-computed offer


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_UP)


def resident_price(code: str, day: date) -> Decimal:
    """FRA-ABM's resident price of `code` in the tariff version valid on `day`."""
    found = [
        Decimal(price)
        for tariff_code, _text, price, valid_from, valid_to in FRA_ABM_TARIFF
        if tariff_code == code
        and date.fromisoformat(valid_from) <= day
        and (not valid_to or day <= date.fromisoformat(valid_to))
    ]
    assert len(found) == 1, f"{code} has {len(found)} resident prices valid on {day}"
    return found[0]


def international_price(code: str, day: date) -> Decimal:
    """FRA-ABM's international (foreign-patient) price of `code`: the newest list entry valid on `day`."""
    valid = [(start, price) for c, price, start in FRA_ABM_INTERNATIONAL if c == code and start <= day.isoformat()]
    return Decimal(max(valid)[1])


@dataclass(frozen=True)
class Line:
    code: str
    quantity: Decimal
    resident: Decimal  # amount at resident prices
    foreign: Decimal  # amount at foreign-patient prices

    @property
    def saving_percent(self) -> Decimal:
        return percent_of(self.foreign - self.resident, self.foreign)


@dataclass(frozen=True)
class HandOffer:
    lines: list[Line]

    @property
    def resident_total(self) -> Decimal:
        return sum((line.resident for line in self.lines), Decimal(0))

    @property
    def foreign_total(self) -> Decimal:
        return sum((line.foreign for line in self.lines), Decimal(0))

    @property
    def saving(self) -> Decimal:
        return self.foreign_total - self.resident_total

    @property
    def saving_percent(self) -> Decimal:
        return percent_of(self.saving, self.foreign_total)


def hand_offer(treatment_on: date) -> HandOffer:
    """The programme's codes ("CODE | quantity") priced by hand at the lists valid on the treatment date."""
    lines = []
    for entry in STEM_CELL_TARIFF_CODES:
        code, _bar, quantity = (part.strip() for part in entry.partition("|"))
        qty = Decimal(quantity or "1")
        lines.append(
            Line(
                code,
                qty,
                cents(qty * resident_price(code, treatment_on)),
                cents(qty * international_price(code, treatment_on)),
            )
        )
    return HandOffer(lines)


# ---------------------------------------------------------------------------------------------- reading the pages


def figure(text: str) -> Decimal:
    """An amount or percentage as an English page writes it ("€17,650.00", "48.3 %")."""
    return amount_of_text(text) if "." in text else Decimal(re.search(r"\d+", text).group(0))


def percent_in(text: str) -> Decimal:
    found = re.search(r"([0-9]+(?:[.,][0-9]+)?)\s?%", text)
    assert found, f"no percentage in {text!r}"
    return Decimal(found.group(1).replace(",", "."))


def russian_amount(text: str) -> Decimal:
    """An amount as the Russian portal writes it: "17 650,00 €" (narrow or no-break spaces between thousands)."""
    digits = re.sub(r"[^0-9,]", "", text)
    assert re.fullmatch(r"[0-9]+,[0-9]{2}", digits), f"no Russian amount in {text!r}"
    return Decimal(digits.replace(",", "."))


def facts(page: Page, section: str, label: str) -> str:
    """The value (dd) beside a label (dt) in a section's facts."""
    return page.locator(f"{section} dt", has_text=label).first.locator("xpath=following-sibling::dd[1]").inner_text()


def fits(browse: Browse, name: str) -> None:
    """A screenshot of the phone's page, and nothing on it wider than the phone (nor hidden, but the row numbers)."""
    browse.shot(name)
    problems = [problem for problem in browse.page.evaluate(MISFITS) if problem not in ROW_NUMBERS_HIDDEN]
    assert not problems, f"{name} does not fit a phone: {problems}"


def bill_csv(path: Path, treatment_on: date, offer: HandOffer) -> Path:
    """The hospital's bill at resident prices, with a ward day more than the offer holds."""
    header = ("line", "date", "code", "description", "quantity", "unit_price", "currency")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for number, line in enumerate(offer.lines, start=1):
            quantity = line.quantity + (EXTRA_WARD_DAYS if line.code == "ABM-WARD" else 0)
            price = resident_price(line.code, treatment_on)
            writer.writerow(
                (number, treatment_on.isoformat(), line.code, line.code, f"{quantity:f}", f"{price:.2f}", "EUR")
            )
    return path


# ---------------------------------------------------------------------------------------------- the steps


def find_dmitris_case(browse: Browse) -> str:
    """From the case list's search, Dmitri's case at the Frankfurt clinic in the records review; its path."""
    page = browse.page
    browse.go("/cases/")
    page.get_by_label("Search").fill("Dmitri")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("table.table tbody tr", has_text="Records review").filter(has_text=DMITRI)
    expect(row).to_have_count(1)
    browse.shot("case-list-dmitri")
    row.locator("td a").first.click()
    expect(state_badge(page)).to_have_text("Records review")
    expect(page.locator("main")).to_contain_text(HOSPITAL)
    return re.search(r"/cases/\d+", page.url).group(0)


def build_and_send_offer(browse: Browse) -> tuple[str, HandOffer, Decimal]:
    """The coordinator makes the offer from the programme, checks its figures and sends it: (case number, the
    hand-computed offer, the total the patient pays)."""
    page = browse.page
    offer_card = page.locator("#offer")
    expect(offer_card).to_contain_text("No offer made for this case yet.")
    offer_card.get_by_role("button", name="Make an offer").click()
    expect(flashes(page)).to_contain_text("Offer version 1 is a draft: check it and send it.")
    expect(page.locator("#problems")).to_have_count(0)  # every code has a tariff valid on the treatment date

    treatment_on = date.fromisoformat(facts(page, "#terms", "Planned treatment date").strip())
    offer = hand_offer(treatment_on)

    # Item by item: the programme's codes at resident prices beside the international list's, and the saving.
    rows = page.locator("#items tbody tr:not(.item-edit)")
    shown = {}
    for row in rows.all():
        cells = [cell.strip() for cell in row.locator("td").all_inner_texts()]
        shown[cells[0]] = cells
    for line in offer.lines:
        cells = shown[line.code]
        assert Decimal(cells[2]) == line.quantity, cells
        assert figure(cells[3]) == line.resident, (cells, line)
        assert figure(cells[4]) == line.foreign, (cells, line)
        assert cells[5] == "international list", cells
        assert percent_in(cells[6]) == line.saving_percent, (cells, line)

    # The totals: resident beside foreign-patient, the saving in money and percent.
    resident = figure(facts(page, "#totals", "Treatment at resident prices"))
    foreign = figure(facts(page, "#totals", "A foreign patient would pay"))
    saving_text = facts(page, "#totals", "Saving")
    assert (resident, foreign) == (offer.resident_total, offer.foreign_total), (resident, foreign, offer)
    assert figure(saving_text) == offer.saving, saving_text
    assert percent_in(saving_text) == offer.saving_percent, saving_text
    # What the patient pays: the treatment (VAT exempt), the operator's services and their VAT.
    services = figure(facts(page, "#totals", "Services"))
    vat = figure(facts(page, "#totals", "VAT"))
    total = figure(facts(page, "#totals", "Total"))
    service_rows = [cells for code, cells in shown.items() if code not in {line.code for line in offer.lines}]
    assert service_rows and sum((figure(cells[3]) for cells in service_rows), Decimal(0)) == services, service_rows
    vat_rate = percent_in(service_rows[0][7])
    assert vat == cents(services * vat_rate / 100), (services, vat_rate, vat)
    assert total == offer.resident_total + services + vat, (total, offer, services, vat)
    # The schedule: the deposit is 30 % of the total.
    deposit_row = page.locator("#schedule tbody tr").first
    assert percent_in(deposit_row.locator("td").nth(1).inner_text()) == DEPOSIT_PERCENT
    assert figure(deposit_row.locator("td").nth(2).inner_text()) == cents(total * DEPOSIT_PERCENT / 100)
    browse.shot("offer-draft-figures")

    page.locator("#send").get_by_role("button", name="Send the offer").click()
    expect(flashes(page)).to_contain_text(re.compile(r"Offer version 1 was sent: .* Its PDF is archived\."))
    expect(page.locator(".offer-status")).to_contain_text("Sent")
    expect(page.locator("#answer")).to_contain_text("Download the archived PDF")
    browse.shot("offer-sent")
    number = re.search(r"C-\d{4}-\d{5}", page.locator("h1").inner_text()).group(0)
    return number, offer, total


def offer_pdf(patient: Browse, number: str, offer: HandOffer) -> None:
    """The offer's archived PDF as he downloads it: in Russian, every glyph there, the saving as Russian writes it;
    its pages kept as images beside the screenshots."""
    page = patient.page
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать предложение (PDF)").click()  # "Download the offer (PDF)"
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and document_language(pdf) == "ru"
    assert missing_glyphs(pdf) == []
    text = pdf_text(pdf)
    for amount in (offer.resident_total, offer.foreign_total, offer.saving):
        written = unicodedata.normalize("NFKC", format_decimal(amount, "#,##0.00", locale="ru"))
        assert written in text, (written, text)
    assert number in text and "Ваша экономия" in text, text
    patient.shots += 1
    prefix = ARTIFACTS / _slug(patient.test_name) / f"{patient.shots:02d}-offer-pdf-ru-page"
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-", str(prefix)], input=pdf, check=True)


def dmitri_accepts_on_his_phone(browse: Browse, browser, number: str, offer: HandOffer, total: Decimal) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(15_000)
    try:
        patient = Browse(context.new_page(), browse.server, browse.test_name, after=browse)
        page = patient.page
        patient.login("patient", email=DMITRI_EMAIL)
        expect(page.locator("html")).to_have_attribute("lang", "ru")  # his language, not the browser's
        page.locator("nav.mainnav a[href$='/portal/offers']").click()
        listed = page.locator("table.portal-offers tbody tr", has_text=number)
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text("Ожидает Вашего ответа")  # "Waiting for your answer"
        fits(patient, "portal-offers-ru")
        listed.locator("a").first.click()
        expect(page.locator("h1")).to_have_text("Ваше предложение на лечение")  # "Your treatment offer"

        # The saving as he reads it: resident price, what a foreign patient pays, his saving, in Russian notation.
        summary = page.locator(".offer-summary")
        amounts = summary.locator(".figure-amount")
        assert russian_amount(amounts.nth(0).inner_text()) == offer.resident_total
        assert russian_amount(amounts.nth(1).inner_text()) == offer.foreign_total
        expect(summary.locator(".figure-saving .figure-label")).to_have_text("Ваша экономия")  # "Your saving"
        pieces = summary.locator(".figure-saving .piece")
        assert russian_amount(pieces.nth(0).inner_text()) == offer.saving
        assert percent_in(pieces.nth(1).inner_text()) == offer.saving_percent
        assert russian_amount(summary.locator(".figure-total .figure-amount").inner_text()) == total
        fits(patient, "portal-offer-ru")
        offer_pdf(patient, number, offer)

        accept = page.locator("#accept")
        accept.locator("input[name=name]").fill(DMITRI)
        accept.locator("input[name=agree]").check()
        fits(patient, "portal-offer-accepting-ru")
        accept.get_by_role("button", name="Принять предложение").click()  # "Accept the offer"
        expect(flashes(page)).to_contain_text("Спасибо")  # "Thank you: you accepted the offer."
        expect(page.locator(".offer-answer")).to_contain_text(DMITRI)
        expect(page.locator("#accept")).to_have_count(0)  # nothing left to accept
        fits(patient, "portal-offer-accepted-ru")
        browse.shots = patient.shots
    finally:
        context.close()


def coordinator_confirms(browse: Browse, case_path: str) -> None:
    page = browse.page
    browse.login("coordinator")
    browse.go(case_path)
    expect(page.locator("#offer")).to_contain_text("Accepted")
    confirm_step = page.locator("form.step", has_text="Move to Confirmed")
    expect(confirm_step.locator(".blocker", has_text="offer")).to_have_count(0)
    for answer in page.locator("#screening input[type=radio][value=no]").all():
        answer.check()
    page.get_by_role("button", name="Save answers").click()
    expect(flashes(page)).to_contain_text("Screening saved.")
    expect(confirm_step.locator(".blocker")).to_have_count(0)
    move_to(page, "Confirmed")
    browse.shot("case-confirmed")
    browse.logout()


def finance_finds_the_deposit_draft(browse: Browse, case_path: str, number: str, total: Decimal, due: date) -> None:
    page = browse.page
    browse.go(case_path)
    page.get_by_role("link", name="Invoices and payments of this case").click()
    expect(page.locator("#sources")).to_contain_text(f"€{total:,.2f}")  # the accepted offer
    deposit = page.locator("#invoices tbody tr", has_text="Deposit")
    expect(deposit).to_have_count(1)
    expect(deposit).to_contain_text("Draft")
    cells = deposit.locator("td").all_inner_texts()
    assert figure(cells[3]) == cents(total * DEPOSIT_PERCENT / 100), (cells, total)
    browse.shot("deposit-draft-listed")
    deposit.locator("td a").first.click()
    expect(page.locator("main")).to_contain_text(f"30 % of the accepted offer {number}, version 1")
    assert facts(page, "main", "Due") == f"{due:%b} {due.day}, {due.year}"  # the schedule's deposit date
    browse.shot("deposit-draft")


def finance_receives_a_bill_above_the_offer(
    browse: Browse, case_path: str, number: str, offer: HandOffer, treatment_on: date, tmp_path: Path
) -> None:
    page = browse.page
    browse.go(case_path)
    page.locator("#bills").get_by_role("link", name="Receive a bill").click()
    reference = f"ABM-{number}"
    page.get_by_label("Hospital's invoice number").fill(reference)
    page.set_input_files("input[name=file]", str(bill_csv(tmp_path / f"{reference}.csv", treatment_on, offer)))
    page.get_by_role("button", name="Receive and audit").click()
    expect(flashes(page)).to_contain_text(f"Bill {reference} received: {len(offer.lines)} lines audited.")

    ward = next(line for line in offer.lines if line.code == "ABM-WARD")
    ward_day = resident_price("ABM-WARD", treatment_on)
    above = page.locator("#above-offer")
    expect(above).to_contain_text(f"{number} offer, version 1")
    findings = above.locator("[data-finding=exceeds_offer]")
    expect(findings).to_have_count(2)  # the bill's treatment total, and the ward days
    expected = {
        "Total": (offer.resident_total + ward_day, offer.resident_total),
        "ABM-WARD": (ward.resident + ward_day, ward.resident),
    }
    for row in findings.all():
        cells = [cell.strip() for cell in row.locator("td").all_inner_texts()]
        charged, promised = expected[cells[0]]
        assert [amount_of_text(cell) for cell in cells[2:5]] == [charged, promised, ward_day], cells
    browse.shot("bill-above-offer")
    # Under review, the findings stand in the way of approving it as it is.
    page.get_by_role("button", name="Start the review").click()
    expect(flashes(page)).to_contain_text(f"Bill {reference} is under review.")
    expect(page.locator("#workflow")).to_contain_text("2 findings above the accepted offer")
    browse.shot("bill-above-offer-under-review")


# ---------------------------------------------------------------------------------------------- the test


def test_an_offer_at_resident_prices_is_accepted_in_russian_and_holds_the_deposit_and_the_bill(
    browse: Browse, browser, tmp_path
):
    page = browse.page

    # 1. The coordinator builds the offer from the programme, checks the figures, sends it.
    browse.login("coordinator")
    case_path = find_dmitris_case(browse)
    number, offer, total = build_and_send_offer(browse)
    treatment_on = date.fromisoformat(facts(page, "#terms", "Planned treatment date").strip())
    deposit_due = date.fromisoformat(page.locator("#schedule tbody tr").first.locator("td").nth(3).inner_text())
    # Sent: the programme is offered; confirming waits for Dmitri's answer.
    browse.go(case_path)
    move_to(page, "Programme offered")
    confirm_step = page.locator("form.step", has_text="Move to Confirmed")
    expect(confirm_step.locator(".blocker", has_text="offer")).to_have_text(
        "The patient has not accepted the offer yet; the case is confirmed once they do."
    )
    expect(page.get_by_role("button", name="Move to Confirmed")).to_be_disabled()
    browse.shot("case-programme-offered")
    browse.logout()

    # He is told by mail, in Russian, that an offer waits in the portal (no prices in the mail).
    mail = caught_mail(browse.server, to=DMITRI_EMAIL, subject=WAITING_SUBJECT)
    assert mail["Content-Language"] == "ru"
    text = mail.get_body(("plain",)).get_content()
    assert number in text and "/portal/offers/" in text, text
    assert f"{offer.resident_total:.2f}".replace(".", ",") not in text and "€" not in text, text

    # 2. Dmitri, on his phone, reads the offer in Russian and accepts it.
    dmitri_accepts_on_his_phone(browse, browser, number, offer, total)

    # 3. The case can now be confirmed: the screening answered, nothing about the offer blocks it.
    coordinator_confirms(browse, case_path)

    # 4. Finance: the deposit draft follows the schedule (30 % of the accepted total, to the cent).
    browse.login("finance")
    finance_finds_the_deposit_draft(browse, case_path, number, total, deposit_due)

    # 5. The hospital bills a ward day more than the offer holds: the bill shows `exceeds_offer` with the offer's
    # figures.
    finance_receives_a_bill_above_the_offer(browse, case_path, number, offer, treatment_on, tmp_path)
