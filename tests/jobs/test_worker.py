from rq.job import JobStatus

from backoffice.extensions import db
from backoffice.jobs import AppSimpleWorker, AppWorker, get_queue, make_worker, redis_connection
from tests.factories import make_user
from tests.helpers import change_settings


def test_redis_is_a_real_server(app):
    connection = redis_connection()
    connection.set("backoffice:test", "ok")
    assert connection.get("backoffice:test") == b"ok"
    assert connection.info("server")["redis_version"]


def run_one_job(app, worker_class):
    make_user("patient")
    make_user("finance")
    db.session.commit()
    queue = get_queue()
    queue.empty()
    job = queue.enqueue("tests.jobs.enqueued.count_users_in_app")
    make_worker(app, worker_class=worker_class).work(burst=True, with_scheduler=False)
    job.refresh()
    return job


def test_a_job_runs_inside_the_app_in_a_forked_work_horse(app):
    job = run_one_job(app, AppWorker)
    assert job.get_status() == JobStatus.FINISHED, job.latest_result()
    assert job.return_value() == {"users": 2, "app": app.name}


def test_a_job_runs_inside_the_app_in_a_simple_worker(app):
    job = run_one_job(app, AppSimpleWorker)
    assert job.return_value() == {"users": 2, "app": app.name}


def test_a_worker_reads_its_command_channel_as_often_as_configured_and_stops_its_reader(app, monkeypatch):
    """RQ's reader woke once a minute, and stopping a worker waits for it: every stop took up to a minute."""
    change_settings(monkeypatch, app, worker_command_poll_seconds=0.25)
    worker = make_worker(app, worker_class=AppSimpleWorker)
    worker.subscribe()
    reader = worker.pubsub_thread
    try:
        assert reader.is_alive() and reader.sleep_time == 0.25
    finally:
        worker.unsubscribe()
    assert not reader.is_alive()
