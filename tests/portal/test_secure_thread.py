"""The portal's secure thread: a patient writes to their coordinator about one of their own cases and reads the
answers there, newest last, in their language; the coordinator is notified without the text; a coordinator's answer
waits in the portal and the patient is mailed that it does, with the link and without the text."""

from __future__ import annotations

import html
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.jobs.models import OutboxEntry
from backoffice.messages import kinds, portal_thread
from backoffice.messages.models import Message
from backoffice.notifications.models import Notification
from backoffice.trail import HEALTH_DATA_READ, AuditEvent
from tests.factories import make_case, make_patient
from tests.helpers import login_as

SECRET = "My knee still swells after the second injection"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def paula(users):
    """Paula signs in with `users["patient"]`; her case is Carl's; she reads English unless a test says otherwise."""
    patient = make_patient(name="Paula Marchetti", email=users["patient"].email, preferred_language="en")
    patient.user_id = users["patient"].id
    case = make_case(patient=patient, coordinator=users["coordinator"], state="contacted")
    db.session.commit()
    return SimpleNamespace(id=case.id, number=case.number, patient=patient)


def portal_messages(case_id: int) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Message).where(Message.case_id == case_id, Message.channel == "portal").order_by(Message.id)
        )
    )


def write(client, case_id: int, text: str):
    return client.post(f"/portal/messages/{case_id}", data={"text": text})


def answer(client, case_id: int, text: str):
    return client.post(f"/cases/{case_id}/portal-messages", data={"text": text})


# ---------------------------------------------------------------------------------------------- the patient writes


def test_a_patients_message_goes_on_the_case_thread_the_coordinator_is_notified_without_its_text(client, users, paula):
    login_as(client, users["patient"])
    response = write(client, paula.id, f"{SECRET}.\r\nCan I fly on Monday?\r\n")

    assert response.status_code == 302 and response.headers["Location"].endswith(f"/portal/messages/{paula.id}#newest")
    [message] = portal_messages(paula.id)
    assert (message.direction, message.state, message.counterpart, message.channel) == (
        "inbound",
        "received",
        "patient",
        "portal",
    )
    assert message.body_text == f"{SECRET}.\nCan I fly on Monday?\n" and message.read_at is None
    assert db.session.scalar(select(func.count(OutboxEntry.id))) == 0, "a portal message is not mailed"
    [notification] = db.session.scalars(select(Notification)).all()
    assert notification.user_id == users["coordinator"].id and notification.kind == "portal_message"
    assert SECRET not in notification.text and paula.number in notification.text
    assert notification.link == f"/cases/{paula.id}/messages/{message.id}"
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.message_written")).all()
    assert event.actor_id == users["patient"].id and event.object_id == str(paula.id)
    assert SECRET not in str(event.details)


def test_a_patient_reads_the_thread_newest_last_in_their_language(client, users, paula):
    paula.patient.preferred_language = "de"
    db.session.commit()
    portal_thread.write_to_patient(paula.id, actor_id=users["coordinator"].id, text="Welcome, Paula. Ask me anything.")
    db.session.commit()
    login_as(client, users["patient"])
    write(client, paula.id, "When is my appointment?")

    body = page(client.get("/portal/messages"))
    assert '<html lang="de"' in body and "Nachrichten mit Ihrer Koordination" in body
    assert "Ihre Koordination: Carl Coordinator." in body
    assert body.index("Welcome, Paula.") < body.index("When is my appointment?")
    assert 'id="newest"' in body[body.index("Welcome, Paula.") :]


@pytest.mark.parametrize(
    ("text", "refusal"),
    [("   \r\n  ", "Write your message first."), ("x" * 5001, "A message has at most 5000 characters.")],
)
def test_an_empty_or_too_long_message_is_refused_and_nothing_is_stored(client, users, paula, text, refusal):
    login_as(client, users["patient"])
    response = write(client, paula.id, text)
    assert response.status_code == 422 and refusal in page(response)
    assert portal_messages(paula.id) == []
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_patient_with_several_cases_has_a_thread_per_case(client, users, paula):
    newer = make_case(patient=paula.patient, coordinator=users["admin"], state="new")
    db.session.commit()
    login_as(client, users["patient"])
    write(client, paula.id, "About my first case")

    start = page(client.get("/portal/messages"))
    assert f"Case {newer.number}" in start and "About my first case" not in start
    assert f"/portal/messages/{paula.id}" in start
    assert "About my first case" in page(client.get(f"/portal/messages/{paula.id}"))


def test_the_patients_thread_page_runs_a_fixed_number_of_statements(client, count_queries, users, paula):
    login_as(client, users["patient"])

    def statements() -> int:
        with count_queries() as sent:
            assert client.get(f"/portal/messages/{paula.id}").status_code == 200
        return len(sent)

    write(client, paula.id, "First")
    portal_thread.write_to_patient(paula.id, actor_id=users["coordinator"].id, text="Answer")
    db.session.commit()
    few = statements()
    for n in range(10):
        write(client, paula.id, f"Question {n}")
        portal_thread.write_to_patient(paula.id, actor_id=users["admin"].id, text=f"Answer {n}")
        db.session.commit()
    assert statements() == few


def test_the_thread_shows_only_the_portal_messages_of_the_case(client, users, paula):
    db.session.add(
        Message(
            case_id=paula.id,
            kind="manual",
            language="en",
            counterpart="hospital",
            to_addresses="aufnahme@klinik.example",
            subject="Admission of the patient",
            body_text="Please admit her on Monday.\n",
            message_id="<to-hospital@test.example>",
            state="sent",
        )
    )
    db.session.commit()
    login_as(client, users["patient"])
    assert "Please admit her" not in page(client.get(f"/portal/messages/{paula.id}"))


# ---------------------------------------------------------------------------------------------- the coordinator answers


def test_a_coordinators_answer_waits_in_the_portal_and_the_patient_is_mailed_that_it_does_without_its_text(
    as_role, users, paula, mailbox
):
    paula.patient.preferred_language = "ar"
    db.session.commit()
    response = answer(as_role("coordinator"), paula.id, f"{SECRET}: that is normal.\r\nRest for two days.")

    assert response.status_code == 302
    [message] = portal_messages(paula.id)
    assert (message.direction, message.state, message.channel, message.created_by_id) == (
        "outbound",
        "sent",
        "portal",
        users["coordinator"].id,
    )
    assert message.body_text == f"{SECRET}: that is normal.\nRest for two days.\n" and message.sent_at is not None
    [mail] = mailbox.messages()
    text = mail.get_content()
    assert mail["To"] == paula.patient.email and mail["Content-Language"] == "ar"
    assert mail["Subject"] == "رسالة جديدة بانتظارك في بوابة المرضى"
    assert f"http://localhost/portal/messages/{paula.id}" in text and "Paula Marchetti" in text
    assert SECRET not in text and "Rest for two days" not in text
    waiting = db.session.scalar(select(Message).where(Message.kind == "portal_message_waiting"))
    assert waiting.channel == "email" and waiting.case_id == paula.id


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "A new message waits for you in the patient portal"),
        ("de", "Im Patientenportal wartet eine neue Nachricht auf Sie"),
        ("ru", "На портале пациента Вас ждёт новое сообщение"),  # noqa: RUF001 (Russian)
        ("es", "A new message waits for you in the patient portal"),  # not shipped: English
    ],
)
def test_the_waiting_mail_is_in_the_patients_language(users, paula, language, subject):
    paula.patient.preferred_language = language
    mail = portal_thread.tell_patient_a_message_waits(paula.patient, paula.id)
    assert mail.subject == subject and mail.language == ("en" if language == "es" else language)


def test_switching_the_waiting_mail_off_stops_the_mail_not_the_answer(as_role, users, paula):
    kinds.switch_kind("portal_message_waiting", enabled=False, actor_id=users["admin"].id)
    db.session.commit()
    assert answer(as_role("coordinator"), paula.id, "See you on Monday.").status_code == 302
    assert [m.body_text for m in portal_messages(paula.id)] == ["See you on Monday.\n"]
    assert db.session.scalar(select(func.count(Message.id)).where(Message.kind == "portal_message_waiting")) == 0


def test_answering_in_the_portal_needs_the_patients_portal_account(as_role, users):
    case = make_case(patient=make_patient(name="Omar Said"), coordinator=users["coordinator"])
    db.session.commit()
    response = answer(as_role("coordinator"), case.id, "Hello")
    assert response.status_code == 422 and "Omar Said has no portal account yet" in page(response)
    assert portal_messages(case.id) == []


def test_an_empty_answer_is_refused_on_the_case_page(as_role, paula):
    response = answer(as_role("coordinator"), paula.id, "  ")
    assert response.status_code == 422 and "Write the message first." in page(response)
    assert 'id="portal-answer"' in page(response) and portal_messages(paula.id) == []


def test_the_case_thread_shows_portal_messages_marked_and_opening_one_is_a_health_data_read(app, as_role, users, paula):
    patient = app.test_client()
    login_as(patient, users["patient"])
    write(patient, paula.id, SECRET)
    [message] = portal_messages(paula.id)
    coordinator = as_role("coordinator")

    thread = page(coordinator.get(f"/cases/{paula.id}"))
    thread = thread[thread.index('id="thread"') :]
    assert ">portal<" in thread and SECRET[:40] in thread and ">New<" in thread
    assert "Portal message from the patient" in page(coordinator.get(f"/cases/{paula.id}"))
    opened = coordinator.get(f"/cases/{paula.id}/messages/{message.id}")
    assert opened.status_code == 200 and SECRET in page(opened) and "Answer in the portal" in page(opened)
    db.session.expire_all()
    assert db.session.get(Message, message.id).read_at is not None
    reads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == HEALTH_DATA_READ, AuditEvent.actor_id == users["coordinator"].id)
    ).all()
    assert any(r.details["endpoint"] == "messages.show_message" and r.object_id == str(paula.id) for r in reads)


def test_finance_sees_no_portal_message_on_the_case_page(app, as_role, users, paula):
    patient = app.test_client()
    login_as(patient, users["patient"])
    write(patient, paula.id, SECRET)
    assert SECRET[:40] not in page(as_role("finance").get(f"/cases/{paula.id}"))
