"""Outgoing mail under load and faults: a burst of queued messages, and what the SMTP server received of them.

Shared by the mail fault tests (tests/faults/test_outgoing_mail_faults.py) and the mail benchmark
(tests/benchmarks/bench_mail.py). The server is tests/messages/conftest.py's `SmtpServer` (aiosmtpd, in this
process); the messages go through the real path: `queue_message` (the row and its outbox job), the dispatcher and
worker processes of tests/shipments/processes.py, `messages.send`, the mailer.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select

from backoffice.config import Settings
from backoffice.extensions import db
from backoffice.jobs.models import OutboxEntry
from backoffice.messages import operations
from backoffice.messages.models import Message
from tests.messages.conftest import Inbox


def queue_burst(count: int, *, batch: str = "burst") -> list[int]:
    """`count` messages to `count` patients, queued and committed at once (a burst: one commit, as a bulk action
    would); returns their row ids."""
    ids = []
    for n in range(count):
        message = operations.queue_message(
            kind="manual",
            to=[recipient(batch, n)],
            subject=f"Your appointment is confirmed ({n + 1} of {count})",
            body_text="Dear patient,\n\nyour appointment at the hospital is confirmed.\n\nYour care team\n",
            counterpart="patient",
        )
        ids.append(message.id)
    db.session.commit()
    return ids


def recipient(batch: str, n: int) -> str:
    return f"{batch}-{n}@patients.example.org"


def message_ids(ids: list[int]) -> dict[int, str]:
    """Row id -> the Message-ID it was given when queued (the one every attempt sends)."""
    rows = db.session.execute(select(Message.id, Message.message_id).where(Message.id.in_(ids))).all()
    db.session.rollback()
    return dict(rows)


def states(ids: list[int]) -> Counter[str]:
    rows = db.session.execute(
        select(Message.state, func.count()).where(Message.id.in_(ids)).group_by(Message.state)
    ).all()
    db.session.rollback()  # no snapshot or lock held while the processes work
    return Counter(dict(rows))


def attempts(ids: list[int]) -> Counter[int]:
    """How many messages took how many attempts (each attempt that reached the mailer counts)."""
    rows = db.session.execute(
        select(Message.attempts, func.count()).where(Message.id.in_(ids)).group_by(Message.attempts)
    ).all()
    db.session.rollback()
    return Counter(dict(rows))


def every_one_tried(ids: list[int]) -> Callable[[], bool]:
    def every_message_tried_at_least_once() -> bool:
        tried = db.session.scalar(select(func.count()).where(Message.id.in_(ids), Message.attempts > 0))
        db.session.rollback()
        return tried == len(ids)

    return every_message_tried_at_least_once


def settled(ids: list[int]) -> Callable[[], bool]:
    """Every message sent or failed, and no send job left to run."""

    def every_message_settled_and_no_send_job_left() -> bool:
        if states(ids).get("queued"):
            return False
        waiting = db.session.scalar(
            select(func.count()).where(
                OutboxEntry.job == operations.SEND_JOB, OutboxEntry.state.in_(("pending", "enqueued"))
            )
        )
        db.session.rollback()
        return waiting == 0

    return every_message_settled_and_no_send_job_left


def received(inbox: Inbox) -> Counter[str]:
    """Message-ID -> how many copies the server received."""
    return Counter(mail["Message-ID"] for mail in inbox.messages())


def send_jobs(ids: list[int]) -> dict[str, int]:
    """The send jobs of these messages: how many, by state, and how often the dispatcher sent them in all."""
    keys = [f"message:{number}" for number in ids]
    rows = db.session.execute(
        select(OutboxEntry.state, func.count(), func.sum(OutboxEntry.dispatches), func.sum(OutboxEntry.attempts))
        .where(OutboxEntry.key.in_(keys))
        .group_by(OutboxEntry.state)
    ).all()
    db.session.rollback()
    return {
        **{f"jobs {state}": count for state, count, _sends, _retries in rows},
        "sends to a worker": sum(sends or 0 for *_rest, sends, _retries in rows),
        "runs that met a transient error": sum(retries or 0 for *_rest, retries in rows),
    }


def production_default(name: str) -> str:
    """A setting's value in production (README's Configuration table), for a test that runs with production's timing."""
    default = next(item for item in dataclasses.fields(Settings) if item.name == name).metadata["default"]
    return default.get("production", default["*"]) if isinstance(default, dict) else default
