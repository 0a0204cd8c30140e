"""`make loadtest`'s scenario works: every task of the locustfile, run once in-process against the app, succeeds.

The load test itself needs gunicorn, PostgreSQL and a minute; this check runs each simulated person's tasks once
through the test app (a requests adapter calling the WSGI app), on the demo data and the load test's own seed, so a
change to a page, a form or a route that would break the scenario is seen by `make test`.
"""

from __future__ import annotations

import json
import os
import random
from email.message import Message
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from backoffice import demo
from backoffice.auth.models import User
from backoffice.billing.models import HospitalBill
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.tools.load.run import seed_load_data
from tests.tools.load.wsgi_load import with_bare_route

# Locust patches the whole process with gevent when imported, unless told not to: the suite's threads, sockets and
# subprocesses must stay as they are.
os.environ.setdefault("LOCUST_SKIP_MONKEY_PATCH", "1")
requests = pytest.importorskip("requests", reason="the load test's client (`pip install -e '.[load]'`)")
BaseAdapter = requests.adapters.BaseAdapter
CaseInsensitiveDict = requests.structures.CaseInsensitiveDict


class WsgiAdapter(BaseAdapter):
    """Sends a requests session's requests to a WSGI app in-process, as if over HTTP (cookies and redirects too)."""

    def __init__(self, app) -> None:
        super().__init__()
        self.client = app.test_client(use_cookies=False) if hasattr(app, "test_client") else None
        self.app = app

    def send(self, request, **kwargs):
        from werkzeug.test import Client

        parts = urlsplit(request.url)
        client = self.client or Client(self.app)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = client.open(
            parts.path, query_string=parts.query, method=request.method, headers=dict(request.headers), data=body
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.get_data()
        response._content_consumed = True
        response.url = request.url
        response.request = request
        response.reason = answer.status.split(" ", 1)[-1]
        response.encoding = answer.mimetype_params.get("charset")
        message = Message()
        for name, value in answer.headers.items():
            message[name] = value
        response.raw = SimpleNamespace(
            _original_response=SimpleNamespace(msg=message), release_conn=lambda: None, close=lambda: None
        )
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def load_data(app, tmp_path, monkeypatch):
    """A small demo (cases, their trips, the tariff) plus the load test's accounts and an issued invoice."""
    demo.seed_accounts()
    demo.seed_directory()
    demo.seed_interpreters()
    rng = random.Random(2026)
    case_ids = demo.seed_cases(60, rng)
    demo.seed_trips(case_ids, rng, today=utcnow().date())
    finance_id = db.session.scalar(select(User.id).where(User.email == "finance@demo.test"))
    demo.seed_tariffs(finance_id)
    data = seed_load_data(invoices=1, coordinators=1, finance=1)
    db.session.commit()
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data))
    monkeypatch.setenv("LOADTEST_DATA", str(path))
    return data


def run_once(user_class, environment, wsgi_app, monkeypatch) -> None:
    monkeypatch.setattr(user_class, "host", environment.host)  # Locust's runner does this when it spawns users
    user = user_class(environment)
    user.client.mount("http://", WsgiAdapter(wsgi_app))
    user.on_start()
    for run in dict.fromkeys(user_class.tasks):  # each task once, whatever its weight
        run(user)


def test_every_task_of_the_scenario_succeeds_once(app, load_data, monkeypatch):
    pytest.importorskip("locust", reason="Locust is in the `load` extra (`pip install -e '.[load]'`)")
    from locust.env import Environment

    from tests.tools.load import locustfile

    monkeypatch.setattr(locustfile, "_data", None)
    assert load_data["bill_cases"] and load_data["invoices"] and load_data["itineraries"]
    classes = [locustfile.CoordinatorUser, locustfile.FinanceUser, locustfile.BareUser]
    environment = Environment(user_classes=classes, host="http://localhost")
    requests_made: list[tuple[str, int, object]] = []
    environment.events.request.add_listener(
        lambda name, response, exception, **_: requests_made.append((name, response.status_code, exception))
    )

    run_once(locustfile.CoordinatorUser, environment, app, monkeypatch)
    run_once(locustfile.FinanceUser, environment, app, monkeypatch)
    run_once(locustfile.BareUser, environment, with_bare_route(app.wsgi_app), monkeypatch)

    names = {name for name, _status, _exception in requests_made}
    assert {"sign in", "case list", "case page", "itinerary", "bill upload", "invoice PDF", "bare route"} <= names
    assert [(name, status, error) for name, status, error in requests_made if error is not None] == []
    uploaded = select(func.count()).select_from(HospitalBill).where(HospitalBill.reference.like("LOAD-%"))
    assert db.session.scalar(uploaded) == 1
    downloads = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invoice.downloaded")
    assert db.session.scalar(downloads) == 1


def test_a_failed_request_makes_the_run_fail(tmp_path):
    from tests.tools.load.run import errors_of, read_stats

    header = "Type,Name,Request Count,Failure Count,Requests/s,50%,95%,99%\n"
    (tmp_path / "app_stats.csv").write_text(
        header + "GET,case page,10,1,2.0,100,200,300\n,Aggregated,10,1,2.0,100,200,300\n"
    )
    (tmp_path / "app_failures.csv").write_text(
        "Method,Name,Error,Occurrences\nGET,case page,CatchResponseError('case page: the sign-in page was served'),1\n"
    )
    (tmp_path / "app_exceptions.csv").write_text(
        "Count,Message,Traceback,Nodes\n1,case page: the sign-in page was served,,local\n"
    )
    run = read_stats(tmp_path / "app")
    run["warmup"] = {"errors": []}

    assert run["total"]["error_ratio"] == 0.1  # the failure Locust also lists as an exception counts once
    assert errors_of(run) == ["1x GET case page: CatchResponseError('case page: the sign-in page was served')"]
