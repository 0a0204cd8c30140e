"""Delivery reports: a message that could not be delivered is marked bounced, the address is remembered as
undeliverable (the compose form warns), the case's timeline says so and its coordinator is told."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import select

from backoffice.cases.models import CaseEvent
from backoffice.extensions import db
from backoffice.messages.models import Message, UndeliverableAddress
from backoffice.messages.operations import queue_message, undeliverable
from backoffice.notifications.models import Notification
from tests.factories import make_case
from tests.messages.inbound import delivery_report, receive


@pytest.fixture
def sent(users):
    case = make_case(coordinator=users["coordinator"])
    message = queue_message(
        kind="manual",
        to=["gone@hospital.example", "fine@hospital.example"],
        subject="Your appointment",
        body_text="Dear colleagues",
        case_id=case.id,
    )
    message.state = "sent"
    db.session.commit()
    return message


def test_a_delivery_report_marks_the_message_bounced_and_the_address_undeliverable(sent, users):
    assert receive(delivery_report(sent.message_id)) == ["bounce"]
    message = db.session.get(Message, sent.id)
    assert message.state == "bounced" and message.bounced_at is not None
    assert "User unknown" in message.last_error
    row = db.session.get(UndeliverableAddress, "gone@hospital.example")
    assert row.message_id == sent.id and "550 5.1.1" in row.reason
    assert db.session.get(UndeliverableAddress, "fine@hospital.example") is None
    notification = db.session.scalar(select(Notification).where(Notification.kind == "mail_bounced"))
    assert notification.user_id == users["coordinator"].id and "gone@hospital.example" in notification.text
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "message_bounced"))
    assert event.case_id == sent.case_id and "could not be delivered" in event.note
    assert db.session.query(Message).filter_by(direction="inbound").count() == 0  # the report is no reply


def test_the_same_report_twice_tells_the_coordinator_once(sent):
    report = delivery_report(sent.message_id)
    assert receive(report, report) == ["bounce", "bounce"]
    assert db.session.query(Notification).filter_by(kind="mail_bounced").count() == 1
    assert db.session.query(CaseEvent).filter_by(kind="message_bounced").count() == 1


def test_a_delay_notice_changes_nothing(sent):
    assert receive(delivery_report(sent.message_id, action="delayed")) == ["bounce"]
    assert db.session.get(Message, sent.id).state == "sent"
    assert db.session.query(UndeliverableAddress).count() == 0


def test_a_returned_mail_without_a_status_part_names_its_failed_address_in_the_text(sent):
    original = EmailMessage()
    original["From"], original["To"] = "care@medtravel.example", "gone@hospital.example"
    original["Subject"], original["Message-ID"] = "Your appointment", sent.message_id
    original.set_content("Dear colleagues")
    report = EmailMessage()
    report["From"], report["To"] = (
        "Mail Delivery Subsystem <mailer-daemon@mx.hospital.example>",
        "care@medtravel.example",
    )
    report["Subject"], report["Message-ID"] = "Mail delivery failed: returning message to sender", "<x@mx>"
    report.set_content("A message that you sent could not be delivered.\n\n  gone@hospital.example\n    unknown user\n")
    report.add_attachment(original)
    assert receive(report.as_bytes()) == ["bounce"]
    assert db.session.get(Message, sent.id).state == "bounced"
    assert [row.address for row in db.session.scalars(select(UndeliverableAddress))] == ["gone@hospital.example"]


def test_a_report_about_no_message_of_ours_waits_on_the_unmatched_list(sent):
    assert receive(delivery_report("<not-ours@elsewhere.example>")) == ["unmatched"]
    assert db.session.get(Message, sent.id).state == "sent"


def test_queueing_to_an_undeliverable_address_still_works_and_the_form_can_ask_which_are(sent):
    receive(delivery_report(sent.message_id))
    again = queue_message(kind="manual", to=["Gone@Hospital.example"], subject="Again", body_text="Hello")
    assert again.state == "queued"
    found = undeliverable(["GONE@hospital.example", "fine@hospital.example", ""])
    assert list(found) == ["gone@hospital.example"] and "User unknown" in found["gone@hospital.example"]
    assert undeliverable([]) == {}
