"""A case's thread: every message sent and received, newest first, on the case page and its timeline; one message's
page, its HTML only in a sandbox; read by those who read health data, each read recorded."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from backoffice.cases import history
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.messages import operations
from backoffice.messages.models import Message, MessageAttachment
from backoffice.messages.operations import OutgoingAttachment
from backoffice.trail import HEALTH_DATA_READ, AuditEvent
from tests.messages.factories import MRI, make_received, make_writing_case

HOSTILE_HTML = '<p>Thanks!</p><img src="https://tracker.example/pixel.gif"><script>alert(1)</script>'


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def world(users):
    return make_writing_case(users["coordinator"])


def queue_to_patient(world, actor, *, subject="Your trip", files=()):
    message = operations.queue_message(
        kind="manual",
        to=[world.patient.email],
        subject=subject,
        body_text="Here it is.\n",
        case_id=world.case.id,
        actor_id=actor.id,
        counterpart="patient",
        attachments=files,
    )
    db.session.commit()
    return message


def test_the_thread_lists_sent_and_received_messages_newest_first_with_state_and_files(as_role, users, world):
    sent = queue_to_patient(
        world, users["coordinator"], files=[OutgoingAttachment("mri.pdf", "application/pdf", MRI, health_data=True)]
    )
    sent.created_at = utcnow() - timedelta(hours=2)
    failed = queue_to_patient(world, users["coordinator"], subject="Second try")
    failed.state, failed.created_at = "failed", utcnow() - timedelta(hours=1)
    db.session.commit()
    received = make_received(world.case.id, subject="Re: Your trip")
    html = page(as_role("coordinator").get(f"/cases/{world.case.id}"))
    thread = html[html.index('id="thread"') :]
    assert thread.index("Re: Your trip") < thread.index("Second try") < thread.index(">Your trip</a>")
    assert 'Carl Coordinator</span> → <span dir="auto">layla@mail.example' in thread
    assert ">Queued<" in thread and ">Failed<" in thread and ">Received<" in thread
    assert "mri.pdf" in thread and ">New<" in thread
    assert f"/cases/{world.case.id}/messages/{received.id}" in thread


def test_opening_a_received_message_marks_it_read_once(as_role, world):
    received = make_received(world.case.id)
    client = as_role("coordinator")
    response = client.get(f"/cases/{world.case.id}/messages/{received.id}")
    assert response.status_code == 200 and "I land at 10:40." in page(response)
    db.session.expire_all()
    first = db.session.get(Message, received.id).read_at
    assert first is not None
    client.get(f"/cases/{world.case.id}/messages/{received.id}")
    db.session.expire_all()
    assert db.session.get(Message, received.id).read_at == first
    case_page = page(client.get(f"/cases/{world.case.id}"))
    assert ">New<" not in case_page[case_page.index('id="thread"') :]


def test_opening_a_sent_message_marks_nothing(as_role, users, world):
    sent = queue_to_patient(world, users["coordinator"])
    assert as_role("coordinator").get(f"/cases/{world.case.id}/messages/{sent.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(Message, sent.id).read_at is None


def test_received_html_is_shown_only_in_a_sandboxed_frame_that_loads_nothing(as_role, world):
    received = make_received(world.case.id, body_html=HOSTILE_HTML)
    client = as_role("coordinator")
    message_page = page(client.get(f"/cases/{world.case.id}/messages/{received.id}"))
    assert (
        f'<iframe class="preview-frame" sandbox src="/cases/{world.case.id}/messages/{received.id}/html"'
        in message_page
    )
    assert "tracker.example" not in message_page and "<script>alert" not in message_page
    frame = client.get(f"/cases/{world.case.id}/messages/{received.id}/html")
    assert frame.status_code == 200 and frame.mimetype == "text/html"
    csp = frame.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "frame-ancestors 'self'" in csp
    assert frame.headers["X-Content-Type-Options"] == "nosniff"


def test_a_message_without_html_has_no_frame(as_role, world):
    received = make_received(world.case.id)
    client = as_role("coordinator")
    assert "<iframe" not in page(client.get(f"/cases/{world.case.id}/messages/{received.id}"))
    assert client.get(f"/cases/{world.case.id}/messages/{received.id}/html").status_code == 404


def test_a_sent_file_downloads_as_it_was_sent(as_role, users, world):
    sent = queue_to_patient(
        world, users["coordinator"], files=[OutgoingAttachment("Befund März.pdf", "application/pdf", MRI)]
    )
    file_id = db.session.scalar(select(MessageAttachment.id))
    response = as_role("coordinator").get(f"/cases/{world.case.id}/messages/{sent.id}/files/{file_id}")
    assert response.status_code == 200 and response.data == MRI
    assert "attachment;" in response.headers["Content-Disposition"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_another_cases_message_is_not_found_through_this_case(as_role, users, world):
    other = make_writing_case(users["admin"])
    foreign = make_received(other.case.id)
    client = as_role("coordinator")
    assert client.get(f"/cases/{world.case.id}/messages/{foreign.id}").status_code == 404
    assert client.get(f"/cases/{world.case.id}/messages/{foreign.id}/html").status_code == 404
    db.session.expire_all()
    assert db.session.get(Message, foreign.id).read_at is None


def test_finance_sees_no_thread_and_may_not_open_a_message(as_role, world):
    received = make_received(world.case.id, subject="My biopsy results")
    client = as_role("finance")
    case_page = page(client.get(f"/cases/{world.case.id}"))
    assert 'id="thread"' not in case_page and "My biopsy results" not in case_page
    assert client.get(f"/cases/{world.case.id}/messages/{received.id}").status_code == 403
    assert client.get(f"/cases/{world.case.id}/messages/{received.id}/html").status_code == 403


def test_reading_a_message_is_recorded_as_a_read_of_the_cases_health_data(as_role, users, world):
    received = make_received(world.case.id)
    as_role("admin").get(f"/cases/{world.case.id}/messages/{received.id}")
    db.session.expire_all()
    (read,) = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == HEALTH_DATA_READ, AuditEvent.details["endpoint"].as_string() == "messages.show_message"
        )
    ).all()
    assert read.actor_id == users["admin"].id and read.object_id == str(world.case.id)


def test_sent_messages_show_on_the_timeline_for_health_data_readers_only(as_role, users, world):
    queue_to_patient(world, users["coordinator"], subject="Your trip to Frankfurt")
    # a received one is on the timeline as the event its filing writes (tests/messages/test_receiving.py), once
    make_received(world.case.id, subject="Re: Your trip to Frankfurt")
    entries = [e for e in history.timeline(world.case.id, health_data=True) if e["type"] == "message"]
    assert [e["text"] for e in entries] == ["Your trip to Frankfurt"]
    assert entries[0]["label"] == "Mail to layla@mail.example (patient) · queued"
    assert not [e for e in history.timeline(world.case.id, health_data=False) if e["type"] == "message"]
    timeline = page(as_role("coordinator").get(f"/cases/{world.case.id}"))
    timeline = timeline[timeline.index('id="timeline"') :]
    assert "Mail to layla@mail.example" in timeline and "Your trip to Frankfurt</a>" in timeline


def test_the_thread_page_runs_a_fixed_number_of_statements(count_queries, users, world):
    from backoffice.messages.thread import case_thread

    for n in range(3):
        queue_to_patient(
            world,
            users["coordinator"],
            subject=f"Message {n}",
            files=[OutgoingAttachment("a.pdf", "application/pdf", MRI)],
        )
    case_id = world.case.id
    with count_queries() as few:
        assert len(case_thread(case_id)) == 3
    for n in range(12):
        make_received(world.case.id, subject=f"Reply {n}")
    db.session.expire_all()
    with count_queries() as many:
        assert len(case_thread(case_id)) == 15
    assert len(few) == len(many) == 3


def test_every_page_of_the_thread_and_of_writing_declares_its_health_data_read(app):
    from backoffice.auth.reads import declared_reads

    pages = [
        "messages.list_case_messages",
        "messages.show_message",
        "messages.message_html",
        "messages.download_message_file",
        "messages.compose_message",
        "messages.ask_physician",
        "messages.record_sharing_consent",
    ]
    assert [page for page in pages if declared_reads(app.view_functions[page]) is None] == []


def receive_many(case_id: int, count: int, *, first: int = 0) -> None:
    """`count` replies on the case, "Reply <n>" received n minutes after a fixed start (the higher, the newer)."""
    start = utcnow() - timedelta(days=1)
    for n in range(first, first + count):
        message = make_received(case_id, subject=f"Reply {n:02d}")
        message.received_at = start + timedelta(minutes=n)
    db.session.commit()


def test_the_case_page_shows_the_newest_twenty_messages_and_leads_to_the_older_ones(as_role, world):
    receive_many(world.case.id, 60)
    client = as_role("coordinator")
    html = page(client.get(f"/cases/{world.case.id}"))
    thread = html[html.index('id="thread"') :]
    thread = thread[: thread.index("</section>")]
    shown = [f"Reply {n:02d}" for n in range(60) if f"Reply {n:02d}<" in thread]
    assert shown == [f"Reply {n:02d}" for n in range(40, 60)]
    assert thread.index("Reply 59") < thread.index("Reply 40")
    assert f'href="/cases/{world.case.id}/messages">Older messages' in thread


def test_a_short_thread_has_no_link_to_older_messages(as_role, world):
    receive_many(world.case.id, 20)
    html = page(as_role("coordinator").get(f"/cases/{world.case.id}"))
    assert "Older messages" not in html


def test_all_of_a_cases_messages_are_listed_page_by_page_newest_first(as_role, world):
    receive_many(world.case.id, 60)
    client = as_role("coordinator")
    first = page(client.get(f"/cases/{world.case.id}/messages"))
    assert "Reply 59" in first and "Reply 10" in first and "Reply 09" not in first
    assert first.index("Reply 59") < first.index("Reply 10")
    assert "Page 1 of 2 · 60 in all" in first
    second = page(client.get(f"/cases/{world.case.id}/messages?page=2"))
    assert "Reply 09" in second and "Reply 00" in second and "Reply 10<" not in second


def test_finance_may_not_list_a_cases_messages(as_role, world):
    assert as_role("finance").get(f"/cases/{world.case.id}/messages").status_code == 403


@pytest.mark.parametrize("path", ["/cases/{case_id}", "/cases/{case_id}/messages"])
def test_the_case_page_and_its_messages_run_as_many_statements_with_60_messages_as_with_5(
    as_role, count_queries, world, path
):
    client = as_role("coordinator")
    url = path.format(case_id=world.case.id)
    receive_many(world.case.id, 5)
    client.get(url)  # anything loaded once per process is loaded
    with count_queries() as few:
        assert client.get(url).status_code == 200
    receive_many(world.case.id, 55, first=5)
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many)
