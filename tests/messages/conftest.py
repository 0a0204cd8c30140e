"""A real SMTP server (aiosmtpd) on 127.0.0.1 for each test that sends mail; the app's SMTP_URL points at it."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.jobs import get_queue
from backoffice.jobs.models import OutboxEntry
from backoffice.jobs.runner import run_entry
from tests.helpers import change_settings
from tests.servers import free_port

# The storage on both backends (`storage`: the local folders, then a real S3 API server), for the files messages keep.
from tests.storage.conftest import local_storage, s3, s3_storage, storage  # noqa: F401


class Inbox:
    """What the server received, in order; `refuse` makes it answer RCPT TO for an address with that code."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope.content)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(content, policy=email.policy.default) for content in self.received]


class SmtpServer:
    """An SMTP server that can be stopped (the mail server down) and started again on the same port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.inbox = Inbox()
        self.host = host
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app, monkeypatch):
    server = SmtpServer()
    server.start()
    change_settings(monkeypatch, app, smtp_url=server.url)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _empty_queue(app):
    """Jobs sent to RQ by one test must not run in another (rows are deleted between tests, the queue is not)."""
    get_queue().empty()
    yield
    get_queue().empty()


def send_job(message_id: int) -> OutboxEntry:
    """The outbox row of message `message_id`'s send job, read afresh."""
    db.session.expire_all()
    return db.session.scalar(select(OutboxEntry).where(OutboxEntry.key == f"message:{message_id}"))


def run_send_job(message_id: int) -> dict:
    """Run the message's send job as a worker would (the runner, by the outbox row's id)."""
    result = run_entry(send_job(message_id).id)
    db.session.expire_all()
    return result
