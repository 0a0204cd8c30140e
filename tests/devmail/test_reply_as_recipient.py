"""`make run` without IMAP_URL: a newcomer replies to a caught message as its recipient would, the catcher delivers
the reply to the local mailbox, and the fetch job puts it on the case, as a real reply would go."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice import mailer
from backoffice.extensions import db
from backoffice.mail_catcher import Catcher, list_caught
from backoffice.messages import receiving
from backoffice.messages.models import Message
from backoffice.messages.operations import queue_message
from backoffice.messages.sending import build_email
from tests.factories import make_case
from tests.helpers import change_settings


@pytest.fixture
def catcher(tmp_path, app, monkeypatch):
    """The catcher as `make run` starts it without IMAP_URL, and the app in development reading its mailbox."""
    running = Catcher(tmp_path / "caught-mail", port=0, mailbox=tmp_path / "mailbox", domain="medtravel.example")
    change_settings(
        monkeypatch,
        app,
        app_env="development",
        caught_mail_dir=running.directory,
        local_mailbox_dir=tmp_path / "mailbox",
        smtp_url=running.url,
        imap_url="",
    )
    yield running
    running.stop()


def test_only_mail_to_the_operators_domain_reaches_the_local_mailbox(catcher, tmp_path):
    for to in ("patient@example.test", "care+c1-0000000000000000@medtravel.example"):
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "x@example.test", to, f"To {to}"
        mail.set_content("Hello")
        with smtplib.SMTP("127.0.0.1", catcher.port, timeout=10) as smtp:
            smtp.send_message(mail)
    assert list_caught(catcher.directory).total == 2
    delivered = list((tmp_path / "mailbox" / "new").iterdir())
    assert len(delivered) == 1 and b"Subject: To care+c1-" in delivered[0].read_bytes()


def test_a_reply_as_the_recipient_lands_on_the_case(catcher, as_role, users):
    case = make_case(coordinator=users["coordinator"])
    message = queue_message(
        kind="manual", to=["patient@example.test"], subject="Your dates", body_text="Hello", case_id=case.id
    )
    db.session.commit()
    stored = db.session.scalar(
        select(Message).where(Message.id == message.id).options(selectinload(Message.attachments))
    )
    mailer.send_message(build_email(stored), catcher.url)
    caught = list_caught(catcher.directory).items[0]
    client = as_role("admin")
    assert "Reply as the recipient" in client.get(f"/dev/mail/{caught.name}").get_data(as_text=True)
    answer = client.post(f"/dev/mail/{caught.name}/reply")
    assert answer.status_code == 302
    assert receiving.fetch_replies() == {"matched": 1}
    reply = db.session.scalar(select(Message).where(Message.direction == "inbound"))
    assert (reply.case_id, reply.matched_by, reply.from_address) == (case.id, "in_reply_to", "patient@example.test")
    assert reply.subject == "Re: Your dates" and reply.in_reply_to == stored.message_id
    assert receiving.fetch_replies() == {}  # taken once
