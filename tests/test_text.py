"""Text typed in is cleaned once, where it comes in: every form field passes through the project's FlaskForm."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import wtforms
from wtforms import StringField, TextAreaField

import backoffice
from backoffice.forms import FlaskForm, PlainForm
from backoffice.text import clean_line, clean_text


def test_a_one_line_field_loses_line_breaks_control_characters_and_bidi_overrides():
    assert clean_line("Ann\r\nLee") == "Ann Lee"
    assert clean_line("Zoe\x01\x08\x0b\x1b[31m\x7f\x85\x9b\tRay") == "Zoe [31m  Ray"
    assert clean_line("\u202eevil\u202c \u2066gnp.exe\u2069") == "evil gnp.exe"
    assert (
        clean_line("СЧЁТ-2026-77 مريم 王小明 Zoë 😀 👨\u200d👩\u200d👧")
        == "СЧЁТ-2026-77 مريم 王小明 Zoë 😀 👨\u200d👩\u200d👧"
    )


def test_a_text_area_keeps_its_lines_and_tabs_and_loses_other_control_characters():
    assert clean_text("first\r\nsecond\rthird\u2028fourth\n\tindented\x00\x1b\x85") == (
        "first\nsecond\nthird\nfourth\n\tindented\n"
    )


def test_every_form_field_is_cleaned_as_it_comes_in(app):
    class Example(FlaskForm):
        name = StringField()
        notes = TextAreaField()

    with app.test_request_context(
        method="POST", data={"name": "Ann\r\nLee\u202e", "notes": "line one\r\nline\x1b two"}
    ):
        form = Example(meta={"csrf": False})
        assert form.name.data == "Ann Lee" and form.notes.data == "line one\nline two"


def test_every_form_of_the_app_derives_from_the_cleaning_form():
    """A form made from Flask-WTF's or WTForms' class directly would skip the cleaning."""
    for module in pkgutil.walk_packages(backoffice.__path__, "backoffice."):
        loaded = importlib.import_module(module.name)
        for name, value in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(value, wtforms.Form) and value.__module__ == module.name:
                assert issubclass(value, FlaskForm | PlainForm), f"{module.name}.{name} skips backoffice.forms"


def test_a_public_request_with_a_line_break_in_the_name_is_stored_on_one_line(client):
    from sqlalchemy import select

    from backoffice.extensions import db
    from backoffice.patients.models import Patient

    page = client.get("/request")
    assert page.status_code == 200
    response = client.post(
        "/request",
        data={
            "name": "Ann\r\nLee\u202e",
            "email": "ann.lee@example.org",
            "country": "AE",
            "preferred_language": "en",
            "requested_treatment": "Knee\r\nreplacement",
            "destination_country": "",
            "message": "Line one\r\nLine two\x1b",
            "consent": "y",
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    patient = db.session.scalar(select(Patient).where(Patient.email == "ann.lee@example.org"))
    assert patient.name == "Ann Lee"
