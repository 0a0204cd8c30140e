"""Portal links reach the patient by mail only: these tests read them from what a real SMTP server received."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.messages.models import Message
from tests.messages.conftest import _empty_queue, run_send_job, smtp  # noqa: F401  (fixtures)

LINK = re.compile(r"http://localhost/invite/([A-Za-z0-9_-]+)")


class Mailbox:
    """The patient's inbox: the mails the SMTP server received, and the token of the newest portal link."""

    def __init__(self, app, server) -> None:
        self.app = app
        self.server = server

    def messages(self):
        """Every mail sent so far: the queued ones are sent first, by their send jobs (as a worker would)."""
        for message_id in db.session.scalars(select(Message.id).where(Message.state == "queued")).all():
            run_send_job(message_id)
        return self.server.inbox.messages()

    def newest_token(self) -> str | None:
        mails = self.messages()
        match = LINK.search(mails[-1].get_content()) if mails else None
        return match.group(1) if match else None


@pytest.fixture
def mailbox(app, smtp):  # noqa: F811
    return Mailbox(app, smtp)
