"""Background jobs on RQ: the Redis connection, the queues, and the worker that runs jobs inside the app.

Jobs take ids, not objects, and run in a fresh application context with their own database session.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from sqlalchemy.orm import configure_mappers

from backoffice.config import settings
from backoffice.extensions import db

QUEUES = ("default",)


def redis_connection(timeout: float | None = 5) -> Redis:
    return Redis.from_url(settings().redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)


def get_queue(name: str = "default") -> Queue:
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection())


class _InAppContext:
    app: Flask
    command_poll_seconds: float

    def subscribe(self) -> None:
        # RQ's own subscribe, with our wake-up instead of its 60 s: redis-py's PubSubWorkerThread.stop() waits for
        # the thread, which may be asleep for the whole interval, so each stop of a worker took up to a minute.
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=self.command_poll_seconds, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def perform_job(self, job, queue, *args, **kwargs):
        with self.app.app_context():
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


class AppWorker(_InAppContext, Worker):
    """The production worker: each job runs in a forked work horse, inside an app context."""

    def main_work_horse(self, job, queue):
        # The fork inherited the parent's pooled connections; they must not be shared between processes.
        with self.app.app_context():
            db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)


class AppSimpleWorker(_InAppContext, SimpleWorker):
    """Runs jobs in its own process (tests, debugging)."""


def make_worker(app: Flask, queue_names: tuple[str, ...] = QUEUES, worker_class: type = AppWorker) -> Worker:
    with app.app_context():
        bound = {"app": app, "command_poll_seconds": settings().worker_command_poll_seconds}
        worker_class = type(f"Bound{worker_class.__name__}", (worker_class,), bound)
        configure_mappers()  # once here, not again in every work horse forked from this process
        connection = redis_connection(timeout=None)
        return worker_class([Queue(name, connection=connection) for name in queue_names], connection=connection)


# The administrators' view of queues, workers and failed jobs (views.py).
bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")

from backoffice.jobs import views  # noqa: E402,F401
