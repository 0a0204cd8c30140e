"""Outgoing mail survives a mail server that refuses and goes away, and workers killed with -9 in mid-send.

Real processes on the real path: messages queued by `queue_message` (the row and its outbox job), the dispatcher and
RQ worker processes production runs (tests/shipments/processes.py), the `messages.send` job and the mailer speaking
SMTP to an aiosmtpd server in this process, which counts what it received by Message-ID.

1. A burst of 100 messages while the server answers 421 and then is down, then back: every message delivered once
   (100 Message-IDs at the server, one copy each), every row `sent`. In `make test` the outage is short (about 4 s
   from the first refusal, and at least until every message met a refusal) and the retries come 1-2 s apart with
   room for many attempts: what it proves is that retrying loses and duplicates nothing. `make evidence` runs it with
   FAULTS_MAIL_OUTAGE_SECONDS=60 and production's own retry settings for mail (MAIL_RETRY_BACKOFF_SECONDS
   60,300,900,1800,3600; MAIL_MAX_ATTEMPTS 24): a one-minute outage costs no message.
2. The worker killed with -9 while it is inside the SMTP conversation: before the server took the message (at RCPT),
   after the server took the data but before it answered 250, and after the 250, at the conversation's next command
   (the next message's MAIL FROM, or QUIT: the send jobs of a batch share one connection, and each message's row is
   marked sent before the conversation goes on). Delivery is at least once, never lost: a job killed before its row
   was marked runs again after its lease and sends the message again with the SAME Message-ID. Asserted exactly:
   every message's Message-ID arrived; the message whose worker was killed after the server took the data but
   before its 250 arrived twice, byte for byte the same mail (a receiver drops the second copy by its Message-ID);
   every other message arrived once (the one killed after its 250 too: its row was sent already); no other mail
   arrived; every row is `sent`.
"""

from __future__ import annotations

import asyncio
import os
import queue
import time
from collections import Counter

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.messages.models import Message
from tests.faults.mail import (
    attempts,
    every_one_tried,
    message_ids,
    production_default,
    queue_burst,
    received,
    recipient,
    send_jobs,
    settled,
    states,
)
from tests.messages.conftest import Inbox, SmtpServer
from tests.shipments.processes import Fleet, wait_for
from tests.shipments.test_faults import clean_queue  # noqa: F401 - the fixture, used below
from tests.tools.evidence import record

pytestmark = pytest.mark.usefixtures("clean_queue")  # no job left in RQ for the next test

BURST = 100
WORKERS = 2  # two at once: a message must not go out twice because two workers took it
FULL_OUTAGE = "FAULTS_MAIL_OUTAGE_SECONDS" in os.environ
OUTAGE_SECONDS = float(os.environ.get("FAULTS_MAIL_OUTAGE_SECONDS", 4))
if FULL_OUTAGE:  # production's retry timing for mail: the waits between attempts, and the number of attempts
    RETRIES = {
        "MAIL_RETRY_BACKOFF_SECONDS": production_default("mail_retry_backoff_seconds"),
        "MAIL_MAX_ATTEMPTS": production_default("mail_max_attempts"),
    }
else:
    RETRIES = {"MAIL_RETRY_BACKOFF_SECONDS": "1,2", "MAIL_MAX_ATTEMPTS": 40}
REFUSAL = "421 4.3.2 Service not available, try again later"

KILLED_MESSAGES = 12
HOLD_SECONDS = 10  # the server holds the chosen conversation this long; the worker is killed meanwhile
# Which message's conversation is held where (the worker is killed then), in the order the worker reaches them.
KILL_PLAN = {2: "rcpt", 5: "data", 8: "after"}
TAKEN_BY_THE_SERVER = ("data",)  # the server has the message and the row is not marked sent: it arrives twice


@pytest.fixture
def mail_server():
    server = SmtpServer()
    yield server
    server.stop()


def _seconds(since: float) -> float:
    return round(time.monotonic() - since, 1)


def test_a_burst_sent_while_the_mail_server_refuses_and_then_is_down_is_delivered_once_each_when_it_is_back(
    app, tmp_path, mail_server
):
    server = mail_server
    server.start()
    ids = queue_burst(BURST, batch="outage")
    sent_as = message_ids(ids)
    server.inbox.refuse.update({recipient("outage", n): REFUSAL for n in range(BURST)})
    with Fleet(app, tmp_path, SMTP_URL=server.url, **RETRIES) as fleet:
        fleet.dispatcher(interval=0.2)
        for _ in range(WORKERS):
            fleet.worker()
        wait_for(lambda: attempts(ids).keys() - {0}, timeout=60, interval=0.01, fleet=fleet)
        outage_began = time.monotonic()  # the first refusal
        wait_for(every_one_tried(ids), timeout=120, fleet=fleet)  # every message of the burst met a refusal
        time.sleep(max(0.0, OUTAGE_SECONDS / 2 - (time.monotonic() - outage_began)))
        server.stop()  # after refusing, the server goes away altogether
        time.sleep(OUTAGE_SECONDS / 2)
        server.inbox.refuse.clear()
        server.start()
        outage = _seconds(outage_began)
        back = time.monotonic()
        # Back within the first two waits of the schedule (the outage is shorter than the first): room for both.
        waits = [int(seconds) for seconds in str(RETRIES["MAIL_RETRY_BACKOFF_SECONDS"]).split(",")]
        wait_for(settled(ids), timeout=120 + 4 * OUTAGE_SECONDS + sum(waits[:2]), fleet=fleet)
        delivered_after = _seconds(back)

    logs = f"outage {outage} s; attempts per message: {dict(attempts(ids))}\n{fleet.logs()}"
    assert states(ids) == Counter({"sent": BURST}), logs
    assert received(server.inbox) == Counter(sent_as.values()), logs  # 100 Message-IDs, one copy each, nothing else
    assert min(attempts(ids)) >= 2, logs  # every message was refused (or found the server down) at least once
    record(
        "mail-outage-burst",
        {
            "title": f"A burst of {BURST} messages through a {outage:.0f} s mail server outage (421, then down)",
            "messages": BURST,
            "outage (s): answering 421, then down, then back": outage,
            "retry settings": RETRIES,
            "workers": WORKERS,
            "delivered": len(received(server.inbox)),
            "copies received beyond one per Message-ID": sum(received(server.inbox).values()) - BURST,
            "rows sent": states(ids)["sent"],
            "attempts per message (attempts: messages)": dict(sorted(attempts(ids).items())),
            "seconds from the server back to the last message sent": delivered_after,
            **send_jobs(ids),
        },
        command=(f"FAULTS_MAIL_OUTAGE_SECONDS={OUTAGE_SECONDS:g} " if FULL_OUTAGE else "")
        + f".venv/bin/python -m pytest -q --db {db.engine.dialect.name} tests/faults/test_outgoing_mail_faults.py "
        "-k burst",
        database=db.engine.dialect.name,
    )


class HoldingInbox(Inbox):
    """An inbox that holds the conversation of chosen recipients at one stage, once, and says so on `held`."""

    def __init__(self, hold: dict[str, str]) -> None:
        super().__init__()
        self.hold = dict(hold)
        self.held: queue.Queue[tuple[str, str]] = queue.Queue()

    async def _hold(self, addresses: list[str], stage: str) -> None:
        for address in addresses:
            if self.hold.get(address.lower()) == stage:
                del self.hold[address.lower()]
                self.held.put((stage, address.lower()))
                await asyncio.sleep(HOLD_SECONDS)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._hold([address], "rcpt")  # nothing taken yet
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)  # the message is in the server's hands
        session.recipients = list(envelope.rcpt_tos)
        await self._hold(envelope.rcpt_tos, "data")  # ... before it answers 250
        return answer

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await self._hold(getattr(session, "recipients", []), "after")  # the previous message's 250 answered
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        await self._hold(getattr(session, "recipients", []), "after")  # the last message's 250 answered
        return "221 Bye"


def test_workers_killed_in_mid_send_lose_no_message_and_resend_only_with_the_same_message_id(
    app, tmp_path, mail_server
):
    server = mail_server
    plan = {recipient("killed", n): stage for n, stage in KILL_PLAN.items()}
    server.inbox = HoldingInbox(plan)
    server.start()
    ids = queue_burst(KILLED_MESSAGES, batch="killed")
    sent_as = message_ids(ids)
    address_of = {number: recipient("killed", n) for n, number in enumerate(ids)}
    kills: list[tuple[str, str]] = []
    with Fleet(app, tmp_path, SMTP_URL=server.url, JOB_LEASE_SECONDS=3, JOB_TIMEOUT_SECONDS=30) as fleet:
        fleet.dispatcher(interval=0.2)
        worker = fleet.worker()
        for _ in plan:
            try:
                stage, address = server.inbox.held.get(timeout=60)
            except queue.Empty:
                pytest.fail(f"no conversation reached its stage; kills so far: {kills}\n{fleet.logs()}")
            worker.kill()  # kill -9 of the worker and its work horse, inside the SMTP conversation
            kills.append((stage, address))
            worker = fleet.worker()
        wait_for(settled(ids), timeout=90, fleet=fleet)

    logs = f"kills: {kills}\n{fleet.logs()}"
    assert sorted(kills) == sorted((stage, address) for address, stage in plan.items()), logs
    twice = {sent_as[number] for number in ids if plan.get(address_of[number]) in TAKEN_BY_THE_SERVER}
    expected = Counter({message_id: 2 if message_id in twice else 1 for message_id in sent_as.values()})
    copies = received(server.inbox)
    assert copies == expected, logs  # 0 lost; a second copy only of what the server had taken, under its Message-ID
    by_id: dict[str, set[bytes]] = {}
    for content, mail in zip(server.inbox.received, server.inbox.messages(), strict=True):
        by_id.setdefault(mail["Message-ID"], set()).add(content)
    assert all(len(versions) == 1 for versions in by_id.values()), logs  # the second copy is the same mail
    assert states(ids) == Counter({"sent": KILLED_MESSAGES}), logs
    resent = db.session.scalars(select(Message.attempts).where(Message.message_id.in_(twice))).all()
    db.session.rollback()
    record(
        "mail-worker-killed",
        {
            "title": f"{KILLED_MESSAGES} messages, the worker killed -9 inside {len(kills)} SMTP conversations",
            "messages": KILLED_MESSAGES,
            "kills -9 (stage of the conversation)": [stage for stage, _address in kills],
            "Message-IDs received": len(copies),
            "messages lost": KILLED_MESSAGES - len(copies),
            "messages received under another Message-ID": len(set(copies) - set(sent_as.values())),
            "received twice (same Message-ID, same bytes)": len(twice),
            "attempts of those (the row's count; the killed attempt never reached its commit)": resent,
            "rows sent": states(ids)["sent"],
            **send_jobs(ids),
        },
        command=f".venv/bin/python -m pytest -q --db {db.engine.dialect.name} "
        "tests/faults/test_outgoing_mail_faults.py -k killed",
        database=db.engine.dialect.name,
    )
