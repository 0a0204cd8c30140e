"""Files sent with a message: kept with it as sent, capped in number and size, names safe in headers."""

from __future__ import annotations

import pytest

from backoffice.extensions import db
from backoffice.messages import operations
from backoffice.messages.models import MessageAttachment
from backoffice.messages.operations import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, OutgoingAttachment
from tests.messages.conftest import run_send_job

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


def queue(*files: OutgoingAttachment):
    message = operations.queue_message(
        kind="manual",
        to=["layla.haddad@example.org"],
        subject="Your records",
        body_text="Attached.\n",
        attachments=files,
    )
    db.session.commit()
    return message


def test_an_attached_file_reaches_the_server_byte_for_byte_under_its_name(smtp):
    message = queue(OutgoingAttachment("Befund März.pdf", "application/pdf", PDF, health_data=True, source="test"))
    (stored,) = db.session.query(MessageAttachment).filter_by(message_id=message.id).all()
    assert stored.size_bytes == len(PDF) and stored.health_data

    assert run_send_job(message.id)["outcome"] == "sent"

    (mail,) = smtp.inbox.messages()
    (part,) = list(mail.iter_attachments())
    assert part.get_filename() == "Befund März.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == PDF
    assert mail.get_body(("plain",)).get_content().strip() == "Attached."


def test_more_files_than_the_cap_are_refused():
    files = [OutgoingAttachment(f"{n}.pdf", "application/pdf", PDF) for n in range(MAX_ATTACHMENTS + 1)]
    with pytest.raises(operations.MessageRefused, match=f"at most {MAX_ATTACHMENTS} files"):
        queue(*files)


def test_files_larger_together_than_the_cap_are_refused():
    big = b"%PDF-" + b"0" * (MAX_ATTACHMENT_BYTES // 2)
    with pytest.raises(operations.MessageRefused, match="at most 10 MB"):
        queue(OutgoingAttachment("a.pdf", "application/pdf", big), OutgoingAttachment("b.pdf", "application/pdf", big))


@pytest.mark.parametrize("name", ["a\r\nBcc: x@evil.example.pdf", "a\nb.pdf", "a\x00.pdf"])
def test_a_file_name_with_a_line_break_or_control_character_is_refused(name):
    with pytest.raises(operations.MessageRefused, match="file name"):
        queue(OutgoingAttachment(name, "application/pdf", PDF))


def test_an_empty_file_is_refused():
    with pytest.raises(operations.MessageRefused, match="empty"):
        queue(OutgoingAttachment("a.pdf", "application/pdf", b""))
