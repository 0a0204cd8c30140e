"""Send jobs in batches: the dispatcher gives a worker up to BATCH_SIZE due send jobs at once, and their messages go
out over one SMTP connection, each still once, with its own retry or failure."""

from __future__ import annotations

import time

import pytest
from rq.job import Job
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.jobs import get_queue, make_worker, redis_connection
from backoffice.jobs.models import OutboxEntry
from backoffice.jobs.outbox import BATCH_RUNNER, dispatch
from backoffice.jobs.runner import run_batch
from backoffice.messages import operations, sending
from backoffice.messages.models import Message
from tests.helpers import change_settings
from tests.invoicing.concurrency import after_the_check, at_once
from tests.messages.conftest import Inbox, send_job
from tests.servers import free_port


class CountingInbox(Inbox):
    """Also notes over which connection (the client's address and port) each message came."""

    def __init__(self) -> None:
        super().__init__()
        self.connections: list[tuple] = []

    async def handle_DATA(self, server, session, envelope):
        self.connections.append(tuple(session.peer))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def counting(smtp):
    smtp.stop()
    smtp.inbox = CountingInbox()
    smtp.start()
    return smtp


def queue_messages(*addresses: str) -> list[int]:
    ids = [
        operations.queue_message(kind="manual", to=[address], subject="Your appointment", body_text="Confirmed.\n").id
        for address in addresses
    ]
    db.session.commit()
    return ids


def entries(ids: list[int]) -> list[int]:
    return [send_job(number).id for number in ids]


def state_of(number: int) -> str:
    db.session.expire_all()
    return db.session.get(Message, number).state


def test_one_batch_delivers_its_messages_over_one_connection_each_exactly_once(counting):
    ids = queue_messages(*(f"patient-{n}@example.org" for n in range(5)))
    sent_as = {db.session.get(Message, number).message_id for number in ids}

    run_batch(entries(ids))
    run_batch(entries(ids))  # the same batch again (sent again after a lease ran out): nothing goes out twice

    assert {mail["Message-ID"] for mail in counting.inbox.messages()} == sent_as
    assert len(counting.inbox.received) == 5
    assert len(set(counting.inbox.connections)) == 1
    assert [state_of(number) for number in ids] == ["sent"] * 5
    assert {send_job(number).state for number in ids} == {"done"}


def test_the_dispatcher_gives_a_worker_the_due_send_jobs_as_one_batch(app, counting):
    ids = queue_messages(*(f"patient-{n}@example.org" for n in range(3)))

    assert dispatch() == 3
    (job_id,) = get_queue().job_ids
    job = Job.fetch(job_id, connection=redis_connection())
    assert job.func_name == BATCH_RUNNER and job.args == (entries(ids),)
    make_worker(app).work(burst=True)  # a forked work horse, as in production

    assert [state_of(number) for number in ids] == ["sent"] * 3
    assert len(counting.inbox.received) == 3 and len(set(counting.inbox.connections)) == 1


def test_a_recipient_refused_inside_a_batch_does_not_stop_the_others(counting):
    counting.inbox.refuse["nobody@example.org"] = "550 5.1.1 no such mailbox"
    counting.inbox.refuse["busy@example.org"] = "450 4.2.1 mailbox busy, try later"
    counting.inbox.refuse["closing@example.org"] = "421 4.3.2 closing the connection"  # and the client hangs up
    ids = queue_messages(
        "first@example.org", "nobody@example.org", "busy@example.org", "closing@example.org", "last@example.org"
    )

    run_batch(entries(ids))

    _first, nobody, busy, closing, _last = ids
    assert [state_of(number) for number in ids] == ["sent", "failed", "queued", "queued", "sent"]
    assert send_job(nobody).state == "failed"  # 5xx: failed for good, no retry
    assert send_job(busy).state == "pending" and send_job(busy).attempts == 1  # 4xx: retried after its backoff
    assert send_job(closing).state == "pending"
    assert [mail["To"] for mail in counting.inbox.messages()] == ["first@example.org", "last@example.org"]


def test_a_batch_that_cannot_reach_the_server_defers_every_message_without_waiting_for_each(app, monkeypatch):
    change_settings(monkeypatch, app, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    ids = queue_messages(*(f"patient-{n}@example.org" for n in range(4)))

    run_batch(entries(ids))

    assert [state_of(number) for number in ids] == ["queued"] * 4
    assert {(send_job(number).state, send_job(number).attempts) for number in ids} == {("pending", 1)}
    assert "not tried again in this batch" in db.session.get(Message, ids[-1]).last_error


@pytest.mark.postgresql_only
def test_two_workers_running_overlapping_batches_at_once_send_each_message_once(app, counting, monkeypatch):
    ids = queue_messages(*(f"patient-{n}@example.org" for n in range(6)))
    rows = entries(ids)
    db.session.remove()
    after_the_check(monkeypatch, sending, "build_email")  # each batch waits, past its first check, for the other

    outcomes = at_once(app, {"first": lambda: run_batch(rows), "second": lambda: run_batch(list(reversed(rows)))})

    assert sorted(outcomes.values()) == ["stored", "stored"], outcomes
    assert len(counting.inbox.received) == 6
    assert sorted(mail["To"] for mail in counting.inbox.messages()) == sorted(
        f"patient-{n}@example.org" for n in range(6)
    )
    assert db.session.scalars(select(Message.attempts).where(Message.id.in_(ids))).all() == [1] * 6


def test_a_slow_batch_runs_no_message_after_half_its_lease_and_leaves_the_rest_to_be_sent_again(
    app, counting, monkeypatch
):
    change_settings(monkeypatch, app, job_lease_seconds=2)
    ids = queue_messages(*(f"patient-{n}@example.org" for n in range(3)))
    build = sending.build_email

    def slow_first(message):
        if message.id == ids[0]:
            time.sleep(1.2)  # a slow server, say: past half the lease
        return build(message)

    monkeypatch.setattr(sending, "build_email", slow_first)
    rows = entries(ids)
    for row in rows:
        send_job_row = db.session.get(OutboxEntry, row)
        send_job_row.state = "enqueued"  # as the dispatcher left them
    db.session.commit()

    run_batch(rows)

    assert [state_of(number) for number in ids] == ["sent", "queued", "queued"]
    assert {send_job(number).state for number in ids[1:]} == {"enqueued"}  # sent again when their lease runs out
