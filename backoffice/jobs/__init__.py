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
    worker_class = type(f"Bound{worker_class.__name__}", (worker_class,), {"app": app})
    with app.app_context():
        configure_mappers()  # once here, not again in every work horse forked from this process
        connection = redis_connection(timeout=None)
        return worker_class([Queue(name, connection=connection) for name in queue_names], connection=connection)


# The administrators' view of queues, workers and failed jobs (views.py).
bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")

from backoffice.jobs import views  # noqa: E402,F401
