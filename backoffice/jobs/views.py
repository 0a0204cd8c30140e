"""The administrators' page of background jobs: RQ's queues, workers and failed jobs beside the job outbox.

The outbox half is read from the database and is always shown. The RQ half needs Redis; when Redis does not answer,
the page says so instead of failing. What the page reads is in `overview`; requeueing a job that gave up, in
`operations`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError

from backoffice.auth.permissions import ADMIN, roles_required
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.forms import ConfirmForm
from backoffice.jobs import bp, operations
from backoffice.jobs.overview import (
    PAGE_ROWS,
    STATE_LABELS,
    WORKER_STATES,
    attach_entries,
    outbox_overview,
    rq_overview,
)
from backoffice.transactions import commit_answer

log = logging.getLogger(__name__)


def _render_overview(status: int = 200):
    now = utcnow()
    outbox_state = outbox_overview(now)
    rq, redis_error = None, None
    try:
        rq = rq_overview(operations.quick_redis())
    except RedisError as error:
        log.warning("jobs page: Redis does not answer: %s", error)
        redis_error = str(error) or type(error).__name__
    if rq is not None:
        attach_entries(rq.failed_jobs)
    return (
        render_template(
            "jobs/overview.html",
            rq=rq,
            redis_error=redis_error,
            outbox=outbox_state,
            now=now,
            page_rows=PAGE_ROWS,
            confirm_form=ConfirmForm(),
            state_labels={state: _(label) for state, label in STATE_LABELS.items()},
            worker_states={state: _(label) for state, label in WORKER_STATES.items()},
        ),
        status,
    )


@bp.route("")
@roles_required(ADMIN)
def overview():
    return _render_overview()


def _requeue(reopen: Callable[[], operations.Requeued]):
    """Run one requeue; on a refusal show the page again with the reason and a 4xx (503 when Redis is down)."""

    def refused(error: DomainError):
        flash(error.message, "error")
        return _render_overview(error.status_code)

    def announced(requeued: operations.Requeued):
        flash(operations.announce(requeued), "success")
        return redirect(url_for("jobs.overview"))

    return commit_answer(reopen, answer=announced, on_refusal=refused)


@bp.route("/failed/<job_id>/requeue", methods=["POST"])
@roles_required(ADMIN)
def requeue_failed_job(job_id: str):
    return _requeue(lambda: operations.requeue_failed_job(job_id, actor_id=current_user.id))


@bp.route("/outbox/<int:entry_id>/requeue", methods=["POST"])
@roles_required(ADMIN)
def requeue_outbox_entry(entry_id: int):
    return _requeue(lambda: operations.requeue_outbox_entry(entry_id, actor_id=current_user.id))
