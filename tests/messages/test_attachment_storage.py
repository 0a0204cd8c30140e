"""Files sent with a message live in the one storage (the local folders or the object store), not in the database:
recorded with key, size and SHA-256; read back with their hash checked by every attempt to send and every download;
a store that is away makes the send wait, changed bytes fail it visibly; a message that is not committed takes its
files with it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from backoffice.cases.models import CaseDocument
from backoffice.extensions import db
from backoffice.messages import operations
from backoffice.messages.attachments import read_kept
from backoffice.messages.models import Message, MessageAttachment
from backoffice.messages.operations import OutgoingAttachment
from backoffice.storage import files
from backoffice.storage.backends import RetainedFile
from backoffice.storage.models import StoredFile
from backoffice.trail import HEALTH_DATA_READ, AuditEvent
from tests.factories import make_case, make_patient
from tests.helpers import change_settings
from tests.messages.conftest import run_send_job
from tests.messages.factories import make_writing_case
from tests.messages.inbound import PDF, receive, reply
from tests.servers import free_port

LETTER = b"%PDF-1.7\n% dispute letter to the hospital\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"
RECORD = b"%PDF-1.7\n% knee MRI\n" + bytes(range(256)) * 12 + b"\n%%EOF\n"


def queue(*files_: OutgoingAttachment, case_id: int | None = None) -> Message:
    message = operations.queue_message(
        kind="manual",
        to=["aufnahme@klinik.example"],
        subject="Our letter",
        body_text="Attached.\n",
        case_id=case_id,
        attachments=files_,
    )
    db.session.commit()
    return message


def letter(name: str = "Widerspruch März.pdf") -> OutgoingAttachment:
    return OutgoingAttachment(name, "application/pdf", LETTER, source="dispute_letter")


def record() -> OutgoingAttachment:
    return OutgoingAttachment("knee MRI.pdf", "application/pdf", RECORD, health_data=True, source="case_document")


def attachment_of(message: Message) -> MessageAttachment:
    db.session.expire_all()
    return db.session.scalar(select(MessageAttachment).where(MessageAttachment.message_id == message.id))


def test_a_sent_file_is_kept_in_the_store_under_its_key_with_size_and_hash_and_not_in_the_database(app, storage):
    message = queue(letter())

    row = attachment_of(message)
    year = date.today().year
    assert re.fullmatch(rf"archive/{year}/{message.id}-Widerspruch-Marz-[0-9a-f]{{16}}\.pdf", row.stored_key)
    assert row.size_bytes == len(LETTER)
    stored = db.session.scalar(select(StoredFile).where(StoredFile.key == row.stored_key))
    assert (stored.size, stored.sha256, stored.location) == (len(LETTER), row.sha256, storage)
    assert row.sha256.startswith(row.stored_key.rsplit("-", 1)[1][:16])
    assert files.backend().get(row.stored_key) == LETTER
    assert read_kept(row) == LETTER


def test_a_sent_letter_is_kept_locked_six_years_and_a_medical_record_sent_stays_erasable(app, storage):
    message = queue(letter(), record())

    rows = {
        row.source: db.session.scalar(select(StoredFile).where(StoredFile.key == row.stored_key))
        for row in db.session.scalars(select(MessageAttachment).where(MessageAttachment.message_id == message.id))
    }
    year = date.today().year
    assert (rows["dispute_letter"].kind, rows["dispute_letter"].retain_until) == ("letter", date(year + 6, 12, 31))
    assert (rows["case_document"].kind, rows["case_document"].retain_until) == (
        "mail_attachment",
        date(year + 10, 12, 31),
    )
    with pytest.raises(RetainedFile):
        files.delete(rows["dispute_letter"].key, today=date.today())
    files.delete(rows["case_document"].key, today=date.today())  # a patient's erasure may
    assert not files.backend().exists(rows["case_document"].key)


def test_every_attempt_sends_the_bytes_read_back_from_the_store(app, storage, smtp):
    message = queue(letter())

    assert run_send_job(message.id)["outcome"] == "sent"

    (mail,) = smtp.inbox.messages()
    (part,) = list(mail.iter_attachments())
    assert (part.get_filename(), part.get_content()) == ("Widerspruch März.pdf", LETTER)


def test_a_store_that_is_away_leaves_the_message_queued_and_a_later_run_sends_it(
    app, s3_storage, s3, smtp, monkeypatch
):
    message = queue(letter())
    change_settings(monkeypatch, app, s3_endpoint_url=f"http://127.0.0.1:{free_port()}", storage_timeout_seconds=2)

    assert run_send_job(message.id)["outcome"] == "retry"
    stored = db.session.get(Message, message.id)
    assert stored.state == "queued" and "cannot be read from the store" in stored.last_error
    assert smtp.inbox.messages() == []

    change_settings(monkeypatch, app, s3_endpoint_url=s3.endpoint)
    assert run_send_job(message.id)["outcome"] == "sent"
    assert [part.get_content() for part in smtp.inbox.messages()[0].iter_attachments()] == [LETTER]


def test_a_file_changed_in_the_store_fails_the_message_visibly_and_the_refusal_is_audited(app, storage, smtp):
    message = queue(letter())
    row = attachment_of(message)
    files.backend().put(row.stored_key, LETTER.replace(b"dispute", b"forged!"), retain_until=None)  # behind our back

    assert run_send_job(message.id)["outcome"] == "failed"

    stored = db.session.get(Message, message.id)
    assert stored.state == "failed" and "differs from the one stored" in stored.last_error
    assert smtp.inbox.messages() == []
    refused = db.session.scalar(select(AuditEvent).where(AuditEvent.action == files.HASH_REFUSED))
    assert refused.details["key"] == row.stored_key


def test_a_file_sent_from_the_case_is_downloaded_from_the_thread_as_stored_and_the_read_is_recorded(
    app, storage, users, as_role
):
    world = make_writing_case(users["coordinator"])
    message = queue(record(), case_id=world.case.id)
    row = attachment_of(message)
    url = f"/cases/{world.case.id}/messages/{message.id}/files/{row.id}"
    client = as_role("coordinator")

    response = client.get(url)

    assert response.status_code == 200 and response.data == RECORD
    assert "knee" in response.headers["Content-Disposition"]
    reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == HEALTH_DATA_READ)).all()
    assert any(event.details.get("endpoint") == "messages.download_message_file" for event in reads), [
        event.details for event in reads
    ]

    files.backend().put(row.stored_key, b"%PDF-1.7 forged", retain_until=None)
    refused = client.get(url)
    assert refused.status_code == 503 and refused.data != b"%PDF-1.7 forged"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == files.HASH_REFUSED)) is not None


def test_the_files_of_a_message_whose_transaction_rolls_back_are_removed_from_the_store(app, storage):
    operations.queue_message(
        kind="manual", to=["aufnahme@klinik.example"], subject="Never sent", body_text="x", attachments=[record()]
    )
    key = db.session.scalar(select(MessageAttachment.stored_key))
    assert files.backend().exists(key)

    db.session.rollback()

    assert not files.backend().exists(key)
    assert db.session.scalar(select(StoredFile)) is None


def test_a_letter_the_bucket_locked_stays_unrecorded_after_a_rollback_and_the_log_says_so(app, s3_storage, caplog):
    operations.queue_message(
        kind="manual", to=["aufnahme@klinik.example"], subject="Never sent", body_text="x", attachments=[letter()]
    )
    key = db.session.scalar(select(MessageAttachment.stored_key))

    db.session.rollback()

    assert db.session.scalar(select(StoredFile)) is None  # nothing names it, nothing serves it
    assert f"could not remove {key}" in caplog.text  # Object Lock: not even we may delete it before its date


def test_a_savepoint_rolled_back_after_queueing_keeps_the_message_files_and_a_commit_keeps_them(app, storage):
    operations.queue_message(
        kind="manual", to=["aufnahme@klinik.example"], subject="Sent", body_text="x", attachments=[letter()]
    )
    key = db.session.scalar(select(MessageAttachment.stored_key))
    with pytest.raises(RuntimeError), db.session.begin_nested():
        raise RuntimeError("a later step refused inside its savepoint")
    with db.session.begin_nested():
        inner = operations.queue_message(
            kind="manual", to=["aufnahme@klinik.example"], subject="Also", body_text="x", attachments=[record()]
        )
    db.session.commit()

    assert files.backend().exists(key)
    inner_row = attachment_of(inner)
    assert files.backend().exists(inner_row.stored_key)


def test_a_file_stored_inside_a_savepoint_that_rolls_back_is_removed(app, storage):
    with pytest.raises(RuntimeError), db.session.begin_nested():
        operations.queue_message(
            kind="manual", to=["aufnahme@klinik.example"], subject="Gone", body_text="x", attachments=[record()]
        )
        key = db.session.scalar(select(MessageAttachment.stored_key))
        raise RuntimeError("refused after queueing")
    db.session.commit()

    assert not files.backend().exists(key)


def test_a_received_file_waiting_for_a_case_is_kept_in_the_store_erasable_and_filed_when_assigned(
    app, storage, users, as_role
):
    case = make_case(patient=make_patient(email="new.address@example.test"), coordinator=users["coordinator"])
    db.session.commit()
    receive(reply(sender="new.address@example.test", subject="My scan", files=(("scan.pdf", "application/pdf", PDF),)))
    row = db.session.scalar(select(MessageAttachment))
    stored = db.session.scalar(select(StoredFile).where(StoredFile.key == row.stored_key))
    assert (stored.kind, stored.location, stored.sha256) == ("mail_attachment", storage, row.sha256)
    assert files.backend().get(row.stored_key) == PDF

    client = as_role("coordinator")
    assert client.get(f"/messages/unmatched/{row.message_id}/files/{row.id}").data == PDF
    answer = client.post(f"/messages/unmatched/{row.message_id}/assign", data={"case_number": case.number})

    assert answer.status_code == 302
    db.session.expire_all()
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.case_id == case.id))
    assert db.session.get(MessageAttachment, row.id).document_id == document.id
    assert client.get(f"/cases/{case.id}/documents/{document.id}").data == PDF
