"""A German-speaking staff member gets the directory in German: hospitals, a hospital, a programme, the forms, the
paused destinations, a refused form and a flash message; country and language names too."""

from __future__ import annotations

from backoffice.extensions import db
from tests.directory.pages import assert_pages_say
from tests.factories import make_hospital, make_physician, make_programme
from tests.helpers import page_text


def test_a_german_speaking_admin_sees_the_directory_in_german(as_german):
    client = as_german("admin")
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg", country="AE")
    hospital.languages = ["de", "en"]
    make_physician(hospital, name="Dr. Anna Berg")
    programme = make_programme(hospital, name="Knee replacement")
    db.session.commit()
    pages = {
        "/directory/": ["Krankenhäuser", "Neues Krankenhaus", "Alle Länder", "Vereinigte Arabische Emirate"],
        f"/directory/hospitals/{hospital.id}": [
            "Behandlungsprogramme",
            "Ärztinnen und Ärzte",
            "Im Verzeichnis seit",
            "Deutsch, Englisch",
            "Vereinigte Arabische Emirate (AE)",
            "Was ein ausländischer Patient zahlen würde",
            "Internationale Preisliste",
            "Koeffizient für ausländische Patienten",
        ],
        f"/directory/programmes/{programme.id}": ["Preis ab", "Kontraindikationen", "Verlauf dieses Programms"],
        "/directory/hospitals/new": [
            "Krankenhaus hinzufügen",
            "Sprachen des Personals",
            "Land wählen",
            "Quelle des Koeffizienten",
        ],
        f"/directory/hospitals/{hospital.id}/physicians/new": ["Ärztin/Arzt hinzufügen", "Fachgebiet"],
        f"/directory/hospitals/{hospital.id}/programmes/new": ["Programm hinzufügen", "Übliche Aufenthaltsdauer"],
        f"/directory/programmes/{programme.id}/edit": ["Knee replacement bearbeiten", "Änderungen speichern"],
        "/directory/paused-destinations": ["Pausierte Zielländer", "Offene Zielländer", "Aufnahme pausieren"],
    }
    assert_pages_say(client, pages, "de")


def test_a_german_speaking_admin_is_refused_and_told_in_german(as_german):
    client = as_german("admin")
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    db.session.commit()
    refused = client.post(
        f"/directory/hospitals/{hospital.id}/programmes/new",
        data={"name": "Stem cells", "phases": "Reinfusion | 2 weeks | many", "price_from_currency": "EUR"},
    )
    page = page_text(refused)
    assert refused.status_code == 422 and '<html lang="de"' in page
    assert "Zeile 1: Dauer in Tagen: Bitte eine ganze Zahl angeben, nicht 'many'." in page

    form = {"code": "FRA-ABM", "name": "Asklepios", "city": "Bad Homburg", "country": "DE", "timezone": "Europe/Berlin"}
    no_source = client.post(f"/directory/hospitals/{hospital.id}/edit", data={**form, "foreign_coefficient": "1,8"})
    assert no_source.status_code == 422
    assert "Geben Sie die Quelle des Koeffizienten für ausländische Patienten an" in page_text(no_source)

    paused = client.post("/directory/paused-destinations", data={"country": "AE", "reason": "Unrest"})
    assert paused.status_code == 302
    page = page_text(client.get(paused.headers["Location"]))
    assert "Die Aufnahme für Vereinigte Arabische Emirate ist pausiert: Anfragen dafür werden abgelehnt." in page
    again = client.post("/directory/paused-destinations", data={"country": "AE", "reason": ""})
    assert again.status_code < 500
    assert "Die Aufnahme für Vereinigte Arabische Emirate ist bereits pausiert." in page_text(again)


def test_an_english_speaking_admin_keeps_the_english_directory(as_role):
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg", country="AE")
    db.session.commit()
    page = page_text(as_role("admin").get(f"/directory/hospitals/{hospital.id}"))
    assert '<html lang="en"' in page and "Treatment programmes" in page and "United Arab Emirates (AE)" in page
