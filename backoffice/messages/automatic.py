"""The messages the product writes by itself, each from one text template `templates/messages/<kind>.txt` whose text
is in `{% trans %}` blocks, so a mail speaks every language there is a catalogue for.

A template's first line is the subject, the rest (after one blank line) the body. A mail to a patient is in their
preferred language when it is shipped (`languages.for_patient`: English, German, Russian, Arabic), English otherwise;
one to a hospital or to staff in English or German (`languages.STAFF_LANGUAGES`). Dates and amounts in it are written
the way its language writes them (the `| day` and `| money` filters, under `force_locale`). No health data goes into
these texts: mail crosses servers we do not control. Every kind is listed in `kinds.KINDS`; one an administrator
switched off is not queued (`send` answers None) while the change that wanted it goes on.

Each message is queued by the operation whose change causes it, in its transaction (`queue_message`), so the mail
exists exactly when the change does; the caller's view kicks the outbox after its commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from backoffice.cases import signals as case_signals
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.languages import DEFAULT, STAFF_LANGUAGES, for_patient
from backoffice.messages import kinds
from backoffice.messages.models import Message
from backoffice.messages.operations import MessageRefused, OutgoingAttachment, queue_message
from backoffice.patients.models import Patient
from backoffice.trail import record_event


def mail_language(language: str | None, counterpart: str = "patient") -> str:
    """The language a mail to `counterpart` is written in: the one asked for when that reader is offered it (a
    patient: every shipped language; a hospital or staff: English and German), English otherwise."""
    if counterpart == "patient":
        return for_patient(language)
    return language if language in STAFF_LANGUAGES else DEFAULT


def render(kind: str, language: str, *, counterpart: str = "patient", **context) -> tuple[str, str, str]:
    """(language used, subject, body) of template `kind` in `language` (`mail_language`); `kind` may name a
    coordinator's template (`compose/<name>`)."""
    language = mail_language(language, counterpart)
    with force_locale(language):  # the text, dates and amounts as the reader writes them: "7. Dezember 2026"
        text = render_template(f"messages/{kind}.txt", **context)
    subject, _, body = text.partition("\n\n")
    return language, subject.strip(), body.strip() + "\n"


def public_link(endpoint: str, **values) -> str:
    """The address of `endpoint` as patients reach it (`PUBLIC_URL`), for a mail: never built from the Host header
    of the request that caused the mail, which a visitor chooses (a reset link must not point at their server)."""
    base = urlsplit(settings().public_url)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def send(
    kind: str,
    *,
    to: str | Iterable[str],
    language: str = "en",
    case_id: int | None = None,
    counterpart: str = "patient",
    attachments: Iterable[OutgoingAttachment] = (),
    actor_id: int | None = None,
    **context,
) -> Message | None:
    """Queue the automatic message `kind` from its template, or None when an administrator switched the kind off."""
    if not kinds.is_on(kind):
        return None
    used, subject, body = render(kind, language, counterpart=counterpart, **context)
    return queue_message(
        kind=kind,
        to=[to] if isinstance(to, str) else to,
        subject=subject,
        body_text=body,
        language=used,
        case_id=case_id,
        counterpart=counterpart,
        attachments=attachments,
        actor_id=actor_id,
    )


def to_patient(kind: str, patient: Patient, *, case_id: int | None = None, **context) -> Message | None:
    """`send` to the patient's address in their preferred language (None without an address or with the kind off)."""
    if not (patient.email or "").strip():
        return None
    try:
        with force_locale(DEFAULT):  # a refusal's reason is kept in the trail: in English, whoever caused the mail
            return send(
                kind,
                to=patient.email,
                language=patient.preferred_language,
                case_id=case_id,
                name=" ".join(patient.name.split()),
                **context,
            )
    except MessageRefused as refusal:  # an address on record that is none: the change goes on, the trail says why
        record_event(
            "message.not_queued",
            object_type="patient",
            object_id=patient.id,
            details={"kind": kind, "case_id": case_id, "reason": refusal.message},
        )
        return None


def request_received(*, case_id: int, case_number: str, name: str, email: str, language: str) -> Message | None:
    """Confirm a treatment request to the patient: the case number, what happens next, the first-answer promise."""
    return send(
        "request_received",
        to=email,
        language=language,
        case_id=case_id,
        case_number=case_number,
        name=" ".join(name.split()),
    )


@case_signals.case_opened.connect
def _confirm_new_case(case, **_extra) -> str | None:
    """A new case, from the public form or a coordinator: the patient (when they have an address) is told.

    Answers what the person who opened the case is told: where the confirmation goes, or that it is switched off.
    """
    patient = db.session.get(Patient, case.patient_id)
    if not (patient.email or "").strip():
        return None
    message = request_received(
        case_id=case.id,
        case_number=case.number,
        name=patient.name,
        email=patient.email,
        language=patient.preferred_language,
    )
    if message is None:
        return _("No confirmation mail: “%(kind)s” is switched off.", kind=_(kinds.KINDS["request_received"].label))
    return _("The confirmation of the request goes to %(addresses)s.", addresses=message.to_addresses)
