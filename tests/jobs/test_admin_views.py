"""The administrators' jobs page: queues, workers, the outbox and failed jobs; requeueing a job that gave up."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from rq.job import Job
from sqlalchemy import select

from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs import AppSimpleWorker, get_queue, make_worker, redis_connection
from backoffice.jobs.models import OutboxEntry
from backoffice.jobs.outbox import record_job
from backoffice.shipments.models import MedicineOrder
from backoffice.trail import AuditEvent
from tests.helpers import change_settings
from tests.servers import free_port
from tests.shipments.factories import run_jobs, submitted_order

pytestmark = pytest.mark.usefixtures("empty_redis")


def page_of(client) -> str:
    response = client.get("/admin/jobs")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def failed_job_ids() -> list[str]:
    return get_queue().failed_job_registry.get_job_ids()


def order_that_gave_up(app) -> int:
    """The id of a medicine order whose pharmacy never answered: its purchase job gave up after the last attempt."""
    order_id = submitted_order(behaviour="down").id
    run_jobs(app)
    assert order_status(order_id) == "failed"
    return order_id


def order_status(order_id: int) -> str:
    db.session.expire_all()
    return db.session.get(MedicineOrder, order_id).status


def requeue_events() -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "job.requeued")).all()


# ---------------------------------------------------------------------------------------------- the page


def test_admin_sees_queues_workers_and_the_outbox(app, as_role):
    record_job("cases.sla_alerts", {}, key="due-now")
    record_job("shipments.track", {"order_id": 7, "poll": 3}, key="later", available_at=utcnow() + timedelta(hours=4))
    db.session.commit()
    get_queue().enqueue("tests.jobs.enqueued.count_users_in_app")
    worker = make_worker(app, worker_class=AppSimpleWorker)
    worker.register_birth()
    try:
        page = page_of(as_role("admin"))
    finally:
        worker.register_death()
    assert "Queues" in page and "Workers" in page and "Outbox" in page and "Failed RQ jobs" in page
    assert worker.name in page
    assert "Redis does not answer" not in page
    assert "cases.sla_alerts" in page and "waits for the dispatcher" in page
    assert "shipments.track" in page and "scheduled" in page and "tracking check 3" in page
    assert "No failed job in Redis." in page and "No job has failed." in page


def test_a_job_that_gave_up_is_listed_with_its_traceback(app, as_role):
    client = as_role("admin")  # before the jobs run: the worker ends the test's session
    order_id = order_that_gave_up(app)
    [job_id] = failed_job_ids()
    entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.job == "shipments.purchase"))
    assert entry.state == "failed" and Job.fetch(job_id, connection=redis_connection()).meta["outbox_id"] == entry.id
    page = page_of(client)
    assert job_id in page and f"#{entry.id}" in page
    assert f"shipments.purchase {{'order_id': {order_id}}}" in page  # the RQ job's description
    assert "<details>" in page and "Traceback (most recent call last)" in page
    assert "GaveUp: shipments.purchase" in page and "gave up after 3 attempts" in page
    assert f"/admin/jobs/failed/{job_id}/requeue" in page
    assert f"/admin/jobs/outbox/{entry.id}/requeue" in page


def test_requeueing_a_job_that_gave_up_reopens_the_order_which_is_then_delivered(app, as_role, users):
    client = as_role("admin")
    admin_id = users["admin"].id
    order_id = order_that_gave_up(app)
    [job_id] = failed_job_ids()

    response = client.post(f"/admin/jobs/failed/{job_id}/requeue")

    assert response.status_code == 302 and response.headers["Location"] == "/admin/jobs"
    assert order_status(order_id) == "submitted"  # back at its purchase step
    entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.job == "shipments.purchase"))
    assert entry.state == "enqueued" and entry.attempts == 0 and entry.rq_job_id != job_id
    assert entry.last_error.startswith("requeued by an administrator")
    assert job_id not in failed_job_ids()  # not shown twice
    [event] = requeue_events()
    assert event.actor_id == admin_id and event.object_id == str(entry.id)
    assert event.details["rq_job_id"] == job_id and "gave up" in event.details["error"]
    page = page_of(client)
    assert "is requeued: the work is open again and was sent to the workers" in page
    assert "No failed job in Redis." in page and "No job has failed." in page

    run_jobs(app)  # the sandbox pharmacy answers after its third failed attempt

    assert order_status(order_id) == "delivered"


def test_requeueing_a_failed_outbox_row_reopens_the_order_and_drops_its_failed_rq_job(app, as_role):
    client = as_role("admin")
    order_id = order_that_gave_up(app)
    entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.job == "shipments.purchase"))

    response = client.post(f"/admin/jobs/outbox/{entry.id}/requeue")

    assert response.status_code == 302
    assert order_status(order_id) == "submitted"
    assert db.session.get(OutboxEntry, entry.id).state == "enqueued"
    assert failed_job_ids() == []
    assert len(requeue_events()) == 1
    run_jobs(app)
    assert order_status(order_id) == "delivered"


def test_a_refused_order_is_listed_among_failed_outbox_rows_with_its_reason(app, as_role):
    client = as_role("admin")
    submitted_order(behaviour="refused")
    run_jobs(app)
    assert failed_job_ids() == []  # a refusal is a business outcome, not a crash
    entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.state == "failed"))
    page = page_of(client)
    assert f"/admin/jobs/outbox/{entry.id}/requeue" in page and entry.last_error in page


def test_a_failed_job_from_outside_the_outbox_goes_back_to_its_queue(app, as_role):
    client = as_role("admin")
    get_queue().enqueue("builtins.int", "not a number")
    make_worker(app, worker_class=AppSimpleWorker).work(burst=True, with_scheduler=False)
    [job_id] = failed_job_ids()
    assert "not from the outbox" in page_of(client)

    response = client.post(f"/admin/jobs/failed/{job_id}/requeue")

    assert response.status_code == 302
    assert failed_job_ids() == [] and get_queue().job_ids == [job_id]
    [event] = requeue_events()
    assert event.object_type == "rq_job" and event.details["rq_job_id"] == job_id


# ---------------------------------------------------------------------------------------------- refusals


def test_a_job_that_did_not_fail_is_not_requeued(app, as_role):
    client = as_role("admin")
    order_that_gave_up(app)
    [job_id] = failed_job_ids()
    entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.job == "shipments.purchase"))
    entry.state = "done"  # it ran to the end since, say after a lease ran out
    done = record_job("cases.sla_alerts", {}, key="ran")
    done.state = "done"
    db.session.commit()

    for url in (f"/admin/jobs/failed/{job_id}/requeue", f"/admin/jobs/outbox/{done.id}/requeue"):
        response = client.post(url)
        assert response.status_code == 409, url
        assert "is not failed: it has run to the end since" in html.unescape(response.get_data(as_text=True))

    assert requeue_events() == []
    db.session.expire_all()
    assert db.session.get(MedicineOrder, entry.args["order_id"]).status == "failed"
    assert failed_job_ids() == [job_id]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/jobs/failed/no-such-job/requeue",
        "/admin/jobs/failed/bad%20id%3Cx%3E/requeue",
        "/admin/jobs/failed/" + "x" * 300 + "/requeue",
        "/admin/jobs/outbox/999/requeue",
        "/admin/jobs/outbox/99999999999/requeue",
        "/admin/jobs/outbox/-1/requeue",
    ],
)
def test_requeueing_an_unknown_job_is_not_found(as_role, url):
    response = as_role("admin").post(url)
    assert response.status_code == 404
    assert requeue_events() == []


def test_a_requeue_without_the_form_token_is_refused_and_changes_nothing(app, as_role):
    client = as_role("admin")
    order_id = order_that_gave_up(app)
    [job_id] = failed_job_ids()
    entry_id = db.session.scalar(select(OutboxEntry.id).where(OutboxEntry.job == "shipments.purchase"))
    assert client.post(f"/admin/jobs/failed/{job_id}/requeue", csrf=False).status_code == 400
    assert client.post(f"/admin/jobs/outbox/{entry_id}/requeue", csrf=False).status_code == 400
    assert order_status(order_id) == "failed"
    assert failed_job_ids() == [job_id] and requeue_events() == []


@pytest.mark.parametrize("role", ["coordinator", "finance", "patient"])
def test_only_administrators_see_and_requeue_jobs(app, as_role, role):
    client = as_role(role)
    order_that_gave_up(app)
    [job_id] = failed_job_ids()
    entry_id = db.session.scalar(select(OutboxEntry.id).where(OutboxEntry.job == "shipments.purchase"))
    assert client.get("/admin/jobs").status_code == 403
    assert client.post(f"/admin/jobs/failed/{job_id}/requeue").status_code == 403
    assert client.post(f"/admin/jobs/outbox/{entry_id}/requeue").status_code == 403
    assert failed_job_ids() == [job_id] and requeue_events() == []


def test_the_signed_out_are_sent_to_the_login_page(client):
    response = client.get("/admin/jobs")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---------------------------------------------------------------------------------------------- Redis down


@pytest.fixture
def redis_down(app, monkeypatch):
    change_settings(monkeypatch, app, redis_url=f"redis://127.0.0.1:{free_port()}/0")


def test_with_redis_down_the_page_shows_the_outbox_and_says_so(app, as_role, redis_down):
    failed = record_job("shipments.pack", {"order_id": 3}, key="pack-3")
    failed.state, failed.last_error = "failed", "gave up after 3 attempts: the pharmacy did not answer"
    record_job("cases.sla_alerts", {}, key="due-now")
    db.session.commit()
    page = page_of(as_role("admin"))
    assert "Redis does not answer" in page
    assert "cases.sla_alerts" in page and "the pharmacy did not answer" in page
    assert f"/admin/jobs/outbox/{failed.id}/requeue" in page
    assert 'id="queues"' not in page and 'id="workers"' not in page and 'id="failed-jobs"' not in page


def test_with_redis_down_a_failed_rq_job_cannot_be_requeued(as_role, redis_down):
    response = as_role("admin").post("/admin/jobs/failed/outbox-1-3/requeue")
    assert response.status_code == 503
    assert "Redis does not answer, so the failed job cannot be read or requeued" in response.get_data(as_text=True)
    assert requeue_events() == []


def test_with_redis_down_a_failed_outbox_row_is_requeued_and_waits_for_the_dispatcher(app, as_role, monkeypatch):
    client = as_role("admin")
    order_id = order_that_gave_up(app)
    entry_id = db.session.scalar(select(OutboxEntry.id).where(OutboxEntry.job == "shipments.purchase"))
    change_settings(monkeypatch, app, redis_url=f"redis://127.0.0.1:{free_port()}/0")

    response = client.post(f"/admin/jobs/outbox/{entry_id}/requeue", follow_redirects=True)

    assert "it waits in the outbox until Redis answers" in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(OutboxEntry, entry_id).state == "pending"
    assert order_status(order_id) == "submitted"
    monkeypatch.undo()
    run_jobs(app)  # Redis is back: the dispatcher sends it
    assert order_status(order_id) == "delivered"


# ---------------------------------------------------------------------------------------------- planned queries


def test_the_page_runs_a_fixed_number_of_statements(app, as_role, count_queries):
    client = as_role("admin")
    order_that_gave_up(app)  # one failed RQ job linked to its outbox row
    with count_queries() as few:
        page_of(client)
    soon = utcnow() + timedelta(minutes=5)
    for n in range(120):
        entry = record_job("shipments.track", {"order_id": n, "poll": 2}, key=f"poll-{n}", available_at=soon)
        if n % 2:
            entry.state, entry.last_error, entry.finished_at = "failed", f"refused {n}", utcnow()
    db.session.commit()
    with count_queries() as many:
        page = page_of(client)
    assert len(few) == len(many)
    assert "The 50 most recent of 60." in page and "The 50 most recent of 61." in page  # open rows, failed rows
    assert page.count("tracking check 2") == 50
