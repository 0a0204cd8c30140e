"""What `queue_message` refuses before anything is stored: line breaks in header fields, addresses that are not one
address; and what it stores: the row, one outbox job per message, an audit row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.jobs.models import OutboxEntry
from backoffice.messages import operations
from backoffice.messages.models import Message
from backoffice.messages.operations import MessageRefused
from backoffice.trail import AuditEvent


def message_fields(**changes) -> dict:
    fields = {
        "kind": "manual",
        "to": ["patient@example.org"],
        "subject": "Your request",
        "body_text": "Dear patient,\nthank you.\n",
    }
    fields.update(changes)
    return fields


def nothing_stored() -> bool:
    db.session.rollback()
    counts = [db.session.scalar(select(func.count()).select_from(table)) for table in (Message, OutboxEntry)]
    return counts == [0, 0]


INJECTIONS = ["\r\nBcc: everyone@example.org", "\nBcc: everyone@example.org", "\rX-Spam: yes", "\u2028Bcc: x@y.z"]


@pytest.mark.parametrize("injection", INJECTIONS)
def test_a_line_break_in_the_subject_is_refused(injection):
    with pytest.raises(MessageRefused, match="subject may not contain line breaks"):
        operations.queue_message(**message_fields(subject=f"Your request{injection}"))
    assert nothing_stored()


@pytest.mark.parametrize("field", ["to", "cc"])
@pytest.mark.parametrize("injection", INJECTIONS)
def test_a_line_break_in_an_address_is_refused(field, injection):
    with pytest.raises(MessageRefused, match="may not contain line breaks"):
        operations.queue_message(**message_fields(**{field: [f"patient@example.org{injection}"]}))
    assert nothing_stored()


@pytest.mark.parametrize(
    "address",
    [
        "not-an-address",
        "two@at@example.org",
        "a@b",
        "Someone <a@example.org>",
        "a@example.org, b@example.org",
        "a;b@x.y",
    ],
)
def test_an_invalid_address_is_refused_with_a_clear_message_and_nothing_stored(address):
    with pytest.raises(MessageRefused, match="is not an email address") as refused:
        operations.queue_message(**message_fields(to=[address]))
    assert refused.value.status_code == 422
    assert nothing_stored()


def test_a_message_needs_a_recipient_a_subject_and_a_text():
    for changes, message in (
        ({"to": []}, "at least one recipient"),
        ({"subject": " "}, "subject"),
        ({"body_text": ""}, "text"),
    ):
        with pytest.raises(MessageRefused, match=message):
            operations.queue_message(**message_fields(**changes))
    assert nothing_stored()


def test_a_queued_message_has_one_send_job_and_an_audit_row():
    message = operations.queue_message(**message_fields(to=["Patient@Example.org", "patient@example.org"]))
    db.session.commit()
    assert message.to_addresses == "patient@example.org" and message.state == "queued"
    assert message.message_id.startswith("<") and message.message_id.endswith("@medtravel.example>")
    (entry,) = db.session.scalars(select(OutboxEntry)).all()
    assert (
        entry.job == "messages.send"
        and entry.key == f"message:{message.id}"
        and entry.args == {"message_id": message.id}
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.queued"))
    assert event.details["to"] == ["patient@example.org"] and event.details["kind"] == "manual"


def test_a_language_the_product_does_not_write_in_is_stored_as_english():
    assert operations.queue_message(**message_fields(language="es")).language == "en"
    assert operations.queue_message(**message_fields(language="ar")).language == "ar"  # a patient language (issue 17)
