"""An invoice or credit note prints in the patient's language, fixed when it is issued, with what German law asks
of it (the designations, the VAT exemption's sentence) in German beside the translation."""

from __future__ import annotations

import pytest

from backoffice import vat
from backoffice.extensions import db
from backoffice.invoicing.printing import render_invoice_pdf
from backoffice.patients.models import Patient
from backoffice.storage import archive
from backoffice.vat import DEFAULT_EXEMPTION_NOTE
from tests.factories import make_patient
from tests.invoicing.factories import credit, issued_deposit, issued_final, make_invoicing_case
from tests.invoicing.test_pdf import make_invoice, make_line, pdf_pages, pdf_text, treatment_lines
from tests.logistics.test_pdf import arabic_pdf_text

GERMAN_EXEMPTION = "Heilbehandlung: umsatzsteuerfrei nach § 4 Nr. 14 UStG."
ENGLISH_EXEMPTION = "Medical treatment: exempt from VAT under section 4 no. 14 UStG."


def case_of_patient_speaking(language: str):
    case = make_invoicing_case(patient=make_patient(name="Amira Haddad", preferred_language=language))
    db.session.commit()
    return case


def archived_text(invoice) -> str:
    return pdf_text(archive.read_pdf(invoice.pdf_filename, invoice.pdf_sha256))


def test_a_russian_patients_invoice_says_invoice_with_the_german_beside_it_and_keeps_the_german_vat_exemption(app):
    invoice = issued_deposit(case_of_patient_speaking("ru"))
    text = archived_text(invoice)
    assert f"Счёт на предоплату / Anzahlungsrechnung {invoice.number}" in text
    assert f"Счёт № / Rechnungsnummer {invoice.number}" in text
    assert "Дата выставления / Rechnungsdatum" in text and "Оплатить до / Fällig am" in text
    # the exemption in Russian for the patient, and the German legal sentence under it
    assert "Услуги, освобождённые от НДС / Umsatzsteuerfreie Leistungen" in text
    assert "Медицинское лечение освобождено" in text and "Закона Германии " in text
    assert f"(UStG). {GERMAN_EXEMPTION}" in text
    assert "Просим перевести EUR 500,00 до" in text  # the patient's own sentences: Russian only, amounts as written
    assert "Deposit invoice" not in text and "Please transfer" not in text and ENGLISH_EXEMPTION not in text


def test_a_german_patients_invoice_is_german_only(app):
    invoice = issued_final(case_of_patient_speaking("de"))
    text = archived_text(invoice)
    assert f"Schlussrechnung {invoice.number}" in text and f"Rechnungsnummer {invoice.number}" in text
    assert "Leistungszeitraum" in text and "Gesamtbetrag" in text and GERMAN_EXEMPTION in text
    assert "Bitte überweisen Sie" in text and "Seite 1 von 1" in text
    assert " / " not in text  # nothing doubled
    assert "Final invoice" not in text and ENGLISH_EXEMPTION not in text


def test_a_turkish_speaking_patients_invoice_and_credit_note_are_english(app):
    invoice = issued_final(case_of_patient_speaking("tr"))
    text = archived_text(invoice)
    assert f"Final invoice {invoice.number}" in text and f"Invoice no. {invoice.number}" in text
    assert ENGLISH_EXEMPTION in text and "Rechnung" not in text and "UStG." in text
    line = invoice.lines[0]
    note = credit(invoice, {line.id: None}, reason="Charged twice")
    note_text = archived_text(note)
    assert f"Credit note {note.number}" in note_text and f"Corrects invoice {invoice.number} of" in note_text
    assert "Gutschrift" not in note_text


def test_a_russian_patients_credit_note_names_the_corrected_invoice_in_german_too(app):
    invoice = issued_final(case_of_patient_speaking("ru"))
    note = credit(invoice, {invoice.lines[0].id: None}, reason="Charged twice")
    text = archived_text(note)
    assert f"Кредит-нота / Gutschrift {note.number}" in text and "Кредит-нота № / Gutschriftsnummer" in text
    german_day = invoice.issue_date.strftime("%d.%m.%Y")  # the German half writes the day the German way
    assert f"/ Berichtigt die Rechnung {invoice.number} vom {german_day}." in text
    assert "Итого по кредит-ноте / Gutschriftsbetrag" in text


def test_an_issued_invoice_keeps_the_language_it_was_issued_in_when_the_patient_changes_theirs(app):
    case = case_of_patient_speaking("ru")
    invoice = issued_deposit(case)
    db.session.get(Patient, case.patient_id).preferred_language = "de"
    db.session.commit()
    text = archived_text(invoice)
    assert "Счёт № / Rechnungsnummer" in text  # the archived bytes, as issued
    later = issued_deposit(case, amount="100.00")
    assert f"Anzahlungsrechnung {later.number}" in archived_text(later)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Page 1 of 2"),
        ("de", "Seite 1 von 2"),
        ("ru", "Страница 1 из 2"),
    ],
)
def test_a_long_invoice_numbers_its_pages_in_the_patients_language(language, expected):
    lines = [make_line(f"Physiotherapy session {n}", "1", "95.00", exempt=True) for n in range(1, 61)]
    pages = pdf_pages(render_invoice_pdf(make_invoice(lines=lines), language=language))
    assert expected in pages[0]


def test_a_german_invoice_writes_days_amounts_and_quantities_the_german_way():
    text = pdf_text(render_invoice_pdf(make_invoice(lines=treatment_lines()), language="de"))
    assert "Rechnungsdatum 24.11.2026" in text and "Leistungszeitraum 01.11.2026 \u2013 20.11.2026" in text
    assert "2 Immunosuppressant, 10 mg 2,5 EUR 12,3456 steuerfrei EUR 30,86" in text
    assert "Nettobetrag zu 19 % EUR 1.500,00 Umsatzsteuer 19 % EUR 285,00 Summe netto EUR 19.180,86" in text
    assert "Umsatzsteuer gesamt EUR 285,00 Gesamtbetrag EUR 19.465,86" in text


def test_an_arabic_invoice_keeps_phone_numbers_and_amounts_in_one_piece():
    text = arabic_pdf_text(render_invoice_pdf(make_invoice(lines=treatment_lines()), language="ar"))
    assert "الفاتورة النهائية" in text and "Schlussrechnung INV-2026-00007" in text  # beside it: pdftotext's order
    assert "+49 69 1234 5670" in text and "EUR 19,465.86" in text and "DE89 3704 0044 0532 0130 00" in text


def test_the_vat_tables_default_exemption_note_is_the_sentence_the_catalogues_translate():
    assert vat.DEFAULT_RULES["treatment"] == ("exempt", DEFAULT_EXEMPTION_NOTE)
    assert DEFAULT_EXEMPTION_NOTE == ENGLISH_EXEMPTION
