"""A page's language: the signed-in person's saved preference, then the language picked on a public page, then the
browser's, then English; each audience is offered only what it has, and every page says its language and direction."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import LanguageAccept

from backoffice.extensions import db
from backoffice.languages import PATIENT_LANGUAGES, STAFF_LANGUAGES, choose, direction, for_patient
from tests.factories import make_patient


def accept(header: str) -> LanguageAccept:
    return LanguageAccept([(value, 1 - n / 10) for n, value in enumerate(header.split(","))])


@pytest.mark.parametrize(
    ("saved", "picked", "browser", "offer", "expected"),
    [
        ("de", "ru", "ar", PATIENT_LANGUAGES, "de"),  # the saved preference first
        (None, "ru", "ar", PATIENT_LANGUAGES, "ru"),  # then the one picked on a public page
        (None, None, "ar,en", PATIENT_LANGUAGES, "ar"),  # then the browser's
        (None, None, "de-AT,en", PATIENT_LANGUAGES, "de"),  # a regional variant finds its language
        (None, None, "fr,tr", PATIENT_LANGUAGES, "en"),  # then English
        ("ru", "ar", "ru,ar", STAFF_LANGUAGES, "en"),  # staff pages exist in English and German only
        ("xx", None, None, PATIENT_LANGUAGES, "en"),
    ],
)
def test_the_page_language_follows_preference_then_pick_then_browser_then_english(
    saved, picked, browser, offer, expected
):
    assert choose(saved=saved, picked=picked, accept=accept(browser) if browser else None, offer=offer) == expected


def test_arabic_is_written_right_to_left_and_documents_fall_back_to_english():
    assert (direction("ar"), direction("de"), direction("he"), direction(None)) == ("rtl", "ltr", "rtl", "ltr")
    assert (for_patient("ru"), for_patient("tr"), for_patient(None)) == ("ru", "en", "en")


def test_a_visitor_gets_the_browser_s_language_with_lang_and_dir_on_the_page(client):
    page = client.get("/auth/login", headers={"Accept-Language": "ar,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    german = client.get("/request", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in german and "Behandlung anfragen" in german


def test_a_language_picked_on_a_public_page_is_remembered_for_the_visit(client):
    picked = client.get("/request?lang=ru", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="ru" dir="ltr">' in picked and "Запросить лечение" in picked
    later = client.get("/request", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="ru"' in later
    client.get("/request?lang=ar")
    assert '<html lang="ar" dir="rtl">' in client.get("/request").get_data(as_text=True)
    client.get("/request?lang=zz")  # not a shipped language: ignored
    assert '<html lang="ar"' in client.get("/request").get_data(as_text=True)


def test_a_staff_member_s_saved_language_wins_and_staff_never_get_a_patient_only_language(as_role, users):
    client = as_role("coordinator")
    russian_browser = {"Accept-Language": "ru"}
    assert '<html lang="en"' in client.get("/", headers=russian_browser, follow_redirects=True).get_data(as_text=True)
    users["coordinator"].language = "de"
    db.session.commit()
    page = client.get("/cases/", headers=russian_browser).get_data(as_text=True)
    assert '<html lang="de"' in page and ">Fälle</a>" in page and "Abmelden" in page


def test_a_patient_sees_the_portal_in_the_preferred_language_of_their_record(as_role, users):
    patient = make_patient(name="Amira Haddad", email=users["patient"].email, preferred_language="ar")
    patient.user_id = users["patient"].id
    db.session.commit()
    page = as_role("patient").get("/portal/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "فواتيري" in page  # "My invoices"
    patient.preferred_language = "ru"
    db.session.commit()
    page = as_role("patient").get("/portal/").get_data(as_text=True)
    assert '<html lang="ru" dir="ltr">' in page and "Мои счета" in page


def test_the_patient_s_header_names_the_operator_and_how_to_reach_it_staff_see_the_back_office(app, client, as_role):
    from backoffice.config import settings

    visitor = client.get("/request").get_data(as_text=True)
    assert settings(app).operator_name in visitor and settings(app).operator_phone in visitor
    staff = as_role("finance").get("/", follow_redirects=True).get_data(as_text=True)
    assert "Back office" in staff and settings(app).operator_phone not in staff
