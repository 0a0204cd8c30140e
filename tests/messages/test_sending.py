"""Sending a queued message through a real SMTP server: once, with its Message-ID, whatever the server does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.config import load_settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.runner import GaveUp
from backoffice.messages import operations, sending
from backoffice.messages.models import Message
from backoffice.trail import AuditEvent
from tests.helpers import PRODUCTION, change_settings
from tests.invoicing.concurrency import after_the_check, at_once
from tests.messages.conftest import run_send_job, send_job


def queued(**changes) -> Message:
    fields = {
        "kind": "manual",
        "to": ["layla.haddad@example.org"],
        "cc": ["family@example.net"],
        "subject": "Your appointment in Frankfurt — Termin",
        "body_text": "Dear Layla,\n\nyour appointment is confirmed. Привет, مرحبا, 你好.\n",
        "language": "en",
    }
    fields.update(changes)
    message = operations.queue_message(**fields)
    db.session.commit()
    return message


def test_a_queued_message_is_delivered_once_with_its_message_id_subject_and_body(smtp):
    message = queued()
    message_id, number = message.message_id, message.id

    assert run_send_job(number)["outcome"] == "sent"

    (mail,) = smtp.inbox.messages()
    assert mail["Message-ID"] == message_id and message_id.endswith("@medtravel.example>")
    assert mail["Subject"] == "Your appointment in Frankfurt — Termin"
    assert mail["To"] == "layla.haddad@example.org" and mail["Cc"] == "family@example.net"
    assert "care@medtravel.example" in mail["From"]
    assert "Привет, مرحبا, 你好." in mail.get_content()
    stored = db.session.get(Message, number)
    assert stored.state == "sent" and stored.sent_at is not None and stored.attempts == 1
    assert send_job(number).state == "done"


def test_running_the_send_job_twice_sends_once(smtp):
    number = queued().id
    run_send_job(number)
    send_job(number).state = "enqueued"  # the dispatcher sent it again (a lease ran out), the row unchanged
    db.session.commit()

    assert run_send_job(number)["outcome"] == "already sent"
    assert len(smtp.inbox.received) == 1


def test_while_the_smtp_server_is_down_the_message_stays_queued_and_a_later_run_delivers_it_once(smtp):
    message = queued()
    number, message_id = message.id, message.message_id
    smtp.stop()

    assert run_send_job(number)["outcome"] == "retry"
    stored = db.session.get(Message, number)
    assert stored.state == "queued" and stored.attempts == 1 and "127.0.0.1" in stored.last_error
    assert send_job(number).state == "pending"

    smtp.start()
    assert run_send_job(number)["outcome"] == "sent"
    assert [mail["Message-ID"] for mail in smtp.inbox.messages()] == [message_id]
    assert db.session.get(Message, number).state == "sent"


def test_a_message_whose_server_stays_down_fails_after_the_last_attempt(smtp, app, monkeypatch):
    number = queued().id
    smtp.stop()
    for _ in range(3):  # MAIL_MAX_ATTEMPTS in tests
        try:
            run_send_job(number)
        except Exception as error:  # the runner fails the RQ job after the last attempt, for the admin page
            assert "gave up" in str(error)
    stored = db.session.get(Message, number)
    assert stored.state == "failed" and "gave up after 3 attempts" in stored.last_error
    assert send_job(number).state == "failed"


def test_mail_waits_for_its_server_on_mail_s_own_schedule_not_the_jobs_minutes(smtp, app, monkeypatch):
    # Jobs that call a provider give up within minutes; a message waits as mail servers wait for each other.
    change_settings(
        monkeypatch,
        app,
        job_retry_backoff_seconds=(30,),
        job_max_attempts=2,
        mail_retry_backoff_seconds=(60, 300, 3600),
        mail_max_attempts=5,
    )
    number = queued().id
    smtp.stop()
    waits = []
    for _ in range(4):
        before = utcnow()
        assert run_send_job(number)["outcome"] == "retry"
        row = send_job(number)
        waits.append(round((row.available_at - before).total_seconds() / 60))
        row.available_at = utcnow()  # due again now (the test does not wait an hour)
        db.session.commit()
    assert waits == [1, 5, 60, 60]  # minutes: the schedule, its last wait repeating
    assert db.session.get(Message, number).state == "queued"
    with pytest.raises(GaveUp, match="gave up after 5 attempts"):
        run_send_job(number)
    assert db.session.get(Message, number).state == "failed"


def test_production_gives_a_mail_server_about_twenty_hours():
    production = load_settings(PRODUCTION)
    steps, attempts = production.mail_retry_backoff_seconds, production.mail_max_attempts
    waited = sum(steps[min(n, len(steps) - 1)] for n in range(attempts - 1))
    assert 18 * 3600 <= waited <= 24 * 3600
    assert production.job_max_attempts == 3  # a provider's call still gives up within minutes


def test_a_recipient_the_server_refuses_for_good_fails_the_message_without_retry(smtp):
    smtp.inbox.refuse["nobody@example.org"] = "550 5.1.1 no such mailbox"
    number = queued(to=["nobody@example.org"], cc=[]).id

    assert run_send_job(number)["outcome"] == "failed"
    stored = db.session.get(Message, number)
    assert stored.state == "failed" and "550" in stored.last_error
    assert smtp.inbox.received == []


def test_a_recipient_the_server_defers_keeps_the_message_queued(smtp):
    smtp.inbox.refuse["busy@example.org"] = "450 4.2.1 mailbox busy, try later"
    number = queued(to=["busy@example.org"], cc=[]).id

    assert run_send_job(number)["outcome"] == "retry"
    assert db.session.get(Message, number).state == "queued"


def test_every_message_is_in_the_audit_trail_with_its_recipients_and_kind(smtp):
    number = queued().id
    run_send_job(number)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "message", AuditEvent.object_id == str(number))
        .order_by(AuditEvent.id)
    ).all()
    assert [event.action for event in events] == ["message.queued", "message.sent"]
    for event in events:
        assert event.details["kind"] == "manual"
        assert "layla.haddad@example.org" in (event.details.get("to") or [])


@pytest.mark.postgresql_only
def test_two_runs_of_the_send_job_at_the_same_moment_send_once(app, smtp, monkeypatch):
    number = queued().id
    db.session.remove()
    after_the_check(monkeypatch, sending, "build_email")  # each run waits, past its check, for the other

    outcomes = at_once(
        app, {"first": lambda: sending.send_message(number), "second": lambda: sending.send_message(number)}
    )

    assert sorted(outcomes.values()) == ["stored", "stored"], outcomes
    assert len(smtp.inbox.received) == 1
    assert db.session.get(Message, number).attempts == 1


def test_a_message_with_html_goes_out_as_text_and_html_alternatives(smtp):
    number = queued(body_html="<p>Dear Layla,</p><p>your appointment is confirmed.</p>").id
    run_send_job(number)
    (mail,) = smtp.inbox.messages()
    assert mail.get_content_type() == "multipart/alternative" and mail["Content-Language"] == "en"
    assert "your appointment is confirmed" in mail.get_body(("plain",)).get_content()
    assert "<p>Dear Layla,</p>" in mail.get_body(("html",)).get_content()
