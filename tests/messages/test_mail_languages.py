"""Every mail a patient receives is in their preferred language when there is a catalogue for it (English, German,
Russian, Arabic), English otherwise; a hospital's mail and a staff member's digest are in English or German. A German
patient reads exactly what they read before the mails went through the catalogues."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.messages.automatic import render
from backoffice.messages.digest import send_digests
from backoffice.messages.models import Message
from tests.factories import make_case, make_patient
from tests.messages.conftest import run_send_job
from tests.messages.test_digest import MORNING, daily, told
from tests.messages.test_request_received import request_data
from tests.shipments.factories import run_jobs

INVITE_LINK = re.compile(r"https?://\S+/invite/\S+")


def sent_mail(app, smtp, client, **form):
    client.post("/request", data=request_data(**form))
    run_jobs(app)
    (mail,) = smtp.inbox.messages()
    return mail, db.session.scalar(select(Case.number)), db.session.scalar(select(Message))


def test_a_russian_speaking_visitors_request_is_confirmed_in_russian_with_the_case_number(app, client, smtp):
    mail, number, message = sent_mail(app, smtp, client, preferred_language="ru", name="Фатима Алиева")

    assert mail["Subject"] == f"Мы получили Ваш запрос на лечение {number}"
    body = mail.get_content()
    assert body.startswith("Здравствуйте, Фатима Алиева!") and number in body
    assert "в течение 24 часов" in body and "\u0421 уважением," in body
    assert (mail["Content-Language"], message.language) == ("ru", "ru")


def test_an_arabic_patients_portal_invitation_is_in_arabic_with_the_link(app, as_role, users, smtp):
    patient = make_patient(name="ليلى حداد", email="layla@mail.example", preferred_language="ar")
    case = make_case(patient=patient, coordinator=users["coordinator"])
    db.session.commit()

    as_role("coordinator").post(f"/cases/{case.id}/portal-invite")
    run_jobs(app)

    (mail,) = [m for m in smtp.inbox.messages() if m["Subject"] == "دعوتك إلى بوابة المرضى"]
    body = mail.get_content()
    assert "لفتح حسابك، اتبع هذا الرابط واختر كلمة مرور:" in body and INVITE_LINK.search(body)
    assert "ليلى حداد" in body and "layla@mail.example" in body and "Dear" not in body
    assert mail["Content-Language"] == "ar"


def test_a_patient_who_prefers_a_language_without_a_catalogue_gets_english(app, client, smtp):
    mail, number, message = sent_mail(app, smtp, client, preferred_language="tr", name="Ayşe Kaya")

    assert mail["Subject"] == f"We have received your treatment request {number}"
    assert mail.get_content().startswith("Dear Ayşe Kaya,")
    assert (mail["Content-Language"], message.language) == ("en", "en")


# What the German templates said before the catalogues (templates/messages/request_received.de.txt).
GERMAN_CONFIRMATION = """Guten Tag Jürgen Weiß,

vielen Dank für Ihre Anfrage. Wir haben sie unter der Fallnummer {number} erhalten; bitte geben Sie diese Nummer an, \
wenn Sie uns schreiben.

So geht es weiter:

1. Eine Patientenkoordinatorin oder ein Patientenkoordinator liest Ihre Anfrage und meldet sich innerhalb von 24 \
Stunden per E-Mail oder Telefon bei Ihnen.
2. Ihre Koordination bittet Sie um die medizinischen Unterlagen, die die Kliniken brauchen, und erklärt, welche \
Dokumente Sie wie sicher senden. Bitte senden Sie medizinische Unterlagen nicht per einfacher E-Mail.
3. Nachdem die Kliniken sie geprüft haben, erhalten Sie einen Behandlungsvorschlag mit den Kosten, bevor etwas \
gebucht wird.

Bei Fragen antworten Sie einfach auf diese Nachricht oder rufen Sie uns an unter"""


def test_a_german_patients_confirmation_reads_as_before(app, client, smtp):
    mail, number, _message = sent_mail(app, smtp, client, preferred_language="de", name="Jürgen Weiß")

    assert mail["Subject"] == f"Wir haben Ihre Behandlungsanfrage {number} erhalten"
    body = mail.get_content().replace("\r\n", "\n")
    assert body.startswith(GERMAN_CONFIRMATION.format(number=number)) and "\nMit freundlichen Grüßen\n" in body


def test_a_german_patients_amounts_and_dates_are_written_the_german_way(app):
    common = {"name": "Jürgen Weiß", "portal_link": "https://portal.example/", "case_number": "C-2026-00001"}
    with app.test_request_context("/", headers={"Accept-Language": "en"}):  # the page's language does not matter
        _, subject, payment = render(
            "payment_received", "de", number="R-1", total=Decimal("1234.5"), currency="EUR", paid_in_full=True, **common
        )
        _, reminder, _ = render("follow_up_due", "de", due_on=date(2027, 3, 7), **common)
    assert subject == "Zahlung zur Rechnung R-1 erhalten"
    assert (
        "vielen Dank: Wir haben eine Zahlung zur Rechnung R-1 über 1.234,50\xa0€ erhalten. "
        "Die Rechnung ist damit vollständig bezahlt." in payment
    )
    assert reminder == "Ihre Nachuntersuchung am 7. März 2027"


def test_a_hospital_is_written_to_in_english_or_german_only(app):
    context = {"hospital_name": "Klinik", "patient_name": "Layla", "case_number": "C-1", "label": "MRI"}
    for asked, used in (("de", "de"), ("ru", "en"), ("ar", "en")):
        language, _, _ = render(
            "follow_up_due_hospital", asked, counterpart="hospital", due_on=date.today() + timedelta(days=7), **context
        )
        assert language == used


def test_a_staff_member_who_works_in_german_gets_the_digest_in_german(users, smtp):
    coordinator = users["coordinator"]
    coordinator.language = "de"
    daily(coordinator)
    told(coordinator, "to deliver")
    send_digests(MORNING)

    run_send_job(db.session.scalar(select(Message.id)))

    (received,) = smtp.inbox.messages()
    assert received["Subject"] == "Ihre Benachrichtigungen: 1 ungelesen" and received["Content-Language"] == "de"
    assert "diese Benachrichtigung wartet im Backoffice auf Sie:" in received.get_content()
