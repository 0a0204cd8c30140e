"""Replies fetched from the operator's mailbox land on their case's thread: matched by In-Reply-To, by References or
by the case's reply address; sanitised; their files filed; each stored once; bad mail never stops the others."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload

from backoffice.cases.models import CaseDocument, CaseEvent
from backoffice.extensions import db
from backoffice.jobs.runner import TransientJobError
from backoffice.messages import receiving
from backoffice.messages.models import Message, MessageAttachment
from backoffice.messages.operations import queue_message
from backoffice.messages.reply_addresses import case_of_address, reply_address
from backoffice.messages.sending import build_email
from backoffice.notifications.models import Notification
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_hospital, make_patient, make_physician
from tests.helpers import change_settings, login_as
from tests.messages.inbound import PDF, PNG, receive, reply
from tests.servers import free_port


@pytest.fixture
def case(users):
    hospital = make_hospital()
    hospital.contact_email = "intl@hospital.example"
    physician = make_physician(hospital)
    physician.email = "dr.weiss@hospital.example"
    patient = make_patient(email="Patient@Example.test")
    case = make_case(
        patient=patient, coordinator=users["coordinator"], hospital_id=hospital.id, physician_id=physician.id
    )
    db.session.commit()
    return case


def sent_on(case, subject: str = "Your treatment request") -> Message:
    message = queue_message(
        kind="manual", to=["patient@example.test"], subject=subject, body_text="Hello", case_id=case.id
    )
    message.state = "sent"
    db.session.commit()
    return message


def inbound(message_id: str = "<reply-1@example.test>") -> Message:
    return db.session.scalar(select(Message).where(Message.message_id == message_id))


def test_a_reply_is_matched_to_its_case_by_in_reply_to_and_the_coordinator_is_told(case, users):
    ours = sent_on(case)
    assert receive(reply(in_reply_to=ours.message_id)) == ["matched"]
    message = inbound()
    assert (message.case_id, message.matched_by, message.direction, message.state) == (
        case.id,
        "in_reply_to",
        "inbound",
        "received",
    )
    assert message.counterpart == "patient" and message.from_address == "patient@example.test"
    assert message.in_reply_to == ours.message_id and message.received_at is not None
    assert message.body_text.startswith("Thank you, the dates suit me.")
    notification = db.session.scalar(select(Notification).where(Notification.kind == "reply_received"))
    assert notification.user_id == users["coordinator"].id and notification.case_id == case.id
    assert case.number in notification.text and notification.link == f"/cases/{case.id}"
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "message_received"))
    assert event.note.startswith("Reply received from patient@example.test") and event.case_id == case.id
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.received"))
    assert audit.object_id == str(message.id) and audit.details["matched_by"] == "in_reply_to"


def test_a_reply_that_kept_only_references_is_matched_by_references(case):
    first, second = sent_on(case, "First"), sent_on(case, "Second")
    receive(reply(references=f"{first.message_id} {second.message_id} <elsewhere@example.test>"))
    assert (inbound().case_id, inbound().matched_by) == (case.id, "references")


def test_a_reply_without_thread_headers_is_matched_by_the_case_reply_address(case):
    address = reply_address(case.id).split("<")[1].rstrip(">")
    receive(reply(to=address.upper(), sender="dr.weiss@hospital.example"))
    message = inbound()
    assert (message.case_id, message.matched_by, message.counterpart) == (case.id, "token", "physician")


def test_a_made_up_reply_address_matches_no_case(case):
    forged = f"care+c{case.id}-0123456789abcdef@medtravel.example"
    assert case_of_address(forged) is None
    assert receive(reply(to=forged)) == ["unmatched"]
    assert inbound().case_id is None and inbound().matched_by is None


def outgoing(message: Message):
    db.session.expire_all()
    return build_email(
        db.session.scalar(select(Message).where(Message.id == message.id).options(selectinload(Message.attachments)))
    )


def test_messages_of_a_case_go_out_with_the_case_reply_address(case):
    email = outgoing(sent_on(case))
    name, address = email["Reply-To"].addresses[0].display_name, email["Reply-To"].addresses[0].addr_spec
    assert name == "Medical travel team" and case_of_address(address) == case.id
    assert address.startswith(f"care+c{case.id}-") and address.endswith("@medtravel.example")
    no_case = queue_message(kind="manual", to=["x@example.test"], subject="S", body_text="B")
    assert outgoing(no_case)["Reply-To"] is None


def test_html_is_kept_sanitised_without_script_handlers_or_remote_images(case):
    ours = sent_on(case)
    html = (
        '<p onclick="steal()">Dear team,<script>alert(1)</script></p>'
        '<img src="https://tracker.example/open.gif" onerror="alert(2)">'
        '<a href="javascript:alert(3)">link</a><a href="https://hospital.example/">site</a>'
        "<style>body{background:url(https://tracker.example/bg.png)}</style>"
    )
    receive(reply(in_reply_to=ours.message_id, html=html))
    kept = inbound().body_html
    for forbidden in ("<script", "alert", "onclick", "onerror", "<img", "tracker.example", "javascript:", "<style"):
        assert forbidden not in kept, forbidden
    assert "Dear team," in kept and 'href="https://hospital.example/"' in kept and "noopener" in kept


def test_a_mail_with_only_html_gets_its_text_from_the_html(case):
    ours = sent_on(case)
    mail = reply(in_reply_to=ours.message_id, body="")
    mail = mail.replace(b"Content-Type: text/plain", b"Content-Type: text/html", 1)
    mail = mail.replace(b"\n\n\n", b"\n\n<p>Dates &amp; times</p><script>x()</script>\n", 1)
    receive(mail)
    assert "Dates & times" in inbound().body_text and "x()" not in inbound().body_text


def test_a_pdf_attachment_is_filed_as_a_received_document_and_other_files_are_listed_only(case, users):
    ours = sent_on(case)
    files = (
        ("Laborbefund März.pdf", "application/pdf", PDF),
        ("scan", "application/octet-stream", PNG),  # named for nothing: filed as what it is
        ("setup.exe", "application/octet-stream", b"MZ\x90\x00"),
    )
    receive(reply(in_reply_to=ours.message_id, files=files))
    message = inbound()
    rows = db.session.scalars(select(MessageAttachment).where(MessageAttachment.message_id == message.id)).all()
    by_name = {row.filename: row for row in rows}
    assert set(by_name) == {"Laborbefund März.pdf", "scan.png", "setup.exe"}
    documents = db.session.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id)).all()
    assert sorted(d.original_filename for d in documents) == ["Laborbefund März.pdf", "scan.png"]
    assert {d.document_type for d in documents} == {"received"}
    assert all(d.uploaded_by_id is None for d in documents)  # nobody uploaded them: they came with the mail
    pdf = by_name["Laborbefund März.pdf"]
    assert pdf.document_id is not None and pdf.stored_key is None and pdf.source == "received"  # filed at once
    exe = by_name["setup.exe"]
    assert (exe.document_id, exe.stored_key, exe.source) == (None, None, "not_kept")
    assert "files: Laborbefund März.pdf, scan.png" in db.session.scalar(
        select(CaseEvent.note).where(CaseEvent.kind == "message_received")
    )


def test_a_document_that_came_with_a_mail_is_nobodys_upload_and_pages_say_received_by_mail(app, case, users):
    receive(reply(in_reply_to=sent_on(case).message_id, files=(("befund.pdf", "application/pdf", PDF),)))
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.case_id == case.id))
    assert document.uploaded_by_id is None
    for role in ("coordinator", "admin"):
        client = app.test_client()
        login_as(client, users[role])
        case_page = client.get(f"/cases/{case.id}")
        assert case_page.status_code == 200
        row = case_page.get_data(as_text=True).split(f'data-document="{document.id}"')[1].split("</tr>")[0]
        assert "Received by mail" in row and "Carl Coordinator" not in row
        assert "patient@example.test" in row  # the description names the sender
        preview = client.get(f"/cases/{case.id}/documents/{document.id}/preview")
        assert preview.status_code == 200 and "received by mail on" in preview.get_data(as_text=True)
    assert client.get(f"/admin/audit/cases/{case.id}").status_code == 200  # the case's access history


def test_the_same_mail_fetched_twice_is_stored_once(case):
    ours = sent_on(case)
    mail = reply(in_reply_to=ours.message_id, files=(("a.pdf", "application/pdf", PDF),))
    assert receive(mail, mail) == ["matched", "duplicate"]
    assert db.session.query(Message).filter_by(direction="inbound").count() == 1
    assert db.session.query(CaseDocument).count() == 1
    assert db.session.query(Notification).filter_by(kind="reply_received").count() == 1


def test_a_mail_without_message_id_gets_one_made_from_its_bytes_so_a_refetch_is_still_stored_once(case):
    mail = reply(message_id=None, in_reply_to=sent_on(case).message_id)
    assert receive(mail, mail) == ["matched", "duplicate"]
    message = db.session.scalar(select(Message).where(Message.direction == "inbound"))
    assert message.message_id.endswith("@received.invalid>")


BROKEN = [
    # a multipart without its boundary, a charset that does not exist, no From, a header of 200 KB, 8-bit garbage
    b"From: a@example.test\r\nMessage-ID: <broken-1@example.test>\r\nContent-Type: multipart/mixed\r\n\r\nno parts\r\n",
    b"From: b@example.test\r\nMessage-ID: <broken-2@example.test>\r\nSubject: =?x-unknown?Q?Hallo?=\r\n"
    b"Content-Type: text/plain; charset=x-klingon\r\n\r\n\xff\xfe caf\xe9\r\n",
    b"Subject: nobody wrote this\r\nMessage-ID: <broken-3@example.test>\r\n\r\nbody\r\n",
    b"From: c@example.test\r\nMessage-ID: <broken-4@example.test>\r\nX-Long: " + b"a" * 200_000 + b"\r\n\r\nbody\r\n",
    b"\x00\x01\x02 not a mail at all \xff\r\n\r\n",
]


def test_broken_mail_is_stored_as_well_as_possible_and_does_not_stop_the_others(case, users):
    ours = sent_on(case)
    outcomes = receive(*BROKEN, reply(in_reply_to=ours.message_id))
    assert outcomes[-1] == "matched" and all(outcome == "unmatched" for outcome in outcomes[:-1])
    nobody = inbound("<broken-3@example.test>")
    assert nobody.from_address == "" and "names no sender" in nobody.last_error
    assert "caf" in inbound("<broken-2@example.test>").body_text


def test_a_mail_that_cannot_be_stored_is_skipped_with_its_reason_and_the_next_one_is_taken(case, monkeypatch):
    ours = sent_on(case)
    real_parse = receiving.parse

    def parse(content, **kwargs):
        if b"poison" in content:
            raise RuntimeError("the parser gave up")
        return real_parse(content, **kwargs)

    monkeypatch.setattr(receiving, "parse", parse)
    poison = reply(message_id="<poison@example.test>", body="poison")
    assert receive(poison, reply(in_reply_to=ours.message_id)) == ["skipped", "matched"]
    skipped = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.skipped"))
    assert "the parser gave up" in skipped.details["error"]


def test_a_mail_above_the_size_limit_is_kept_as_its_header_with_a_note(case, imap_server, app, monkeypatch):
    ours = sent_on(case)
    monkeypatch.setattr(receiving, "MAX_MAIL_BYTES", 20_000)
    change_settings(monkeypatch, app, imap_url=imap_server.url)
    imap_server.deliver(reply(in_reply_to=ours.message_id, files=(("big.pdf", "application/pdf", PDF * 500),)))
    assert receiving.fetch_replies() == {"matched": 1}
    message = inbound()
    assert message.case_id == case.id and "above the limit" in message.body_text
    assert "too large" in message.last_error and db.session.query(CaseDocument).count() == 0


def test_the_fetch_job_reads_the_imap_mailbox_and_marks_each_mail_done(case, imap_server, app, monkeypatch):
    ours = sent_on(case)
    change_settings(monkeypatch, app, imap_url=imap_server.url)
    imap_server.deliver(reply(in_reply_to=ours.message_id))
    imap_server.deliver(BROKEN[0])
    imap_server.deliver(reply(message_id="<other@example.test>", subject="Newsletter"))
    assert receiving.fetch_replies() == {"matched": 1, "unmatched": 2}
    assert receiving.fetch_replies() == {}  # all marked done: nothing comes twice
    client = imap_server.client()
    client.select("INBOX")
    assert client.uid("SEARCH", "UNSEEN")[1] == [b""]
    client.logout()


def test_without_imap_url_outside_development_nothing_is_fetched(app, monkeypatch):
    change_settings(monkeypatch, app, imap_url="")
    assert receiving.fetch_replies() == {"outcome": "no mailbox (IMAP_URL is not set)"}


def test_a_mailbox_that_cannot_be_reached_is_tried_again_later(app, monkeypatch):
    change_settings(monkeypatch, app, imap_url=f"imap://u:p@127.0.0.1:{free_port()}/INBOX")
    with pytest.raises(TransientJobError):
        receiving.fetch_replies()


def test_when_the_database_is_away_the_mail_stays_unseen_for_the_next_run(case, app, monkeypatch, tmp_path):
    change_settings(monkeypatch, app, app_env="development", imap_url="", local_mailbox_dir=tmp_path)
    (tmp_path / "new").mkdir(parents=True)
    (tmp_path / "new" / "00000000000000000001.1.0.eml").write_bytes(reply(in_reply_to=sent_on(case).message_id))

    def database_away(content, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(receiving, "parse", database_away)
    with pytest.raises(OperationalError):
        receiving.fetch_replies()
    monkeypatch.undo()
    change_settings(monkeypatch, app, app_env="development", imap_url="", local_mailbox_dir=tmp_path)
    assert receiving.fetch_replies() == {"matched": 1}
