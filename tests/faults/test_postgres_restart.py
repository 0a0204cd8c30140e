"""PostgreSQL restarted under load: staff keep reading case pages and issuing invoices while the database is stopped
(`pg_ctl -m fast`), started again, then restarted with `-m immediate` (a crash, as far as the app can tell).

Requests that reach the app while the database is away get a clean "database unavailable" page in the layout with a
503, never a 500 traceback; once it is back, requests succeed again without restarting the app (pool_pre_ping gives
each request a live connection). No invoice is half-written: each is a draft without a number, or issued with its
number, lines, total and the archived PDF matching its hash; the numbers have no gap.

The app runs against a cluster of its own (not the session's database), with synchronous_commit on, so that a commit
the app was told about survives the immediate shutdown as it would in production.
"""

from __future__ import annotations

import hashlib
import html
import queue
import shlex
import subprocess
import threading
import time
import traceback
from pathlib import Path
from types import SimpleNamespace

import flask_migrate
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backoffice import create_app
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing import deposits
from backoffice.invoicing.models import Invoice, InvoiceLine
from tests.factories import make_user
from tests.helpers import BackofficeClient, login_as
from tests.invoicing.factories import make_invoicing_case
from tests.servers import PG_BIN, _as_postgres, throwaway_postgres
from tests.tools.evidence import record

pytestmark = pytest.mark.postgresql_only

DRAFTS = 40
CASES = 3
OK = {200, 302}


class Cluster:
    """Stop, start and restart the PostgreSQL server behind `url` with pg_ctl, on its own data folder and port."""

    def __init__(self, url: str) -> None:
        parts = make_url(url)
        with psycopg.connect(host=parts.host, port=parts.port, user=parts.username, dbname=parts.database) as conn:
            self.data = Path(conn.execute("SHOW data_directory").fetchone()[0])
        self.log = self.data.parent / "server.log"
        # The server's own command line (postmaster.opts) gives `start` the same port, socket folder and settings.
        arguments = shlex.split((self.data / "postmaster.opts").read_text())[1:]
        if "-D" in arguments:
            at = arguments.index("-D")
            del arguments[at : at + 2]
        self.options = shlex.join(arguments)

    def pg_ctl(self, *args: str) -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", *args]
        done = subprocess.run(_as_postgres(command), capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"pg_ctl {' '.join(args)}: {done.stdout}{done.stderr}"

    def stop(self, mode: str) -> None:
        self.pg_ctl("-m", mode, "stop")

    def start(self) -> None:
        self.pg_ctl("-o", self.options, "start")

    def restart(self, mode: str) -> None:
        self.pg_ctl("-m", mode, "-o", self.options, "restart")


@pytest.fixture(scope="module")
def restart_app(app_config, tmp_path_factory):
    """An app of its own on a cluster of its own, migrated, with a finance clerk, a coordinator and drafts."""
    with throwaway_postgres("backoffice_restart", settings={"synchronous_commit": "on"}) as url:
        archive = tmp_path_factory.mktemp("restart-invoices")
        app = create_app({**app_config, "DATABASE_URL": url, "INVOICE_ARCHIVE": str(archive)})
        app.test_client_class = BackofficeClient
        with app.app_context():
            flask_migrate.upgrade()
            people = {
                "finance": make_user("finance", email="frida@restart.example", name="Frida Finance"),
                "coordinator": make_user("coordinator", email="carl@restart.example", name="Carl Coordinator"),
            }
            cases = [
                make_invoicing_case(estimate="1000000.00", coordinator=people["coordinator"]) for _ in range(CASES)
            ]
            drafts = [
                deposits.create_deposit_draft(cases[n % CASES].id, actor_id=None, amount="10.00").id
                for n in range(DRAFTS)
            ]
            db.session.commit()
            # Who signs in, by e-mail address (the rows themselves belong to this session only).
            signed_in = {role: SimpleNamespace(email=user.email) for role, user in people.items()}
            ids = {"case_ids": [case.id for case in cases], "draft_ids": drafts, "people": signed_in}
            db.session.remove()
        yield app, Cluster(url), ids
        with app.app_context():
            db.engine.dispose()


class Load:
    """Threads reading case pages and issuing invoices through signed-in test clients until told to stop; every
    response (or exception) is kept with the time it came back."""

    def __init__(self, app, ids) -> None:
        self.app, self.ids = app, ids
        self.stopping = threading.Event()
        self.results: list[tuple[float, str, str, object]] = []  # (time, thread, request, status or exception)
        self.pages_503: list[str] = []
        self.tracebacks: list[str] = []
        self.drafts: queue.SimpleQueue[int] = queue.SimpleQueue()
        for draft_id in ids["draft_ids"]:
            self.drafts.put(draft_id)
        self.threads = [
            threading.Thread(target=self.read_cases, args=("reader-1",)),
            threading.Thread(target=self.read_cases, args=("reader-2",)),
            threading.Thread(target=self.issue_invoices, args=("issuer-1",)),
            threading.Thread(target=self.issue_invoices, args=("issuer-2",)),
        ]

    def client(self, role: str) -> BackofficeClient:
        client = self.app.test_client()
        login_as(client, self.ids["people"][role])
        return client

    def keep(self, name: str, what: str, response) -> int | None:
        status = getattr(response, "status_code", None)
        self.results.append((time.monotonic(), name, what, status if status is not None else response))
        if status == 503:
            self.pages_503.append(html.unescape(response.get_data(as_text=True)))
        return status

    def call(self, name: str, what: str, request):
        try:
            response = request()
        except Exception as error:  # kept: an exception out of the app is a failure the assertions show
            response = error
            self.tracebacks.append("".join(traceback.format_exception(error))[-3000:])
        return self.keep(name, what, response)

    def read_cases(self, name: str) -> None:
        client = self.client("coordinator")
        n = 0
        while not self.stopping.is_set():
            case_id = self.ids["case_ids"][n % CASES]
            path = "/cases/" if n % 2 else f"/cases/{case_id}"
            self.call(name, f"GET {path}", lambda path=path: client.get(path))
            n += 1
            time.sleep(0.02)

    def issue_invoices(self, name: str) -> None:
        client = self.client("finance")
        while not self.stopping.is_set():
            try:
                draft_id = self.drafts.get_nowait()
            except queue.Empty:  # all issued: keep reading what finance reads
                case_id = self.ids["case_ids"][0]
                self.call(name, "GET invoices", lambda case_id=case_id: client.get(f"/cases/{case_id}/invoices"))
                time.sleep(0.05)
                continue
            status = self.call(
                name,
                f"POST /invoices/{draft_id}/issue",
                lambda draft_id=draft_id: client.post(f"/invoices/{draft_id}/issue", data={"version": "1"}),
            )
            if status not in OK and status != 409:
                self.drafts.put(draft_id)  # try again later (409: it was issued after all)
            time.sleep(0.02)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def first_successes_since(self, moment: float) -> dict[str, float]:
        """Per thread, when its first successful response after `moment` came back."""
        first: dict[str, float] = {}
        for at, name, _what, status in list(self.results):
            if at >= moment and status in OK and name not in first:
                first[name] = at
        return first

    def wait_until_everyone_succeeds(self, moment: float, timeout: float = 30) -> float:
        """Seconds from `moment` until every thread has had a successful response after it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            first = self.first_successes_since(moment)
            if len(first) == len(self.threads):
                return max(first.values()) - moment
            time.sleep(0.05)
        raise AssertionError(f"requests did not recover within {timeout} s: {self.results[-20:]}")


def test_requests_recover_after_postgresql_restarts_and_no_invoice_is_half_written(restart_app):
    app, cluster, ids = restart_app
    with Load(app, ids) as load:
        time.sleep(2)  # load running against a healthy database

        cluster.stop("fast")
        stopped = time.monotonic()
        time.sleep(2)  # requests arrive while the database is down
        cluster.start()
        fast_back = time.monotonic()
        fast_recovery = load.wait_until_everyone_succeeds(fast_back)

        time.sleep(1)
        cluster.restart("immediate")
        immediate_back = time.monotonic()
        immediate_recovery = load.wait_until_everyone_succeeds(immediate_back)
        time.sleep(1)

    statuses = [status for _at, _name, _what, status in load.results]
    failures = [(what, status) for _at, _name, what, status in load.results if status not in {200, 302, 409, 503}]
    assert failures == [], (failures[:10], load.tracebacks[:1])
    outage = [status for at, _name, _what, status in load.results if stopped <= at < fast_back]
    assert 503 in outage, "no request reached the app while the database was stopped"
    for page in load.pages_503:
        assert "The database is not available right now" in page and "Traceback" not in page
        assert 'class="brand"' in page  # the app's layout, not a bare error
    assert statuses.count(503) >= 1

    # No invoice half-written: drafts have nothing of an issue; issued ones have all of it; numbers have no gap.
    with app.app_context():
        archive = settings(app).invoice_archive.resolve()
        invoices = db.session.scalars(select(Invoice).where(Invoice.id.in_(ids["draft_ids"]))).all()
        counted = select(InvoiceLine.invoice_id, func.count()).group_by(InvoiceLine.invoice_id)
        lines = {row[0]: row[1] for row in db.session.execute(counted).all()}
        issued = [invoice for invoice in invoices if invoice.status != "draft"]
        for invoice in invoices:
            if invoice.status == "draft":
                assert (invoice.number, invoice.pdf_filename, invoice.issued_at) == (None, None, None), invoice.id
            else:
                assert invoice.status == "issued" and invoice.number and lines.get(invoice.id) and invoice.total > 0
                path = archive / invoice.pdf_filename
                assert path.is_file(), f"{invoice.number}: its PDF is missing from the archive"
                assert hashlib.sha256(path.read_bytes()).hexdigest() == invoice.pdf_sha256, invoice.number
        numbers = sorted(int(invoice.number.rsplit("-", 1)[1]) for invoice in issued)
        assert numbers == list(range(1, len(issued) + 1)), numbers
        referenced = {invoice.pdf_filename for invoice in issued}
        strays = sorted(
            str(path.relative_to(archive))
            for path in archive.rglob("*.pdf")
            if str(path.relative_to(archive)) not in referenced
        )
        temporary = [name for name in strays if ".issuing-" in name]
        assert temporary == []
        db.session.remove()

    figures = {
        "requests": len(statuses),
        "answered 503 (database unavailable)": statuses.count(503),
        "answered 500": statuses.count(500),
        "seconds until every thread succeeded again after pg_ctl -m fast stop + start": round(fast_recovery, 2),
        "seconds until every thread succeeded again after pg_ctl -m immediate restart": round(immediate_recovery, 2),
        "invoices issued during the run": len(issued),
        "drafts left (issue refused while the database was away, or not reached)": len(invoices) - len(issued),
        "PDFs in the archive kept from issues whose commit was cut off": len(strays),
    }
    record(
        "postgresql-restart-under-load",
        figures,
        command=".venv/bin/python -m pytest -q -s --db postgresql tests/faults/test_postgres_restart.py",
        database="postgresql",
    )
    print("\nPostgreSQL restart under load: " + "; ".join(f"{key}: {value}" for key, value in figures.items()))
