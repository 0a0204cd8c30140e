"""The messages the product writes by itself, each from a text template in `templates/messages/<kind>.<lang>.txt`.

A template's first line is the subject, the rest (after one blank line) the body. The patient's preferred language
picks the template where one exists (this slice: English and German), English otherwise. No health data goes into
these texts: mail crosses servers we do not control.
"""

from __future__ import annotations

from flask import render_template

from backoffice.messages.models import Message
from backoffice.messages.operations import LANGUAGES, queue_message


def render(kind: str, language: str, **context) -> tuple[str, str, str]:
    """(language used, subject, body) of template `kind` in `language`, or in English when there is none."""
    language = language if language in LANGUAGES else "en"
    text = render_template(f"messages/{kind}.{language}.txt", **context)
    subject, _, body = text.partition("\n\n")
    return language, subject.strip(), body.strip() + "\n"


def request_received(*, case_id: int, case_number: str, name: str, email: str, language: str) -> Message:
    """Confirm a treatment request to the patient: the case number, what happens next, the first-answer promise."""
    used, subject, body = render("request_received", language, case_number=case_number, name=" ".join(name.split()))
    return queue_message(
        kind="request_received", to=[email], subject=subject, body_text=body, language=used, case_id=case_id
    )
