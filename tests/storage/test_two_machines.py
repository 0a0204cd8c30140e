"""Two web machines behind one load balancer, as production runs them: each is `gunicorn wsgi:app` (APP_ENV=production)
with an instance folder and local INVOICE_ARCHIVE / CASE_DOCUMENTS_DIR of its own, and they share only what the
README's production section says they share: PostgreSQL, Redis, the object store (one bucket, Object Lock) and the
SECRET_KEY.

Played through HTTP, with the test as the TLS-terminating balancer (X-Forwarded-Proto/For, TRUSTED_PROXIES=1) that
sends each request to the machine the test names: a medical record uploaded through A is downloaded through B byte
for byte; an invoice issued on A is served by B exactly as the bucket holds it; the session cookie A set signs its
holder in on B, a sign-out button A served is accepted by B (its CSRF token), and signing out ends the session on
both (the session token is kept in the users table, so a copy of the old cookie stops working everywhere); failed
sign-ins spread over A and B are counted together. After each test neither machine holds a file on its own disk.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from backoffice.auth.models import LoginAttempt
from backoffice.cases.models import CaseDocument
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing import deposits
from backoffice.invoicing.models import Invoice
from backoffice.storage.models import StoredFile
from tests.factories import PASSWORD, make_case
from tests.invoicing.factories import make_invoicing_case
from tests.servers import S3_CREDENTIALS, free_port, wait_for_health
from tests.shipments.processes import ROOT, app_environment
from tests.tools.load.run import Processes

pytestmark = pytest.mark.postgresql_only

PREFIX = "office"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SESSION_COOKIE = "__Host-session"  # production's name (Secure, host-only)
RECORD = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%" + secrets.token_hex(64).encode() + b"\n%%EOF\n"


@dataclass
class Machine:
    name: str
    url: str
    disk: Path  # its instance folder and local file folders: nothing shared may land here
    log: Path

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    def files_on_disk(self) -> list[str]:
        return sorted(str(path.relative_to(self.disk)) for path in self.disk.rglob("*") if path.is_file())


@dataclass
class Site:
    """The two machines and the bucket they share."""

    a: Machine
    b: Machine
    bucket: str
    s3: object

    def in_bucket(self, key: str) -> bytes:
        return self.s3.client().get_object(Bucket=self.bucket, Key=f"{PREFIX}/{key}")["Body"].read()

    def lock_of(self, key: str) -> str | None:
        return self.s3.client().head_object(Bucket=self.bucket, Key=f"{PREFIX}/{key}").get("ObjectLockMode")

    def logs(self) -> str:
        return "\n".join(f"----- machine {m.name} -----\n{m.log.read_text()[-3000:]}" for m in (self.a, self.b))


@pytest.fixture(scope="module")
def site(app, s3) -> Iterator[Site]:
    """Machines A and B started side by side (both boot at once), stopped after the module's tests."""
    bucket = s3.new_bucket(f"two-machines-{os.getpid()}")
    shared = app_environment(
        app,
        APP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        TRUSTED_PROXIES="1",
        STORAGE_URL=f"s3://{bucket}/{PREFIX}",
        S3_ENDPOINT_URL=s3.endpoint,
        STORAGE_TIMEOUT_SECONDS="5",
        SMTP_URL=f"smtp://127.0.0.1:{free_port()}",  # nothing here sends mail; production refuses to start without
        PUBLIC_URL="https://office.example",
        **S3_CREDENTIALS,
    )
    workdir = Path(tempfile.mkdtemp(prefix="backoffice-two-machines-"))
    processes, machines = Processes(), []
    try:
        for name in ("A", "B"):
            disk, port = workdir / name, free_port()
            env = dict(
                shared,
                INSTANCE_PATH=str(disk / "instance"),
                INVOICE_ARCHIVE=str(disk / "invoices"),
                CASE_DOCUMENTS_DIR=str(disk / "documents"),
            )
            (disk / "instance").mkdir(parents=True)
            machine = Machine(name, f"http://127.0.0.1:{port}", disk, workdir / f"gunicorn-{name}.log")
            # One worker each: two machines are already two processes, and four app imports on a busy 2-core box
            # triple the boot time.
            gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", machine.host, "wsgi:app"]
            with machine.log.open("w") as output:
                process = processes.start(gunicorn, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
            machines.append((machine, process))
        for machine, process in machines:
            wait_for_health(machine.url, process, machine.log, what=f"machine {machine.name} (gunicorn)")
        yield Site(machines[0][0], machines[1][0], bucket, s3)
    finally:
        processes.stop_all()
        logs = {machine.name: machine.log.read_text() for machine, _process in machines}
        shutil.rmtree(workdir, ignore_errors=True)
    failed = {name: log[-4000:] for name, log in logs.items() if "Traceback" in log}
    assert not failed, f"a machine logged an error: {failed}"


@pytest.fixture(autouse=True)
def _nothing_on_either_disk(site):
    yield
    for machine in (site.a, site.b):
        assert machine.files_on_disk() == [], f"machine {machine.name} kept files of its own\n{site.logs()}"


class TlsEndsAtTheBalancer(DefaultCookiePolicy):
    """The balancer holds the TLS: the Secure session cookie goes on to the machines over loopback HTTP (the flag is
    dropped as the cookie is stored, since requests copies the jar with a default policy for each request)."""

    def set_ok(self, cookie, request) -> bool:
        cookie.secure = False
        return super().set_ok(cookie, request)


class Browser:
    """One person's browser behind the balancer, from one address; the test says which machine gets each request."""

    def __init__(self, address: str, session_cookie: str | None = None) -> None:
        self.http = requests.Session()
        self.http.cookies.set_policy(TlsEndsAtTheBalancer())
        self.http.headers.update(
            {"X-Forwarded-Proto": "https", "X-Forwarded-For": address, "User-Agent": "two-machines-test/1"}
        )
        if session_cookie is not None:
            self.http.cookies.set(SESSION_COOKIE, session_cookie, domain="127.0.0.1", path="/")

    def get(self, machine: Machine, path: str) -> requests.Response:
        return self.http.get(machine.url + path, timeout=30)

    def post(
        self, machine: Machine, path: str, *, form_from: str, data: dict, files=None, form_on: Machine | None = None
    ) -> requests.Response:
        """Post as the form on `form_from` would: its CSRF token, the Referer that Flask-WTF checks on HTTPS (the
        balancer's one address: here the machine posted to); redirects are not followed. The page is asked of
        `form_on` (default: the same machine), as a balancer may send a form and its answer to different machines."""
        form_machine = form_on or machine
        page = self.get(form_machine, form_from)
        token = CSRF.search(page.text)
        assert token, f"no form on {form_machine.name}{form_from} ({page.status_code}): {page.text[:500]}"
        return self.http.post(
            machine.url + path,
            data={**data, "csrf_token": token.group(1)},
            files=files,
            headers={"Referer": f"https://{machine.host}{form_from}"},
            allow_redirects=False,
            timeout=30,
        )

    def sign_in(self, machine: Machine, user, password: str = PASSWORD) -> requests.Response:
        return self.post(machine, "/login", form_from="/login", data={"email": user.email, "password": password})

    def session_cookie(self) -> str:
        return self.http.cookies.get(SESSION_COOKIE)


def page(response: requests.Response) -> str:
    return html.unescape(response.text)


def signed_in(browser: Browser, machine: Machine) -> bool:
    """The start page opens (rather than the sign-in page) on `machine`."""
    response = browser.get(machine, "/")
    assert response.status_code == 200, response.status_code
    return not response.url.split("?")[0].endswith("/login")


# ---------------------------------------------------------------------------------------------- files


def test_a_medical_record_uploaded_through_one_machine_is_downloaded_through_the_other(site, users):
    case = make_case(coordinator=users["coordinator"], state="records_review")
    db.session.commit()
    coordinator = Browser("10.40.0.1")
    assert coordinator.sign_in(site.a, users["coordinator"]).status_code == 302

    upload = coordinator.post(
        site.a,
        f"/cases/{case.id}/documents",
        form_from=f"/cases/{case.id}",
        data={"document_type": "medical_record", "description": "Blood test, March"},
        files={"file": ("blood test.pdf", RECORD, "application/pdf")},
    )

    assert upload.status_code == 302, page(upload)[:2000]
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.case_id == case.id))
    download = coordinator.get(site.b, f"/cases/{case.id}/documents/{document.id}")
    assert download.status_code == 200, site.logs()
    assert download.content == RECORD
    assert site.in_bucket(f"documents/{document.stored_name}") == RECORD
    assert site.lock_of(f"documents/{document.stored_name}") is None  # a patient's erasure may delete it
    assert db.session.scalar(select(StoredFile.location).where(StoredFile.key.like("documents/%"))) == "s3"


def test_an_invoice_issued_on_one_machine_is_served_by_the_other_as_the_bucket_holds_it(site, users):
    case = make_invoicing_case()
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    db.session.commit()
    finance = Browser("10.40.0.2")
    assert finance.sign_in(site.a, users["finance"]).status_code == 302

    issued = finance.post(
        site.a, f"/invoices/{draft.id}/issue", form_from=f"/invoices/{draft.id}", data={"version": str(draft.version)}
    )

    assert issued.status_code == 302, page(issued)[:2000]
    db.session.expire_all()
    invoice = db.session.get(Invoice, draft.id)
    assert invoice.status == "issued", site.logs()
    served = finance.get(site.b, f"/invoices/{invoice.number}.pdf")
    assert served.status_code == 200, site.logs()
    assert served.content.startswith(b"%PDF") and hashlib.sha256(served.content).hexdigest() == invoice.pdf_sha256
    assert served.content == site.in_bucket(f"archive/{invoice.pdf_filename}")
    assert site.lock_of(f"archive/{invoice.pdf_filename}") == "COMPLIANCE"  # written by A under Object Lock


# ---------------------------------------------------------------------------------------------- sessions


def test_a_session_signed_in_on_one_machine_holds_on_the_other_and_signing_out_ends_it_on_both(site, users):
    browser = Browser("10.40.0.3")
    assert browser.sign_in(site.a, users["coordinator"]).status_code == 302
    cookie = browser.session_cookie()
    assert cookie, "machine A set no session cookie"

    # The cookie A set, presented to B by a second client (the same person's browser: address and agent match).
    same_cookie = Browser("10.40.0.3", session_cookie=cookie)
    assert signed_in(same_cookie, site.b), site.logs()
    assert "Carl Coordinator" in page(same_cookie.get(site.b, "/"))

    # The sign-out button of a page A served, pressed and sent to B.
    signed_out = browser.post(site.b, "/logout", form_from="/", form_on=site.a, data={})
    assert signed_out.status_code == 302, page(signed_out)[:2000]

    # A copy of the old cookie is refused on both: the session token it names was replaced in the users table.
    assert not signed_in(Browser("10.40.0.3", session_cookie=cookie), site.a)
    assert not signed_in(Browser("10.40.0.3", session_cookie=cookie), site.b)


def test_failed_sign_ins_spread_over_both_machines_are_counted_together(site, users):
    limit = settings().login_max_failures_per_account_and_address  # the machines run with the same default
    guesser = Browser("10.40.0.4")

    for attempt in range(limit):  # A, B, A, B, ...: neither machine alone sees `limit` failures
        machine = (site.a, site.b)[attempt % 2]
        refused = guesser.sign_in(machine, users["finance"], password=f"guess number {attempt}")
        assert refused.status_code == 401, (machine.name, refused.status_code, page(refused)[:1000])

    for machine in (site.b, site.a):  # now even the right password is refused, on either machine
        throttled = guesser.sign_in(machine, users["finance"])
        assert throttled.status_code == 429, (machine.name, throttled.status_code)
        assert "Too many failed sign-in attempts" in page(throttled)
    failures = select(func.count()).where(LoginAttempt.remote_addr == "10.40.0.4", LoginAttempt.succeeded.is_(False))
    assert db.session.scalar(failures) == limit
