"""A German-speaking staff member works hospital bills, resident tariffs and the savings report in German: every
heading, label, button, refusal and flash message; the page says lang="de" and amounts are written the German way."""

from __future__ import annotations

import io

import pytest

from backoffice.billing.bills import receiving, states
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.extensions import db
from tests.billing.test_bill_views import BILL, SAMPLES, TODAY
from tests.billing.test_letters import make_disputed_bill, pdf_text
from tests.factories import make_case, make_hospital
from tests.helpers import page_text


@pytest.fixture
def bill(users):
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    import_tariff(hospital.id, (SAMPLES / "tariffs.csv").read_bytes(), "tariffs.csv", None)
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    bill = receiving.receive_bill(case.id, BILL, "bill.csv", "INV-1", TODAY, users["finance"].id)
    db.session.commit()
    return bill


def test_a_german_speaking_finance_member_sees_the_bill_pages_in_german(as_german, bill):
    client = as_german("finance")
    listing = page_text(client.get("/billing/bills"))
    assert '<html lang="de"' in listing
    assert "Krankenhausrechnungen" in listing and "Zu prüfen" in listing and "Über dem Inländerpreis" in listing

    page = page_text(client.get(f"/billing/bills/{bill.id}"))
    assert '<html lang="de"' in page
    assert "Rechnung INV-1" in page and "Nächster Schritt" in page and "Prüfung beginnen" in page
    assert "Positionen" in page and "Grund" in page and "Position hinzufügen" in page
    assert "Median des Verhältnisses berechnet/erwartet: 1,03" in page and "16.276,61\xa0€" in page
    assert "Hospital bills" not in page and "Start the review" not in page

    new = page_text(client.get(f"/billing/cases/{bill.case_id}/bills/new"))
    assert "Krankenhausrechnung erfassen" in new and "Rechnungsnummer des Krankenhauses" in new


def test_a_german_speaking_finance_member_is_refused_and_told_so_in_german(as_german, bill):
    client = as_german("finance")
    refused = client.post(
        f"/billing/cases/{bill.case_id}/bills/new", data={"reference": "", "received_on": TODAY.isoformat()}
    )
    assert refused.status_code == 422
    assert "Geben Sie die Rechnungsnummer des Krankenhauses ein." in page_text(refused)

    started = client.post(f"/billing/bills/{bill.id}/review", data={"version": bill.version})
    assert started.status_code == 302
    page = page_text(client.get(f"/billing/bills/{bill.id}"))
    assert "Rechnung INV-1 wird geprüft." in page
    assert "Offene Befunde: 1 zu hoch berechnet." in page and "Trotz offener Befunde freigeben" in page

    refused = client.post(f"/billing/bills/{bill.id}/approve", data={"version": bill.version + 1})
    assert refused.status_code == 422
    assert (
        "Rechnung INV-1 hat noch offene Befunde (1 zu hoch berechnet): Entscheiden Sie darüber, oder geben Sie die "
        "Rechnung mit einer Begründung frei." in page_text(refused)
    )


def test_a_german_speaking_finance_member_sees_tariffs_and_savings_in_german(as_german, bill):
    client = as_german("finance")
    tariffs = page_text(client.get("/billing/tariffs"))
    assert '<html lang="de"' in tariffs and "Inländertarife" in tariffs and "Internationale Preisliste" in tariffs

    tariff = page_text(client.get(f"/billing/tariffs/{bill.hospital_id}"))
    assert "Aktueller Tarif" in tariff and "Importverlauf" in tariff and "Neue Preisliste importieren" in tariff
    international = page_text(client.get(f"/billing/tariffs/{bill.hospital_id}?kind=international"))
    assert "Preis für ausländische Patienten" not in international  # no list yet: no items table
    assert "Für dieses Krankenhaus wurde keine internationale Preisliste importiert" in international
    assert "Importieren als" in international
    bad_date = client.get(f"/billing/tariffs/{bill.hospital_id}?valid_on=soon")
    assert bad_date.status_code == 400 and "„soon“ ist kein Datum" in page_text(bad_date)

    savings = page_text(client.get(f"/billing/savings?year={TODAY.year}"))
    assert '<html lang="de"' in savings and "Einsparungsbericht" in savings and "Zurückgewonnen" in savings
    assert "Zugesagte Einsparung" in savings and "0 Angebote angenommen" in savings
    assert "Summe" in savings and "EUR\xa016.276,61" in savings  # both lines charged, written the German way
    refused = client.get("/billing/savings?year=20x6")
    assert refused.status_code == 400 and "ist kein Jahr zwischen 2000 und 2100" in page_text(refused)


def test_the_bills_of_a_case_are_headed_in_german_on_the_case_page(as_german, bill):
    client = as_german("finance")
    page = page_text(client.get(f"/cases/{bill.case_id}"))
    assert "Krankenhausrechnungen" in page and "Rechnung erfassen" in page


def test_a_refused_tariff_import_is_explained_in_german(as_german, bill):
    client = as_german("finance")
    refused = client.post(
        f"/billing/tariffs/{bill.hospital_id}/import", data={"file": (io.BytesIO(b"code;price\n"), "prices.csv")}
    )
    assert refused.status_code == 422
    assert "Aus „prices.csv“ wurde für FRA-ABM nichts importiert" in page_text(refused)
    assert "Nichts wurde importiert: Korrigieren Sie die Datei und importieren Sie sie erneut" in page_text(refused)
    assert "Zeile 1: Die Kopfzeile muss `code,description" in page_text(refused)
    assert "fehlende Spalten description, resident_price" in page_text(refused)


def test_a_refused_bill_file_is_explained_in_german(as_german, bill):
    client = as_german("finance")
    refused = client.post(
        f"/billing/cases/{bill.case_id}/bills/new",
        data={
            "reference": "INV-2",
            "received_on": TODAY.isoformat(),
            "file": (io.BytesIO(b"code;price\nT1;12"), "b.csv"),
        },
    )
    assert refused.status_code == 422
    assert (
        "Aus „b.csv“ wurde nichts gespeichert: Zeile 1, Spalte 2: 'price' ist keine Spalte einer Rechnung; "
        "die Kopfzeile muss line,date,code,description,quantity,unit_price,currency lauten "
        "(diese Datei ist durch Semikolons getrennt)." in page_text(refused)
    )


def test_status_words_inside_an_english_sentence_are_the_labels_in_lower_case():
    assert {key: label.lower() for key, label in states.STATUS_LABELS.items()} == states.STATUS_WORDS
    assert {key: label.lower() for key, label in states.LINE_STATUS_LABELS.items()} == states.LINE_STATUS_WORDS


def test_an_english_speaking_finance_member_keeps_the_english_pages(as_role, bill):
    page = page_text(as_role("finance").get(f"/billing/bills/{bill.id}"))
    assert '<html lang="en"' in page and "Start the review" in page and "Nächster Schritt" not in page


def test_the_dispute_letter_a_german_speaking_finance_member_downloads_stays_the_english_document(as_german):
    client = as_german("finance")
    disputed = make_disputed_bill()
    db.session.commit()
    response = client.get(f"/billing/bills/{disputed.bill.id}/dispute-letter.pdf")
    assert response.status_code == 200
    letter = pdf_text(response.data)
    assert f"Correction requested: bill INV-2026-0815 (case {disputed.case.number})" in letter
    assert "Dear Billing office" in letter and "Total to correct in EUR EUR 106.54" in letter
    assert "Positionen" not in letter and "Rechnung" not in letter
