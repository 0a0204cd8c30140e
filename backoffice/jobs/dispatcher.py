"""The dispatcher process (`flask jobs dispatch`): records scheduled jobs and sends due outbox rows to RQ, forever.

It survives what it is there to survive: Redis down (rows stay pending; it says so once and retries), the database
restarting (the round is rolled back and tried again). Stopped by SIGTERM or Ctrl-C between rounds.
"""

from __future__ import annotations

import logging
import signal
import time

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from backoffice.extensions import db
from backoffice.jobs import outbox, periodic

log = logging.getLogger(__name__)


def dispatch_round() -> int:
    """One round: record this slot's scheduled jobs, then send what is due. Returns how many rows were sent."""
    periodic.record_due()
    db.session.commit()
    return outbox.dispatch()


def run_dispatcher(*, once: bool = False, interval: float = 1.0) -> None:
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failing = False
    while not stopping:
        try:
            sent = dispatch_round()
            if failing:
                log.warning("dispatcher: back to normal")
                failing = False
            if sent:
                log.info("dispatcher: sent %s job(s)", sent)
        except (RedisError, SQLAlchemyError) as error:
            db.session.rollback()
            if not failing:
                log.warning("dispatcher: %s unavailable, jobs wait in the outbox: %s", type(error).__name__, error)
            failing = True
        finally:
            db.session.remove()
        if once:
            return
        time.sleep(interval)
