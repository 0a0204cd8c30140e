"""The browser suite: a `make run`-style server (Redis, worker, dispatcher, web on a free port, a fresh SQLite
database with the demo data) driven by Debian's Chromium through Playwright.

Every test here is marked `e2e`. Screenshots of the pages a test looks at go to `test-artifacts/e2e/`; when a step
fails, the page it was on is saved there too (screenshot, URL and text), and the failure report names it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backoffice.demo.data import DEMO_PASSWORD, DEMO_USERS
from tests.servers import ImapServer, dovecot, dovecot_missing, free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DEMO_LOGINS = {role: email for email, _name, role in reversed(DEMO_USERS)}  # the first account of each role


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


class LiveServer:
    def __init__(self, url: str, env: dict[str, str], instance: Path, imap: ImapServer | None = None) -> None:
        self.url, self.env, self.instance = url, env, instance
        self.database = instance / "backoffice.db"
        self.caught_mail = instance / "caught-mail"  # what the mail catcher received (CAUGHT_MAIL_DIR)
        self.imap = imap  # the operator's mailbox the server reads replies from (None: Dovecot cannot run here)

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """Run a `flask` command against the live server's database (the CLI a coordinator's admin would use)."""
        return subprocess.run(
            [sys.executable, "-m", "flask", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=True
        )


@pytest.fixture(scope="session")
def operator_mailbox() -> Iterator[ImapServer | None]:
    """The operator's mailbox for the live server: a real Dovecot (installed first when missing and we may)."""
    if dovecot_missing():
        yield None
        return
    with dovecot() as server:
        yield server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, operator_mailbox) -> Iterator[LiveServer]:
    """`make run` on a free port, in a temp instance folder: migrate, seed the demo, start everything; replies are
    read from a real IMAP server (`IMAP_URL`) when Dovecot can run here."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "APP_ENV",
            "INVOICE_ARCHIVE",
            "CASE_DOCUMENTS_DIR",
            "SMTP_URL",
            "IMAP_URL",
            "CAUGHT_MAIL_DIR",
            "LOCAL_MAILBOX_DIR",
            "PUBLIC_URL",
        )
    }
    env.update(
        INSTANCE_PATH=str(instance),
        INVOICE_ARCHIVE=str(instance / "invoices"),
        PORT=str(port),
        FLASK_APP="wsgi",
        # The mail catcher on a port of its own (not a `make run` of the same machine's 8025)
        MAIL_CATCHER_PORT=str(free_port()),
        # Tracking polls and retries come round in seconds, so a shipment finishes while the test watches.
        TRACKING_POLL_SECONDS=env.get("TRACKING_POLL_SECONDS", "1"),
        # A pharmacy that does not answer is tried again 1 s later (3 tries, then the job gives up), and a parcel
        # is delivered 2 s after it is shipped: a failed order and its requeue play out within seconds.
        JOB_RETRY_BACKOFF_SECONDS=env.get("JOB_RETRY_BACKOFF_SECONDS", "1"),
        SANDBOX_TRANSIT_SECONDS=env.get("SANDBOX_TRANSIT_SECONDS", "2"),
        # Many logins from 127.0.0.1 in a few minutes are the suite, not an attack.
        LOGIN_MAX_FAILURES_PER_ADDRESS=env.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "1000"),
        INTAKE_MAX_PER_ADDRESS=env.get("INTAKE_MAX_PER_ADDRESS", "1000"),
    )
    if operator_mailbox is not None:
        env["IMAP_URL"] = operator_mailbox.url
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo", "seed", "--if-empty"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = instance / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "backoffice.devserver"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, server, log, what="the server", timeout=90)
        yield LiveServer(url, env, instance, operator_mailbox)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "server.log").write_text(log.read_text())


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package (as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "-", text).strip("-")[:80]


class Browse:
    """A signed-in (or anonymous) browser tab on the live server, with screenshots as it goes."""

    def __init__(self, page, server: LiveServer, test_name: str, *, after: Browse | None = None) -> None:
        """A tab of the test `test_name`; `after`: another tab of the same test (a second person's browser), whose
        screenshots this one numbers on from and keeps."""
        self.page, self.server, self.test_name = page, server, test_name
        self.shots = after.shots if after else 0
        if after is None:  # no screenshots left from an earlier run
            shutil.rmtree(ARTIFACTS / _slug(test_name), ignore_errors=True)

    def go(self, path: str):
        response = self.page.goto(self.server.url + path)
        assert response is not None and response.status < 500, f"{path} answered {response and response.status}"
        return response

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot of what the tab shows now, as `<test>/<NN>-<name>.png`."""
        self.shots += 1
        folder = ARTIFACTS / _slug(self.test_name)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.shots:02d}-{_slug(name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, role: str, email: str | None = None, password: str = DEMO_PASSWORD) -> None:
        self.go("/login")
        self.page.fill("input[name=email]", email or DEMO_LOGINS[role])
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit], input[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, f"login as {email or DEMO_LOGINS[role]} failed: {self.text()[:500]}"

    def logout(self) -> None:
        self.page.click("form[action$='/logout'] button, form[action$='/logout'] input[type=submit]")
        self.page.wait_for_load_state()

    def text(self) -> str:
        return self.page.inner_text("body")

    def flash(self) -> str:
        """The messages the last action flashed (empty when none)."""
        return " ".join(self.page.locator(".flash, .flashes li, [role=alert]").all_inner_texts())


@pytest.fixture
def browse(browser, live_server, request) -> Iterator[Browse]:
    """A fresh browser context (no cookies) per test; a failing test leaves its last page in test-artifacts/e2e."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    tab = Browse(page, live_server, request.node.name)
    yield tab
    if request.node.stash.get(_FAILED, False):
        folder = ARTIFACTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        name = _slug(request.node.name)
        try:
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            (folder / f"{name}.txt").write_text(f"URL: {page.url}\n\n{page.inner_text('body')}")
            print(f"\nE2E failure: last page {page.url}; screenshot and text in {folder / name}.(png|txt)")
        except Exception as error:  # the page itself may be what broke
            print(f"\nE2E failure: could not save the last page ({error})")
    context.close()


def pytest_terminal_summary(terminalreporter):
    """Count what the browser suite did, for `make evidence`."""
    from tests.tools.evidence import record_outcomes

    screenshots = sorted(p for p in ARTIFACTS.rglob("*.png") if p.parent.name != "failures")
    figures = record_outcomes(
        terminalreporter, "tests/e2e/", "e2e", command="make test-e2e", screenshots=len(screenshots)
    )
    if figures:
        terminalreporter.write_line(
            f"e2e: {figures['tests_passed']} passed, {figures['tests_failed']} failed; "
            f"{len(screenshots)} screenshots in {ARTIFACTS.relative_to(ROOT)}"
        )
