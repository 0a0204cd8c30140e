"""The offer's PDF in the patient's language: the patient, the itemised prices beside the foreign-patient price, the
saving where one is known (none claimed elsewhere), the totals, the schedule and the terms, every letter drawn."""

from datetime import date
from decimal import Decimal

import pytest

from backoffice.offers import document
from backoffice.storage import archive
from tests.logistics.test_pdf import arabic_pdf_text
from tests.offers.priced import make_offer_case, make_sent_offer
from tests.test_pdf_scripts import assert_text_comes_back, missing_glyphs, pdf_text

# language: (patient's name, the totals and the saving % as the language writes them, words of the page)
PRINTED = {
    "en": ("Paula Patient", ("€11,045.00", "€9,260.00", "€11,500.00", "€2,240.00", "19.5%"), ("Your saving",)),
    "de": (
        "Jürgen Müller",
        ("11.045,00 €", "9.260,00 €", "11.500,00 €", "2.240,00 €", "19,5 %"),
        ("Ihre Ersparnis", "Zahlungsplan"),
    ),
    "ru": (
        "Анна Иванова",
        ("11 045,00 €", "9 260,00 €", "11 500,00 €", "2 240,00 €", "19,5 %"),
        ("Ваша экономия", "График платежей"),
    ),
    "ar": ("فاطمة الزهراء", ("11,045.00", "9,260.00", "11,500.00", "2,240.00", "19.5%"), ("توفيرك",)),
}


def archived_pdf(offer) -> bytes:
    return archive.read_pdf(offer.pdf_filename, offer.pdf_sha256)


@pytest.mark.parametrize("language", PRINTED)
def test_the_offer_pdf_speaks_the_patients_language_with_totals_and_saving(language):
    name, amounts, words = PRINTED[language]
    offer = make_sent_offer(name=name, language=language)
    pdf = archived_pdf(offer)

    text = arabic_pdf_text(pdf) if language == "ar" else pdf_text(pdf)
    assert_text_comes_back(text, name, shaped=language == "ar")
    for expected in (*amounts, *words, offer.case.number):
        assert expected in text, (language, expected)
    assert missing_glyphs(pdf) == []


def test_an_item_without_a_foreign_patient_price_claims_no_saving():
    offer = make_sent_offer()
    sheet = document.offer_sheet(offer)
    text = pdf_text(archived_pdf(offer))

    ward = next(line for line in sheet.treatment if line.item.code == "ABM-WARD")
    consultation = next(line for line in sheet.treatment if line.item.code == "ABM-CONS")
    assert (ward.saving, ward.saving_percent) == (None, None)
    assert (consultation.saving, consultation.saving_percent) == (Decimal("240.00"), Decimal("40.0"))
    assert "none claimed" in text and "Where no foreign-patient price is known, no saving is claimed." in text
    assert "international price list" in text


def test_the_optional_item_is_marked_and_stays_out_of_the_total():
    offer = make_sent_offer()
    text = pdf_text(archived_pdf(offer))

    assert "Optional items" in text and "Airport transfer" in text
    assert "€238.00" in text  # 200.00 with 19 % VAT, beside the items, not in the total
    assert offer.total == Decimal("11045.00")


def test_the_schedule_prints_each_payment_and_they_add_up_to_the_total():
    offer = make_sent_offer()
    payments = document.offer_sheet(offer).payments
    text = pdf_text(archived_pdf(offer))

    assert [(p.percent, p.amount) for p in payments] == [
        (Decimal("30"), Decimal("3313.50")),
        (Decimal("70"), Decimal("7731.50")),
    ]
    assert sum(p.amount for p in payments) == offer.total
    for expected in ("Deposit", "€3,313.50", "Balance", "€7,731.50", "Payment schedule"):
        assert expected in text, expected


def test_the_programme_phases_are_dated_from_the_planned_treatment():
    case = make_offer_case()
    offer = make_sent_offer(case)
    start = offer.treatment_on

    phases = document.offer_sheet(offer).phases

    assert [(p.name, p.starts_on, p.ends_on) for p in phases] == [
        ("Leukocytapheresis and cryopreservation", start, date.fromordinal(start.toordinal() + 6)),
        ("Infusion and observation", date.fromordinal(start.toordinal() + 7), date.fromordinal(start.toordinal() + 20)),
    ]
    assert "Stem cell therapy" in pdf_text(archived_pdf(offer))


def test_the_terms_and_the_operator_are_printed():
    offer = make_sent_offer()
    text = pdf_text(archived_pdf(offer))

    for expected in ("MedTravel Coordination GmbH", "Included", "Not included", "Cancellation", "valid until"):
        assert expected in text, expected


def test_a_coefficient_as_the_foreign_patient_price_is_named_with_its_source():
    offer = make_sent_offer(make_offer_case(coefficient="1.5"))
    text = pdf_text(archived_pdf(offer))

    assert offer.foreign_total == Decimal("13890.00")  # 9,260.00 x 1.5: every item has a foreign-patient price
    assert "coefficient for foreign patients, 1.5" in text
    assert "Letter of the hospital's finance department, 3 March 2026" in text
    assert "international price list valid" not in text and "none claimed" not in text
