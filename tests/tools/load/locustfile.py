"""The load test's scenario: coordinators and finance staff working through the day, and the bare-route baseline.

Each simulated person signs in once with an account of their own, then repeats weighted tasks with a pause between
them: coordinators read the case list (filtered, paged), case pages and itineraries; finance also uploads hospital
bills (a CSV, through the real form and its CSRF token) and downloads issued invoices' PDFs. `BareUser` asks the
bare Flask route mounted beside the app (tests/tools/load/wsgi_load.py) at the same pace.

The seeded ids, case numbers and accounts come from the JSON file named by LOADTEST_DATA (written by run.py).
Any 4xx/5xx is a failure, and so is a page that is not the one asked for (the sign-in page instead of the case).

The app runs as in production, behind a TLS-terminating proxy (TRUSTED_PROXIES=1): the load tester plays that proxy,
so it sends X-Forwarded-Proto/For (a distinct address per person, as real staff have), a Referer on every POST
(Flask-WTF checks it on HTTPS) and keeps sending the session cookie that the app marks Secure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
import uuid
from datetime import date, timedelta
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import gevent
from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _pause() -> tuple[float, float]:
    """LOADTEST_WAIT="2,8": a person's pause between two pages, in seconds (shorter pauses make it a stress test)."""
    low, _, high = (os.environ.get("LOADTEST_WAIT") or "2,8").partition(",")
    return float(low), float(high or low)


WAIT = between(*_pause())
_serial = itertools.count(1)  # each person's own client address
_accounts_taken = {"coordinator": itertools.count(), "finance": itertools.count()}  # each person's own account


def load_data() -> dict:
    path = os.environ.get("LOADTEST_DATA")
    if not path:
        raise RuntimeError("LOADTEST_DATA must name the JSON file of seeded ids (run `python -m tests.tools.load.run`)")
    return json.loads(Path(path).read_text())


_data: dict | None = None


def data() -> dict:
    global _data
    if _data is None:
        _data = load_data()
    return _data


class BehindProxyCookies(DefaultCookiePolicy):
    """The proxy's side of TLS: the Secure session cookie goes back to the app over loopback HTTP.

    The flag is dropped as the cookie is stored, because requests copies the jar (with a default policy) for every
    request it sends."""

    def set_ok(self, cookie, request) -> bool:
        cookie.secure = False
        return super().set_ok(cookie, request)


# ---------------------------------------------------------------------------------------------- the measured window
#
# Signing in is measured apart: 50 people signing in within seconds (scrypt, on purpose slow) is the morning rush,
# not the working day. Once every user has signed in (or tried to) and LOADTEST_SETTLE seconds more have passed (the
# pages asked meanwhile wait behind the sign-ins), the figures so far and anything that failed are written to
# LOADTEST_WARMUP, the statistics start again, and the run stops LOADTEST_SECONDS later.

_ready = 0


def user_ready(environment) -> None:
    global _ready
    _ready += 1
    options = environment.parsed_options
    if options is None or _ready != options.num_users:
        return
    gevent.spawn_later(float(os.environ.get("LOADTEST_SETTLE") or 10), start_measuring, environment)


def start_measuring(environment) -> None:
    stats = environment.stats
    warmup = {
        "seconds": round(time.monotonic() - _started, 1),
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "errors": [
            f"{error.occurrences}x {error.method} {error.name}: {error.error}" for error in stats.errors.values()
        ],
        "by_name": {
            entry.name: {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50": entry.get_response_time_percentile(0.5),
                "p95": entry.get_response_time_percentile(0.95),
                "p99": entry.get_response_time_percentile(0.99),
            }
            for entry in stats.entries.values()
            if entry.num_requests
        },
    }
    if os.environ.get("LOADTEST_WARMUP"):
        Path(os.environ["LOADTEST_WARMUP"]).write_text(json.dumps(warmup, indent=1))
    stats.reset_all()
    seconds = float(os.environ.get("LOADTEST_SECONDS") or 60)
    gevent.spawn_later(seconds, environment.runner.quit)


_started = time.monotonic()


def csrf_token(html: str) -> str | None:
    match = CSRF.search(html)
    return match.group(1) if match else None


def bill_csv(admission: date, discharge: date) -> bytes:
    """A small hospital bill for the stay, in the CSV layout the bill form asks for."""
    rows = [
        (admission, "ABM-CONS", "Specialist consultation", "1", "450.00"),
        (admission, "ABM-LAB1", "Laboratory panel", "1", "380.00"),
        (admission + timedelta(days=1), "ABM-LEUK", "Leukocytapheresis", "1", "5200.00"),
        (discharge, "ABM-WARD", "Ward bed days", str(max(1, (discharge - admission).days)), "890.00"),
    ]
    lines = ["line,date,code,description,quantity,unit_price,currency"]
    lines += [
        f"{n},{d.isoformat()},{code},{text},{qty},{price},EUR" for n, (d, code, text, qty, price) in enumerate(rows, 1)
    ]
    return ("\n".join(lines) + "\n").encode()


class StaffUser(HttpUser):
    abstract = True
    role = ""
    wait_time = WAIT

    def on_start(self) -> None:
        serial = next(_serial)
        accounts = data()["accounts"][self.role]
        self.email = accounts[next(_accounts_taken[self.role]) % len(accounts)]  # shared only beyond 40 + 25 people
        self.client.cookies.set_policy(BehindProxyCookies())
        self.client.headers.update(
            {"X-Forwarded-Proto": "https", "X-Forwarded-For": f"10.20.{serial // 250}.{serial % 250 + 1}"}
        )
        try:
            self.sign_in()
        finally:
            user_ready(self.environment)

    def referer(self, path: str) -> dict:
        return {"Referer": f"https://{self.host.split('://', 1)[-1].rstrip('/')}{path}"}

    def sign_in(self) -> None:
        page = self.client.get("/login", name="sign-in form")
        token = csrf_token(page.text)
        form = {"email": self.email, "password": data()["password"], "csrf_token": token or ""}
        with self.client.post(
            "/login", data=form, headers=self.referer("/login"), name="sign in", catch_response=True
        ) as response:
            if response.ok and "Signed in as" not in response.text:
                response.failure(f"{self.email} was not signed in")

    def get_page(self, path: str, name: str, expect: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.ok and "/login" in response.url:
                response.failure(f"{name}: the sign-in page was served instead")
            elif response.ok and expect not in response.text:
                response.failure(f"{name}: {expect!r} is not on the page")
            return response.text if response.ok else ""

    # ------------------------------------------------------------------------------------------------ tasks

    def case_list(self) -> None:
        filters = random.choice(
            [
                "",
                "?state=open",
                "?state=open&sort=due",
                "?coordinator=unassigned",
                "?sort=patient&direction=asc",
                f"?page={random.randint(1, data()['case_pages'])}",
                f"?state=open&page={random.randint(1, 3)}",
            ]
        )
        self.get_page(f"/cases/{filters}", "case list", "Cases")

    def case_page(self) -> None:
        case_id, number = random.choice(data()["cases"])
        self.get_page(f"/cases/{case_id}", "case page", number)

    def itinerary(self) -> None:
        case_id, number = random.choice(data()["itineraries"])
        self.get_page(f"/cases/{case_id}/itinerary", "itinerary", number)


class CoordinatorUser(StaffUser):
    role = "coordinator"
    weight = 3

    @task(4)
    def read_case_list(self) -> None:
        self.case_list()

    @task(4)
    def read_case(self) -> None:
        self.case_page()

    @task(2)
    def read_itinerary(self) -> None:
        self.itinerary()


class FinanceUser(StaffUser):
    role = "finance"
    weight = 2

    @task(2)
    def read_case_list(self) -> None:
        self.case_list()

    @task(2)
    def read_case(self) -> None:
        self.case_page()

    @task(1)
    def read_itinerary(self) -> None:
        self.itinerary()

    @task(1)
    def upload_bill(self) -> None:
        stay = random.choice(data()["bill_cases"])
        path = f"/billing/cases/{stay['id']}/bills/new"
        token = csrf_token(self.get_page(path, "bill upload form", stay["number"]))
        reference = f"LOAD-{uuid.uuid4().hex[:12].upper()}"
        content = bill_csv(date.fromisoformat(stay["admission"]), date.fromisoformat(stay["discharge"]))
        form = {"csrf_token": token or "", "reference": reference, "received_on": date.today().isoformat()}
        with self.client.post(
            path,
            data=form,
            files={"file": (f"{reference}.csv", content, "text/csv")},
            headers=self.referer(path),
            name="bill upload",
            catch_response=True,
        ) as response:
            if response.ok and f"Bill {reference} received" not in response.text:
                response.failure("bill upload: the bill page does not confirm the bill")

    @task(2)
    def download_invoice(self) -> None:
        number = random.choice(data()["invoices"])
        with self.client.get(f"/invoices/{number}.pdf", name="invoice PDF", catch_response=True) as response:
            if response.ok and not response.content.startswith(b"%PDF"):
                response.failure("invoice PDF: not a PDF")


class BareUser(HttpUser):
    """The baseline: the same people at the same pace, asking a route that does nothing."""

    wait_time = WAIT

    def on_start(self) -> None:
        user_ready(self.environment)

    @task
    def bare(self) -> None:
        with self.client.get("/_load/bare", name="bare route", catch_response=True) as response:
            if response.ok and response.text != "ok":
                response.failure("bare route: unexpected answer")
