"""The checks of typed values refuse in the page's language: the app's own checks (`backoffice.validators`) and
WTForms' length checks, which the request form and the portal use too (WTForms' Arabic catalogue lacks them)."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from flask_babel import force_locale

from backoffice import validators
from backoffice.extensions import db
from tests.factories import make_hospital

TOO_LONG_NAME = {
    "ru": "Значение не должно содержать более 120 символов.",
    "ar": "لا يمكن أن يتجاوز طول الحقل 120 حرفًا.",
}


@pytest.mark.parametrize("language", ["ru", "ar"])
def test_the_request_form_refuses_a_too_long_name_in_the_visitor_s_language(client, language):
    make_hospital(country="DE", city="Frankfurt am Main")
    db.session.commit()
    client.get(f"/request?lang={language}")
    refused = client.post(
        "/request",
        data={
            "name": "Ирина Соколова " * 10,
            "email": "irina@example.org",
            "country": "RU",
            "requested_treatment": "Knee replacement",
            "consent": "y",
        },
    )
    page = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and f'<html lang="{language}"' in page
    assert TOO_LONG_NAME[language] in page
    assert "Field cannot be longer" not in page


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("en", "The city is too long (at most 5 characters)."),
        ("de", "Das Feld „city“ ist zu lang (höchstens 5 Zeichen)."),
        ("ru", "Поле «city» слишком длинное (максимум символов: 5)."),
        ("ar", "الحقل «city» طويل جدًا (الحد الأقصى لعدد الأحرف: 5)."),
    ],
)
def test_a_value_too_long_is_refused_in_the_page_s_language(app, language, refusal):
    with app.test_request_context(), force_locale(language), pytest.raises(validators.InvalidValue) as refused:
        validators.text("Frankfurt am Main", "city", 5)
    assert refused.value.message == refusal


def test_a_refused_amount_names_its_limit_the_way_the_page_writes_money(app):
    with app.test_request_context(), force_locale("de"), pytest.raises(validators.InvalidValue) as refused:
        validators.money("2000000", "EUR", "Preis", below=Decimal(1_000_000))
    assert refused.value.message == "Preis: Der Betrag muss unter 1.000.000,00\xa0€ liegen."


def test_outside_a_request_the_refusals_stay_english(app):
    with app.app_context(), pytest.raises(validators.InvalidValue) as refused:
        validators.phone("call me")
    assert refused.value.message == "'call me' is not a phone number (digits, spaces and + ( ) - . / only)."
