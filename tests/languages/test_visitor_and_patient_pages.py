"""The pages a visitor or patient sees (the request form and its thanks page, sign-in, passwords, error pages, the
portal) speak English, German, Russian and Arabic, with dates and money the way the language writes them; the request
form's language becomes the patient's preferred language."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.money import format_money
from backoffice.patients.models import Patient
from tests.factories import PASSWORD, make_case, make_hospital, make_patient
from tests.helpers import login_as
from tests.portal.issued import make_issued_invoice

SELECTED_LANGUAGE = re.compile(r'<select[^>]*name="preferred_language".*?<option selected value="([a-z]+)"', re.S)


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def request_data(**changes) -> dict:
    data = {
        "name": "Ирина Соколова",
        "email": "irina@example.org",
        "phone": "+7 912 345 67 89",
        "country": "RU",
        "requested_treatment": "Эндопротезирование коленного сустава",
        "destination_country": "DE",
        "message": "",
        "consent": "y",
        "website": "",
    }
    return {key: value for key, value in (data | changes).items() if value is not None}


@pytest.fixture(autouse=True)
def germany_is_a_destination():
    make_hospital(country="DE", city="Frankfurt am Main")
    db.session.commit()


def test_a_visitor_on_the_russian_form_sees_it_in_russian_and_the_patient_then_prefers_russian(client):
    form = page(client.get("/request?lang=ru"))
    assert '<html lang="ru" dir="ltr">' in form
    assert "Запрос на лечение за рубежом" in form and "Полное имя пациента" in form and "Отправить запрос" in form
    assert "Германия" in form  # the destination, named in Russian
    language = SELECTED_LANGUAGE.search(form).group(1)
    assert language == "ru"  # the form's language field starts as the page's language

    sent = client.post("/request", data=request_data(preferred_language=language))

    assert sent.status_code == 302
    thanks = page(client.get(sent.headers["Location"]))
    assert "Спасибо, Ирина Соколова" in thanks and "Номер Вашего запроса" in thanks
    patient = db.session.scalar(select(Patient).where(Patient.email == "irina@example.org"))
    assert patient.preferred_language == "ru"
    assert re.search(r"C-\d{4}-\d{5}", thanks)  # the request number stays as it is


def test_the_arabic_form_runs_right_to_left_and_stores_arabic(client):
    form = page(client.get("/request?lang=ar"))
    assert '<html lang="ar" dir="rtl">' in form
    assert "طلب العلاج في الخارج" in form and "ألمانيا" in form
    assert SELECTED_LANGUAGE.search(form).group(1) == "ar"

    client.post("/request", data=request_data(email="layla@example.org", country="AE", preferred_language="ar"))

    assert db.session.scalar(select(Patient.preferred_language).where(Patient.email == "layla@example.org")) == "ar"


def test_the_language_field_offers_the_languages_we_write_in_first(client):
    form = page(client.get("/request?lang=de"))
    options = re.findall(r'<option[^>]*value="([a-z]{2})"', form.split('name="preferred_language"', 1)[1])
    assert options[:4] == ["en", "de", "ru", "ar"] and len(options) > 100
    assert "Englisch" in form and "Arabisch" in form  # each named in the page's language


def test_a_form_error_is_shown_in_the_visitor_s_language(client):
    response = client.post("/request?lang=de", data=request_data(name="", email="kein-email"))
    body = page(response)
    assert response.status_code == 422
    assert "Bitte geben Sie den Namen der Patientin oder des Patienten ein." in body
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in body


def test_a_refused_request_says_why_in_the_visitor_s_language(client):
    client.get("/request?lang=ru")
    response = client.post("/request", data=request_data(requested_treatment="?!?!"))
    assert response.status_code == 422
    assert "Пожалуйста, напишите запрос словами" in page(response)


def test_the_sign_in_page_speaks_german_to_a_german_browser(client, users):
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    body = page(client.get("/login", headers=german))
    assert '<html lang="de"' in body and "<h1>Anmelden</h1>" in body and "Passwort" in body
    refused = client.post("/login", data={"email": users["patient"].email, "password": "wrong"}, headers=german)
    assert "E-Mail-Adresse oder Passwort ist nicht korrekt." in page(refused)


def test_an_error_page_is_in_the_visitor_s_language(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "ru"})
    assert response.status_code == 404 and "Страница не найдена" in page(response)


@pytest.fixture
def arabic_patient(users):
    patient = make_patient(name="Amira Haddad", email=users["patient"].email, preferred_language="ar")
    patient.user_id = users["patient"].id
    case = make_case(patient=patient)
    db.session.commit()
    return case


def test_a_patient_s_invoices_in_arabic_show_money_and_dates_the_arabic_way(client, users, arabic_patient):
    make_issued_invoice(arabic_patient, "INV-2026-00002", kind="final", status="partially_paid", total="17650.50")
    db.session.commit()
    login_as(client, users["patient"])

    body = page(client.get("/portal/invoices"))

    assert '<html lang="ar" dir="rtl">' in body
    assert "الفاتورة النهائية" in body and "مدفوعة جزئيًا" in body and "المتبقي للدفع" in body
    assert format_money(Decimal("17650.50"), "EUR", "ar") in body  # Arabic number format, € after the amount
    assert "€17,650.50" not in body
    assert "تنزيل INV-2026-00002.pdf" in body


def test_a_patient_changes_the_password_in_their_language_and_signing_out_keeps_it(client, users, arabic_patient):
    login_as(client, users["patient"])
    assert "تغيير كلمة المرور" in page(client.get("/account/password"))

    signed_out = client.post("/logout", data={}, follow_redirects=True)

    body = page(signed_out)
    assert '<html lang="ar" dir="rtl">' in body and "لقد سجّلت الخروج." in body and "تسجيل الدخول" in body


def test_a_patient_signing_in_is_greeted_in_their_own_language(client, users, arabic_patient):
    signed_in = client.post("/login", data={"email": users["patient"].email, "password": PASSWORD})
    body = page(client.get(signed_in.headers["Location"]))
    assert f"تم تسجيل الدخول باسم {users['patient'].name}." in body and "Signed in as" not in body
