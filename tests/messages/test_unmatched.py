"""The unmatched list: mail that matched no case waits for those who read health data, who open it (its HTML only
in a sandbox), assign it to its case by number (its files filed, the coordinator told) or discard it with a reason."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.cases.models import CaseDocument, CaseEvent
from backoffice.extensions import db
from backoffice.messages.attachments import read_kept
from backoffice.messages.models import Message, MessageAttachment
from backoffice.notifications.models import Notification
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_patient
from tests.helpers import login_as
from tests.messages.inbound import PDF, receive, reply

HTML = '<p>Please see my scan</p><img src="https://tracker.example/o.gif"><script>alert(1)</script>'


def waiting(**fields) -> Message:
    receive(reply(sender="new.address@example.test", subject="Scan for my case", html=HTML, **fields))
    return db.session.scalar(select(Message).where(Message.direction == "inbound"))


def test_mail_matching_no_case_tells_coordinators_and_administrators(users):
    message = waiting()
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "unmatched_mail")))
    assert told == {users["coordinator"].id, users["admin"].id}
    link = db.session.scalar(select(Notification.link).where(Notification.kind == "unmatched_mail"))
    assert link == f"/messages/unmatched/{message.id}"


def test_coordinators_see_the_list_with_sender_subject_and_a_count_in_the_menu(as_role):
    waiting()
    page = as_role("coordinator").get("/messages/unmatched").get_data(as_text=True)
    assert "new.address@example.test" in page and "Scan for my case" in page
    assert 'Unmatched mail <span class="badge">1</span>' in page


def test_finance_neither_sees_the_list_nor_its_menu_link(as_role):
    waiting()
    client = as_role("finance")
    assert client.get("/messages/unmatched").status_code == 403
    assert "Unmatched mail" not in client.get("/dashboard/").get_data(as_text=True)


def test_one_mail_shows_its_text_and_its_sanitised_html_only_in_a_sandbox(as_role):
    message = waiting()
    client = as_role("coordinator")
    page = client.get(f"/messages/unmatched/{message.id}").get_data(as_text=True)
    assert "Scan for my case" in page and "<script>alert" not in page and "tracker.example" not in page
    assert f'sandbox src="/messages/unmatched/{message.id}/html"' in page
    frame = client.get(f"/messages/unmatched/{message.id}/html")
    assert frame.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    assert "Please see my scan" in frame.get_data(as_text=True) and "<img" not in frame.get_data(as_text=True)


def test_assigning_a_mail_files_its_attachment_on_the_case_and_tells_the_coordinator(as_role, users):
    case = make_case(patient=make_patient(email="new.address@example.test"), coordinator=users["coordinator"])
    db.session.commit()
    message = waiting(files=(("scan.pdf", "application/pdf", PDF),))
    attachment = db.session.scalar(select(MessageAttachment))
    assert read_kept(attachment) == PDF and attachment.document_id is None  # waiting, its bytes in the store
    client = as_role("admin")
    assert client.get(f"/messages/unmatched/{message.id}/files/{attachment.id}").data == PDF
    answer = client.post(f"/messages/unmatched/{message.id}/assign", data={"case_number": case.number.lower()})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/cases/{case.id}")
    db.session.expire_all()
    message = db.session.get(Message, message.id)
    assert (message.case_id, message.matched_by, message.assigned_by_id) == (case.id, "staff", users["admin"].id)
    assert message.counterpart == "patient"
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.case_id == case.id))
    assert document.document_type == "received" and document.original_filename == "scan.pdf"
    attachment = db.session.get(MessageAttachment, attachment.id)
    assert attachment.document_id == document.id and not attachment.kept  # opened as the case document now
    notification = db.session.scalar(select(Notification).where(Notification.kind == "reply_received"))
    assert notification.user_id == users["coordinator"].id
    assert (
        db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "message_received")).actor_id == users["admin"].id
    )
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.assigned")) is not None
    assert client.get(f"/messages/unmatched/{message.id}").status_code == 404  # off the list


def test_assigning_to_a_case_that_does_not_exist_is_refused_and_the_mail_waits(as_role):
    message = waiting()
    answer = as_role("coordinator").post(f"/messages/unmatched/{message.id}/assign", data={"case_number": "C-1999-1"})
    assert answer.status_code == 422
    assert "There is no case C-1999-1" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Message, message.id).case_id is None


def test_discarding_needs_a_reason_and_keeps_the_mail_off_the_list(as_role, users):
    message = waiting()
    client = as_role("coordinator")
    refused = client.post(f"/messages/unmatched/{message.id}/discard", data={"reason": "  "})
    assert refused.status_code == 422 and "Say why the mail is discarded." in refused.get_data(as_text=True)
    assert client.post(f"/messages/unmatched/{message.id}/discard", data={"reason": "Advertising"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Message, message.id) is not None  # kept
    assert "Scan for my case" not in client.get("/messages/unmatched").get_data(as_text=True)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.discarded"))
    assert audit.details["reason"] == "Advertising" and audit.actor_id == users["coordinator"].id


def test_opening_an_unmatched_mail_marks_it_read_once_and_the_list_shows_which_are_new(as_role):
    message = waiting()
    client = as_role("coordinator")
    listing = client.get("/messages/unmatched").get_data(as_text=True)
    assert 'class="mail-unread"' in listing and ">New<" in listing
    assert client.get(f"/messages/unmatched/{message.id}").status_code == 200
    db.session.expire_all()
    first = db.session.get(Message, message.id).read_at
    assert first is not None
    client.get(f"/messages/unmatched/{message.id}")
    db.session.expire_all()
    assert db.session.get(Message, message.id).read_at == first
    listing = client.get("/messages/unmatched").get_data(as_text=True)
    assert 'class="mail-read"' in listing and ">New<" not in listing


def test_a_discarded_mail_keeps_who_when_and_why_and_is_found_among_the_discarded(as_role, users):
    message = waiting()
    client = as_role("coordinator")
    client.post(f"/messages/unmatched/{message.id}/discard", data={"reason": "Advertising for clinics"})
    db.session.expire_all()
    stored = db.session.get(Message, message.id)
    assert stored.discarded_at is not None and stored.discarded_by_id == users["coordinator"].id
    assert stored.discard_reason == "Advertising for clinics"
    listing = as_role("admin").get("/messages/unmatched?show=discarded").get_data(as_text=True)
    assert "Scan for my case" in listing and "Advertising for clinics" in listing and "Carl Coordinator" in listing
    page = as_role("admin").get(f"/messages/unmatched/{message.id}").get_data(as_text=True)
    assert 'id="discarded"' in page and "Advertising for clinics" in page and "Carl Coordinator" in page
    assert "Assign to a case" not in page


def test_finance_may_not_see_the_discarded_mail(as_role):
    waiting()
    assert as_role("finance").get("/messages/unmatched?show=discarded").status_code == 403


def test_a_discarded_mail_can_be_put_back_on_the_list_and_that_is_audited(as_role, users):
    message = waiting()
    client = as_role("coordinator")
    client.post(f"/messages/unmatched/{message.id}/discard", data={"reason": "Looked like spam"})
    assert client.post(f"/messages/unmatched/{message.id}/restore").status_code == 302
    db.session.expire_all()
    stored = db.session.get(Message, message.id)
    assert (stored.kind, stored.discarded_at, stored.discarded_by_id) == ("reply", None, None)
    assert stored.discard_reason == ""
    assert "Scan for my case" in client.get("/messages/unmatched").get_data(as_text=True)
    assert "Scan for my case" not in client.get("/messages/unmatched?show=discarded").get_data(as_text=True)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.restored"))
    assert audit.actor_id == users["coordinator"].id and audit.details["reason"] == "Looked like spam"


def test_restoring_a_mail_that_is_on_the_list_is_refused(as_role):
    message = waiting()
    answer = as_role("coordinator").post(f"/messages/unmatched/{message.id}/restore")
    assert answer.status_code == 422 and "on the unmatched list already" in answer.get_data(as_text=True)


def test_the_discarded_mail_list_runs_as_many_statements_for_many_mails_as_for_one(app, as_role, count_queries, users):
    client = as_role("coordinator")
    for n in range(12):
        receive(reply(sender=f"sender{n}@example.test", subject=f"Offer {n}", message_id=f"<offer-{n}@example.test>"))
    offers = db.session.scalars(select(Message).where(Message.direction == "inbound").order_by(Message.id)).all()
    client.post(f"/messages/unmatched/{offers[0].id}/discard", data={"reason": "Advertising"})
    client.get("/messages/unmatched?show=discarded")
    with count_queries() as few:
        client.get("/messages/unmatched?show=discarded")
    admin = app.test_client()
    login_as(admin, users["admin"])
    for n, offer in enumerate(offers[1:]):
        (admin if n % 2 else client).post(f"/messages/unmatched/{offer.id}/discard", data={"reason": "Advertising"})
    with count_queries() as many:
        page = client.get("/messages/unmatched?show=discarded").get_data(as_text=True)
    assert page.count("Advertising") == 12
    assert len(few) == len(many)
