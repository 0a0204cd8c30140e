"""The malformed-input sweep: every form, file upload, query parameter, address and import command the app has, fed
bad values as each role.

How it works:

1. `build_world` seeds the demo (cases in every state with bookings, documents, bills, tariffs, issued invoices and
   payments) and adds the records whose pages carry the forms the demo does not show: medicine orders (draft,
   submitted, failed in the job outbox), a failed job in Redis, bills received, under review and disputed, a draft
   final invoice, a credited paid deposit (a refund is due), an open contraindication, bookings still requested,
   inactive hospital, interpreter and account, a portal invitation and a calendar feed.
2. `discover` signs in as each role (and stays anonymous for the public pages), crawls the pages it reaches by links
   from those records' pages, its home page and every argument-less GET route of `app.url_map`, and parses each
   page's `<form>`s (action, method, fields, select options, submit buttons, file inputs): a form added tomorrow is
   swept without anyone listing it. Query parameters are those of GET forms and of the links seen, plus the
   generic ones (page, sort, per_page, q, state, next).
3. `Sweep.run_one(target, draw)` sends one input to a target, every value drawn with hypothesis: a form posted with
   some fields replaced by bad values (empty, 10k chars, huge/negative/non-numeric numbers, impossible dates,
   HTML/script, SQL, control characters, unknown options, duplicated, missing or unknown fields), or sent as latin-1,
   invalid UTF-8, JSON, plain text or a broken multipart body; a malformed file in a file field or to a `flask`
   import command (wrong delimiter, missing header, BOM, latin-1, UTF-16, binary junk, empty, 10 MB in the
   benchmark, formula injection, bad prices, dates and currencies); bad query parameters; an address with an id,
   kind or token replaced. About one input in seven goes as another role than the one that saw the form.

The oracle, for every input: no 5xx (a command: exit status 0 or 2, no traceback); no raw script or tag reflected in
an HTML page; when the answer is a refusal (4xx, a form shown again with 200, the sign-in page, exit status 2), the
stored data is unchanged; a GET changes nothing; what an accepted input stored holds no NUL, lone surrogate or
non-finite number. "Unchanged" is decided by comparing the rows of the tables (minus the ones that record refusals
on purpose, `EXCLUDED_TABLES`): a listener on the engine notes the tables of every committed INSERT/UPDATE/DELETE;
those tables, and the ones foreign keys cascade to, are read again and compared row by row; every
`FULL_CHECK_EVERY` inputs all tables are compared, which proves the listener missed nothing. After the sweep,
`recheck_pages` opens every crawled page again: stored values must come back escaped and CSV exports hold no
formula. Findings are collected, not raised, so one run reports every defect with the input that caused it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import random
import re
import tempfile
import time
import traceback
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field, replace
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

from hypothesis import strategies as st
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from backoffice.extensions import db
from tests.helpers import BackofficeClient

DEMO_PASSWORD = "demo-password"
ROLE_ACCOUNTS = {
    "admin": "admin@demo.test",
    "coordinator": "coordinator@demo.test",
    "finance": "finance@demo.test",
    "patient": "patient@demo.test",
    "anonymous": None,
}

# Tables the app writes on purpose when it refuses something; their rows are not compared.
EXCLUDED_TABLES = {
    "audit_events": "refusals of protected changes and failed sign-ins leave an audit trace (DomainError.trace)",
    "login_attempts": "failed sign-ins are counted for the throttle",
    "intake_attempts": "the public request form counts submissions per address",
}

# Query parameters tried on every page besides those seen in its links and GET forms.
GENERIC_PARAMS = ("page", "sort", "per_page", "q", "state", "next")

# Forms whose success is not a redirect to a page of the app: they change data and answer otherwise.
ACCEPTED_WITHOUT_REDIRECT = {
    "portal_invites.invite_patient": "shows the invitation link once, on the page it answers with (200)",
    "portal_invites.create_reset_link": "shows the password-reset link once, on the page it answers with (200)",
    "logistics.create_calendar_feed": "shows the feed's secret address once (200)",
    "auth.logout": "ends the session everywhere (a new session token) and sends to the sign-in page",
    "portal_invites.accept_invite": "sets the patient's password, then sends to the sign-in page",
    "logistics.itinerary_pdf_anyway": "answers with the PDF (200) and notes on the timeline that it went out anyway",
}

XSS_MARKERS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
FULL_CHECK_EVERY = 250

# ------------------------------------------------------------------------------------------------- bad values

HUGE = "9" * 40
BAD_VALUES = (
    "",
    " ",
    "\t\r\n",
    "A" * 10_000,
    "-1",
    "0",
    "-0",
    str(10**30),
    HUGE,
    "-" + HUGE,
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1,5",
    "1.2.3",
    "0x1A",
    "1_000",
    "١٢٣",
    "²",
    "\uff11\uff12\uff13",  # full-width digits
    "12abc",
    "2026-02-30",
    "0000-00-00",
    "99999-01-01",
    "2026-13-01",
    "31/12/2026",
    "2026-12-01T25:61",
    "24:00",
    "-2026-01-01",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "1; DROP TABLE cases",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\u202eevil",
    "\ufeff",
    "😀" * 300,
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "../../etc/passwd",
    "%00",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "XXX",
    "eur",
    "€",
    "ZZ",
)

INJECTIONS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "x<script>alert(1)</script>x",
    "' OR 1=1 --",
    "1; DROP TABLE cases",
    "=cmd|' /C calc'!A0",
    "{{ 7*7 }}",
)
SAFE_CHARACTERS = st.characters(blacklist_categories=("Cs",))  # lone surrogates cannot be sent as UTF-8
BAD_VALUE = st.one_of(
    st.sampled_from(BAD_VALUES),
    st.sampled_from(BAD_VALUES),
    st.sampled_from(INJECTIONS),
    st.text(SAFE_CHARACTERS, max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(BAD_VALUES).map(lambda value: value * 3),
)


def plausible_value(field_: Field) -> str:
    """A value the form would likely accept, so that one bad field reaches the rules behind the form."""
    if field_.options:
        chosen = field_.default if field_.default in field_.options else None
        return chosen or next((option for option in field_.options if option), field_.options[0])
    if field_.default:
        return field_.default
    name, kind = field_.name.lower(), field_.kind
    if kind == "date" or name.endswith("_on") or "date" in name:
        return "2026-12-01"
    if kind == "datetime-local" or name.endswith("_at"):
        return "2026-12-01T10:00"
    if kind == "time":
        return "10:00"
    if kind == "email" or "email" in name:
        return "fuzz@fuzz.example"
    if kind == "password" or "password" in name:
        return "fuzz fuzz fuzz fuzz"
    if any(word in name for word in ("amount", "price", "rate", "fee")):
        return "100.00"
    if any(word in name for word in ("quantity", "hours", "days", "percent", "share", "number", "count")):
        return "1"
    if kind == "number":
        return "1"
    if "currency" in name:
        return "EUR"
    if "country" in name:
        return "DE"
    if "language" in name:
        return "en"
    if "phone" in name:
        return "+49 69 000"
    if "airport" in name:
        return "FRA"
    return "fuzz"


# ------------------------------------------------------------------------------------------------- malformed files

TARIFF_COLUMNS = ("code", "description", "resident_price", "currency", "valid_from", "valid_to")
TARIFF_ROW = ("FZ-001", "Fuzz item", "100.00", "EUR", "2026-01-01", "")
BILL_COLUMNS = ("line", "date", "code", "description", "quantity", "unit_price", "currency")
BILL_ROW = ("1", "2026-10-20", "ABM-LAB1", "Laboratory panel", "1", "95.50", "EUR")
CSV_CELLS = st.one_of(
    st.sampled_from(
        (
            "=cmd|' /C calc'!A0",
            "+SUM(1+1)",
            "-1",
            "-100.00",
            "0",
            str(10**30),
            "1e309",
            "NaN",
            "Infinity",
            "1.23456789",
            "1,234.50",
            "XXX",
            "eur",
            "EURO",
            "€",
            "",
            "2026-02-30",
            "0000-00-00",
            "99999-01-01",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "a\x00b",
            "\x1b[31m",
            "A" * 5000,
        )
    ),
    st.text(SAFE_CHARACTERS, max_size=20),
)


@st.composite
def malformed_file(draw, columns: tuple[str, ...], row: tuple[str, ...], *, huge: bool = False) -> tuple[bytes, str]:
    """A CSV (or not-CSV) file: a valid template spoiled in one or more ways; returns (content, description)."""
    if huge:
        body = ",".join(columns) + "\n" + "\n".join(",".join(row) for _ in range(10 * 1024 * 1024 // 40)) + "\n"
        return body.encode()[: 10 * 1024 * 1024], "10 MB file"
    junk = draw(st.integers(0, 9))
    if junk == 0:
        return draw(
            st.sampled_from(
                (
                    (b"", "empty file"),
                    (b"\x00" * 64, "NUL bytes"),
                    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "a PDF header"),
                    (b"\xff\xfe\x00\x00garbage", "binary junk"),
                    (b"PK\x03\x04" + bytes(range(256)), "a zip header"),
                    (",".join(columns).encode(), "header only"),
                    (b"\n\n\n", "blank lines"),
                )
            )
        )
    if junk == 1:
        return draw(st.binary(max_size=2000)), "random bytes"
    header = list(columns)
    how: list[str] = []
    variant = draw(st.integers(0, 7))
    if variant == 1:
        header = []
        how.append("no header")
    elif variant == 2:
        header = draw(st.permutations(header))
        how.append("columns reordered")
    elif variant == 3:
        header = [*header, "extra"]
        how.append("extra column")
    elif variant == 4:
        header = [*header, header[0]]
        how.append("repeated column")
    elif variant == 5:
        header = [name.upper() + " " for name in header]
        how.append("header in capitals")
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        cells = list(row)
        for _ in range(draw(st.integers(0, 3))):
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CSV_CELLS)
        shape = draw(st.integers(0, 6))
        if shape == 1:
            cells = cells[:-1]
        elif shape == 2:
            cells = [*cells, "surplus"]
        rows.append(cells)
    delimiter = draw(st.sampled_from((",", ",", ",", ";", "\t", "|")))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=draw(st.sampled_from(("\n", "\r\n", "\r"))))
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(("utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252")))
    content = out.getvalue().encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        content = content[: draw(st.integers(0, len(content)))] + b"\xc3\x28\xff"  # cut, with invalid UTF-8
        how.append("truncated with invalid UTF-8")
    how += [f"delimiter {delimiter!r}", encoding]
    return content, ", ".join(how)


FILE_TEMPLATES = {
    # endpoint of the form's action -> (columns, a valid row); other file fields get the tariff's shape as junk
    "billing.import_tariff": (TARIFF_COLUMNS, TARIFF_ROW),
    "billing.receive_bill": (BILL_COLUMNS, BILL_ROW),
    "billing.receive_correction": (BILL_COLUMNS, BILL_ROW),
}
# Values put in place of one variable part of an address (an id, a booking kind, a token, an invoice number).
BAD_PATH_VALUES = (
    "0",
    "-1",
    "2147483648",
    "99999999999999999999999",
    "1e3",
    "1.5",
    "abc",
    "\u0661",
    "\uff11",
    "..",
    "A" * 300,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "caf\u00e9",
    " ",
    "%",
)

# `flask` commands that read a file (the file's path is appended), with the form whose file shape they take.
CLI_IMPORTS = {
    ("tariffs", "import", "FRA-ABM"): "billing.import_tariff",
    ("bills", "audit", "FRA-ABM"): "billing.receive_bill",
    ("bills", "audit", "FRA-ABM", "--json"): "billing.receive_bill",
}
FILE_NAMES = st.sampled_from(
    ("upload.csv", "upload.csv", "", "../../etc/passwd", "a" * 300 + ".csv", "x.exe", "<script>.csv", "ü\x01.csv")
)

# ------------------------------------------------------------------------------------------------- page parsing


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # input type, "select", "textarea" or "button"
    default: str = ""
    options: tuple[str, ...] = ()

    @property
    def is_file(self) -> bool:
        return self.kind == "file"


@dataclass
class Form:
    role: str
    page: str
    action: str
    method: str
    endpoint: str
    fields: tuple[Field, ...]

    @property
    def key(self) -> tuple:
        return (self.role, self.endpoint, self.method, tuple(sorted({f.name for f in self.fields})))

    @property
    def has_file(self) -> bool:
        return any(f.is_file for f in self.fields)


class PageParser(HTMLParser):
    """Links and forms of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").upper(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                self._add(a["name"], kind, a.get("value", "on") if "checked" in a else "", a.get("value", "on"))
            elif kind in ("submit", "button", "image", "reset"):
                self._add(a["name"], "button", "", a.get("value", ""))
            else:
                self._add(a["name"], kind, a.get("value", ""))
        elif tag == "button" and a.get("name"):
            self._add(a["name"], "button", "", a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "options": [], "selected": ""}
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["selected"] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            s = self._select
            self._form["fields"][s["name"]] = Field(s["name"], "select", s["selected"], tuple(s["options"]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            t = self._textarea
            self._form["fields"][t["name"]] = Field(t["name"], "textarea", t["text"].lstrip("\n"))
            self._textarea = None

    def _add(self, name: str, kind: str, default: str, option: str | None = None) -> None:
        fields = self._form["fields"]
        known = fields.get(name)
        options = (*(known.options if known else ()), option) if option is not None else ()
        fields[name] = Field(name, kind, (known.default if known and known.default else default), options)


# ------------------------------------------------------------------------------------------------- the world


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)  # public links: invitation, calendar feed
    account_ids: dict[str, int] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # sweep role -> the role its account holds (repaired)
    urls: list[str] = field(default_factory=list)  # pages of the records added for their forms: crawled first


def build_world(app) -> World:
    """The demo data set plus the records the demo lacks (each makes one more form appear), committed."""
    from datetime import timedelta

    from backoffice.auth.models import User
    from backoffice.billing import bills
    from backoffice.billing.models import HospitalBill
    from backoffice.cases.documents import documents_dir
    from backoffice.cases.models import Case, CaseDocument, ScreeningAnswer
    from backoffice.dbtypes import utcnow
    from backoffice.directory.models import Hospital
    from backoffice.invoicing import issuing, payments
    from backoffice.invoicing import operations as invoicing
    from backoffice.invoicing.models import Invoice
    from backoffice.jobs import AppSimpleWorker, get_queue, make_worker
    from backoffice.logistics import calendar
    from backoffice.portal import invites
    from backoffice.shipments import operations as shipments
    from backoffice.shipments.models import Pharmacy
    from tests.factories import make_hospital, make_user
    from tests.invoicing.factories import make_approved_bill
    from tests.logistics.factories import make_flight, make_hotel, make_interpreter, make_interpreter_booking
    from tests.shipments.factories import make_prescription, order_input, run_jobs, submitted_order

    redis_connection_of(app).flushdb()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    world = World()
    for role, email in ROLE_ACCOUNTS.items():
        if email:
            user = db.session.scalar(select(User).where(User.email == email))
            world.account_ids[role] = user.id
            world.roles[role] = user.role
    coordinator, finance = world.account_ids["coordinator"], world.account_ids["finance"]

    def cases_in(state: str) -> list[Case]:
        return db.session.scalars(select(Case).where(Case.state == state).order_by(Case.id)).all()

    # Medicine orders: a draft (edit, submit) and a submitted one (cancel); a refused one fails in the job outbox,
    # and a job from outside the outbox fails in Redis (the administrators' requeue buttons).
    pharmacy = db.session.scalars(select(Pharmacy).order_by(Pharmacy.id)).first()
    discharged = cases_in("discharged")
    for case, submit in ((discharged[0], False), (discharged[1], True)):
        prescription = make_prescription(case, uploaded_by=db.session.get(User, coordinator))
        (documents_dir() / prescription.stored_name).write_bytes(b"%PDF-1.4\n% prescription\n")
        order = shipments.create_order(case.id, order_input(pharmacy, prescription), actor_id=coordinator)
        if submit:
            shipments.submit_order(order.id, actor_id=coordinator, expected_version=None)
        world.urls += [f"/medicine-orders/{order.id}", f"/medicine-orders/{order.id}/progress.json"]
    db.session.commit()
    rq_log = logging.getLogger("rq.worker")
    level, rq_log.level = rq_log.level, logging.CRITICAL  # the job failing on purpose need not print its traceback
    try:
        submitted_order(behaviour="refused", case=discharged[2])
        run_jobs(app)
        get_queue().enqueue("builtins.int", "not a number")
        make_worker(app, worker_class=AppSimpleWorker).work(burst=True, with_scheduler=False)
    finally:
        rq_log.setLevel(level)
    db.session.remove()
    discharged = cases_in("discharged")

    # Billing: the demo's received bill disputed (correction, dispute letter); one bill received (start the review)
    # and one under review (decide lines, approve, dispute).
    from backoffice.billing.models import BillLine

    received = db.session.scalars(select(HospitalBill).where(HospitalBill.status == "received")).first()
    bills.start_review(received.id, actor_id=finance)
    line = db.session.scalars(select(BillLine).where(BillLine.bill_id == received.id).order_by(BillLine.id)).first()
    bills.decide_line(line.id, "disputed", "Charged above the resident tariff", actor_id=finance)
    bills.dispute_bill(received.id, actor_id=finance)
    for case, status in ((discharged[3], "received"), (discharged[4], "under_review")):
        case.hospital_id = case.hospital_id or received.hospital_id
        make_approved_bill(case, status=status)
    world.urls += [f"/billing/bills/{bill_id}" for bill_id in db.session.scalars(select(HospitalBill.id))]

    # Invoicing: a draft final invoice; a paid deposit then credited in full (a refund is due on it).
    for bill in db.session.scalars(select(HospitalBill).where(HospitalBill.status == "approved")).all():
        try:
            with db.session.begin_nested():
                draft, _ = invoicing.create_final_draft(bill.case_id, actor_id=finance)
            world.urls.append(f"/invoices/{draft.id}")
            break
        except Exception:  # a case the rules refuse simply gets no draft; the next one is tried
            continue
    deposit = db.session.scalars(
        select(Invoice).where(Invoice.kind == "deposit", Invoice.status == "issued").order_by(Invoice.id)
    ).first()
    if deposit is not None:
        try:
            with db.session.begin_nested():
                account = payments.account_of(deposit)
                payments.record_payment(
                    deposit.id,
                    actor_id=finance,
                    amount=account.outstanding,
                    currency=deposit.currency,
                    received_on=utcnow().date(),
                    method="bank_transfer",
                )
                note = invoicing.create_credit_note_draft(
                    deposit.id,
                    actor_id=finance,
                    reason="Trip cancelled",
                    amounts={line.id: None for line in deposit.lines},
                )
                issuing.issue_invoice(note.id, actor_id=finance)
            world.urls.append(f"/invoices/{deposit.id}")
        except Exception:  # without it the refund form is not found, which the coverage test names
            pass
    # Invoicing: a deposit paid beyond what was open (a credit on its case) and a second deposit open beside it, so
    # the case's credit can be applied or refunded.
    open_deposit = db.session.scalars(
        select(Invoice)
        .where(Invoice.kind == "deposit", Invoice.status == "issued", Invoice.id != getattr(deposit, "id", None))
        .order_by(Invoice.id.desc())
    ).first()
    if open_deposit is not None:
        try:
            with db.session.begin_nested():
                payments.record_payment(
                    open_deposit.id,
                    actor_id=finance,
                    amount=payments.account_of(open_deposit).outstanding + 100,
                    currency=open_deposit.currency,
                    received_on=utcnow().date(),
                    method="bank_transfer",
                )
                rate = {"exchange_rate": open_deposit.exchange_rate, "exchange_rate_on": open_deposit.exchange_rate_on}
                second = invoicing.create_deposit_draft(open_deposit.case_id, actor_id=finance, amount="50", **rate)
                issuing.issue_invoice(second.id, actor_id=finance)
            world.urls.append(f"/cases/{open_deposit.case_id}/invoices")
        except Exception:  # without it the credit forms are not found, which the coverage test names
            pass
    invoiced = set(db.session.scalars(select(Invoice.case_id)))
    plain = next(case for case in cases_in("discharged")[5:] if case.id not in invoiced)
    world.urls.append(f"/cases/{plain.id}/invoices")  # no invoice yet: its invoicing currency may be set

    # Cases: an open contraindication to resolve; bookings still requested (confirm); inactive records (reactivate).
    answer = db.session.scalars(select(ScreeningAnswer).order_by(ScreeningAnswer.id)).first()
    answer.answer, answer.resolved_on = "yes", None
    world.urls.append(f"/cases/{answer.case_id}")
    booked = cases_in("travel_booked") or cases_in("confirmed")
    open_case = booked[0]
    start = utcnow().date() + timedelta(days=30)
    make_hotel(open_case, check_in_on=start, check_out_on=start + timedelta(days=3), status="requested")
    interpreter = make_interpreter(name="Fuzz Interpreter")
    make_interpreter_booking(
        open_case, interpreter, starts_at=utcnow() + timedelta(days=31), status="requested", language="en"
    )
    world.urls += [f"/cases/{open_case.id}/bookings", f"/cases/{open_case.id}/interpreters"]
    # A flight nobody meets: the itinerary has an open problem, so its PDF asks before it is downloaded anyway.
    make_flight(open_case, departs_at=utcnow() + timedelta(days=29), arrives_at=utcnow() + timedelta(days=29, hours=6))
    world.urls.append(f"/cases/{open_case.id}/itinerary.pdf")
    # A discharged case whose failed medicine order left a reminder (mark it done) and where follow-ups are added.
    world.urls.append(f"/cases/{discharged[2].id}")
    world.urls.append(f"/interpreters/{make_interpreter(name='Retired Interpreter', active=False).id}")
    world.urls.append(f"/directory/hospitals/{make_hospital(active=False).id}")
    world.urls.append(f"/admin/users/{make_user('coordinator', active=False).id}")

    # Pages whose forms a short crawl may not reach: a case in the queue (take it, choose its programme), a case with
    # medical records (download), another staff account (deactivate, change role).
    queued = next(case for case in cases_in("new") if case.coordinator_id is None)
    with_records = db.session.scalars(select(CaseDocument.case_id).order_by(CaseDocument.id)).first()
    colleague = db.session.scalar(select(User.id).where(User.email == "coordinator2@demo.test"))
    world.urls += [f"/cases/{queued.id}", f"/cases/{with_records}", f"/admin/users/{colleague}"]
    clinic = db.session.scalar(select(Hospital.id).where(Hospital.code == "FRA-ABM"))
    world.urls += [f"/directory/hospitals/{clinic}", f"/interpreters/{interpreter.id}"]
    invited = cases_in("new")[0]  # invited by an administrator: the case need not be this coordinator's
    _, world.tokens["invite"] = invites.invite_patient(invited.id, actor_id=world.account_ids["admin"])
    world.urls.append(f"/cases/{invited.id}")  # as an admin: the reset-link form of the account just opened
    _, world.tokens["calendar"] = calendar.create_feed(coordinator, actor_id=coordinator)
    world.urls += [f"/invite/{world.tokens['invite']}", f"/calendar/{world.tokens['calendar']}.ics"]
    db.session.commit()
    return world


def redis_connection_of(app):
    from backoffice.jobs import redis_connection

    with app.app_context():
        return redis_connection()


def sign_in(client: BackofficeClient, role: str) -> None:
    email = ROLE_ACCOUNTS[role]
    if email is None:
        return
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"sign-in as {role} failed: {response.status_code}"


# ------------------------------------------------------------------------------------------------- discovery


@dataclass
class Discovery:
    forms: list[Form] = field(default_factory=list)
    pages: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))  # (role, endpoint)
    params: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # endpoint -> query names
    get_endpoints: set[str] = field(default_factory=set)
    requests: int = 0
    findings: list[str] = field(default_factory=list)

    @property
    def post_endpoints(self) -> set[str]:
        return {form.endpoint for form in self.forms if form.method == "POST"}


# How many different addresses of one endpoint the crawl opens per role: the case page differs by state, so more.
CRAWL_CAPS = {"invoicing.show_invoice": 6, "billing.show_bill": 5, "logistics.list_bookings": 2}
CRAWL_SKIP_SUFFIXES = (".pdf", ".ics", ".csv")


def endpoint_of(app, path: str, method: str = "GET") -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urlsplit(path).path, method=method)
    except RequestRedirect as redirect:
        return endpoint_of(app, urlsplit(redirect.new_url).path, method)
    except HTTPException:
        return None
    return endpoint


def discover(
    app, clients: dict[str, BackofficeClient], world: World, *, default_cap: int = 3, case_cap: int = 15
) -> Discovery:
    found = Discovery()
    seen_forms: set[tuple] = set()
    starts = [*world.urls, "/", "/dashboard", "/portal/"]
    starts += [rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and not rule.arguments]
    downloads: Counter = Counter()  # files (PDFs take a second to render): one of each kind, whoever asks
    for role, client in clients.items():
        queue = deque(starts)
        visited: set[str] = set()
        opened: Counter = Counter()
        while queue:
            url = queue.popleft()
            if url in visited or url.startswith("/static/"):
                continue
            visited.add(url)
            endpoint = endpoint_of(app, url)
            if endpoint is None:
                continue
            if url.split("?")[0].endswith(CRAWL_SKIP_SUFFIXES):
                downloads[endpoint] += 1
                if downloads[endpoint] > 1:
                    continue
            cap = case_cap if endpoint == "cases.show_case" else max(default_cap, CRAWL_CAPS.get(endpoint, 0))
            if opened[endpoint] >= cap and url not in world.urls:  # the world's chosen pages are always opened
                continue
            opened[endpoint] += 1
            response = client.get(url)
            found.requests += 1
            if response.status_code >= 500:
                found.findings.append(f"{response.status_code} on GET {url} as {role}")
            if response.status_code < 400:
                found.get_endpoints.add(endpoint)
            if response.status_code != 200:
                continue
            found.pages[(role, endpoint)].append(url)
            for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True):
                found.params[endpoint].add(name)
            if response.mimetype != "text/html":
                continue
            parser = PageParser()
            parser.feed(response.get_data(as_text=True))
            for href in parser.links:
                target = urljoin(url, href)
                parts = urlsplit(target)
                if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                    continue
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
            for raw in parser.forms:
                action = urljoin(url, raw["action"] or url)
                parts = urlsplit(action)
                if parts.netloc:
                    continue
                action = parts.path + (f"?{parts.query}" if parts.query else "")
                form_endpoint = endpoint_of(app, action, raw["method"])
                if form_endpoint is None:
                    continue
                form = Form(role, url, action, raw["method"], form_endpoint, tuple(raw["fields"].values()))
                if raw["method"] == "GET":
                    found.params[form_endpoint].update(f.name for f in form.fields)
                    queue.append(
                        action.split("?")[0] + "?" + urlencode({f.name: plausible_value(f) for f in form.fields})
                    )
                if form.key not in seen_forms:
                    seen_forms.add(form.key)
                    found.forms.append(form)
    return found


# ------------------------------------------------------------------------------------------------- change tracking


class WriteTracker:
    """Tables that committed INSERT/UPDATE/DELETE statements touched since the last `take()`."""

    WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)

    def __init__(self, engine):
        self.engine = engine
        self.committed: set[str] = set()

    def _pending(self, conn) -> set[str]:
        return conn.info.setdefault("fuzz_pending_writes", set())

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        match = self.WRITE.match(statement)
        if match:
            self._pending(conn).add(match.group(1).lower())

    def _commit(self, conn):
        self.committed |= self._pending(conn)
        self._pending(conn).clear()

    def _rollback(self, conn):
        self._pending(conn).clear()

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def take(self) -> set[str]:
        tables, self.committed = self.committed, set()
        return tables


def read_tables(names) -> dict[str, dict[tuple, tuple]]:
    """Every row of each table, by primary key."""
    tables = {table.name: table for table in db.metadata.sorted_tables}
    rows: dict[str, dict[tuple, tuple]] = {}
    with db.engine.connect() as connection:
        for name in names:
            table = tables.get(name)
            if table is None or name in EXCLUDED_TABLES:
                continue
            key = [column.name for column in table.primary_key.columns]
            rows[name] = {
                tuple(getattr(row, k) for k in key): tuple(row)
                for row in connection.execute(select(*table.columns).order_by(*table.primary_key.columns))
            }
    return rows


def with_dependents(names: set[str]) -> set[str]:
    """`names` and every table whose rows the database itself may change with them (ON DELETE CASCADE / SET NULL
    through foreign keys), transitively: a DELETE of a contraindication changes screening answers it never names."""
    tables = {table.name: table for table in db.metadata.sorted_tables}
    found, todo = set(names), list(names)
    while todo:
        parent = todo.pop()
        for table in tables.values():
            if table.name not in found and any(fk.column.table.name == parent for fk in table.foreign_keys):
                found.add(table.name)
                todo.append(table.name)
    return found


def all_table_names() -> list[str]:
    return [table.name for table in db.metadata.sorted_tables if table.name not in EXCLUDED_TABLES]


def changed_rows(before: dict[tuple, tuple], after: dict[tuple, tuple]) -> list[tuple]:
    return [row for key, row in after.items() if before.get(key) != row]


def insane(value: Any) -> str | None:
    """Why a stored value is unfit, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "a NUL character"
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            return "a lone surrogate"
    elif (isinstance(value, Decimal) and not value.is_finite()) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        return f"the number {value}"
    return None


# ------------------------------------------------------------------------------------------------- the sweep


class _ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.last: str = ""

    def emit(self, record):
        self.last = self.format(record)


@dataclass
class Input:
    kind: str  # "form", "file", "query", "path", "cli", "recheck"
    role: str
    method: str
    url: str
    target: str  # endpoint
    description: str
    form: Form | None = None


class Sweep:
    def __init__(
        self,
        app,
        world: World,
        *,
        huge_files: bool = False,
        default_cap: int = 3,
        case_cap: int = 15,
        one_role_per_form: bool = False,
        roles: tuple[str, ...] = tuple(ROLE_ACCOUNTS),
    ):
        self.app = app
        self.world = world
        self.huge_files = huge_files
        self.clients: dict[str, BackofficeClient] = {}
        self.roles = roles
        for role in roles:
            client = app.test_client()
            sign_in(client, role)
            self.clients[role] = client
        self.discovery = discover(app, self.clients, world, default_cap=default_cap, case_cap=case_cap)
        self.findings: list[str] = list(self.discovery.findings)
        self.tokens: dict[str, str] = {}
        self.counts: Counter = Counter()
        self.statuses: Counter = Counter()
        self.exit_statuses: Counter = Counter()  # of the import commands
        self.huge_uploads = 0
        self.swept: dict[str, set[str]] = defaultdict(set)  # kind -> endpoints that got inputs
        self.started = time.perf_counter()
        self.one_role_per_form = one_role_per_form
        self.targets = self._targets()
        self.tracker = WriteTracker(db.engine)
        self.tracker.__enter__()
        self.rows = read_tables(all_table_names())
        self.errors = _ErrorLog()
        app.logger.addHandler(self.errors)
        self.anonymous_address = 0

    def close(self) -> None:
        self.tracker.__exit__(None, None, None)
        self.app.logger.removeHandler(self.errors)

    # targets: every form (file fields included), every page's query string, the import commands, every address with ids
    def _targets(self) -> list[tuple[str, Any]]:
        targets: list[tuple[str, Any]] = []
        seen: set[tuple] = set()
        for form in self.discovery.forms:
            if self.one_role_per_form:  # a form several roles see is swept as the first of them (and at random others)
                if form.key[1:] in seen:
                    continue
                seen.add(form.key[1:])
            targets.append(("file" if form.has_file else "form", form))
        pages: dict[str, tuple[str, str]] = {}
        for (role, endpoint), urls in sorted(self.discovery.pages.items()):
            pages.setdefault(endpoint, (role, urls[0]))
        for endpoint, (role, url) in sorted(pages.items()):
            targets.append(("query", (role, url, endpoint)))
        for command in CLI_IMPORTS:
            targets.append(("cli", command))
        for address in self._addresses():
            targets.append(("path", address))
        return targets

    def _addresses(self) -> list[tuple[str, str, str, str]]:
        """(role, method, address, endpoint) of one page and one form action per endpoint whose rule has variables."""
        adapter = self.app.url_map.bind("localhost")
        found: dict[tuple[str, str], tuple[str, str, str, str]] = {}
        pages = [(role, "GET", urls[0], e) for (role, e), urls in sorted(self.discovery.pages.items())]
        actions = [(f.role, f.method, f.action.split("?")[0], f.endpoint) for f in self.discovery.forms]
        for role, method, url, endpoint in pages + actions:
            try:
                _, args = adapter.match(urlsplit(url).path, method=method)
            except HTTPException:
                continue
            if args and (method, endpoint) not in found:
                found[(method, endpoint)] = (role, method, urlsplit(url).path, endpoint)
        return list(found.values())

    @property
    def inputs(self) -> int:
        return sum(self.counts.values())

    # one input
    def run_one(self, target: tuple[str, Any], draw) -> None:
        """Send one malformed input to `target`; every draw comes from hypothesis and depends on the target only."""
        kind, what = target
        if kind == "cli":
            self._cli_input(draw, what)
            return
        if kind == "path":
            self._send(*self._path_input(draw, *what))
            self.counts["path"] += 1
            self.swept["path"].add(what[3])
            return
        if kind == "query":
            role, url, endpoint = what
            role = draw(st.sampled_from(self.roles)) if draw(st.integers(0, 9)) == 0 else role
            request = self._query_input(draw, role, url, endpoint)
        else:
            form: Form = what
            role = form.role if draw(st.integers(0, 6)) else draw(st.sampled_from(self.roles))
            request = self._form_input(draw, role, form)
        self.counts[kind] += 1
        self.swept[f"{kind} {request[0].method}"].add(request[0].target)
        self._send(*request)

    def _path_input(self, draw, role: str, method: str, path: str, endpoint: str):
        """The address with one of its segments (an id, a kind, a token) replaced by a bad value."""
        segments = path.split("/")
        positions = [i for i, segment in enumerate(segments) if segment]
        variable = [i for i in positions if _is_variable(self.app, segments, i, method, endpoint)]
        index = draw(st.sampled_from(variable or positions))
        value = draw(st.sampled_from(BAD_PATH_VALUES))
        suffix = next((ext for ext in (".pdf", ".ics", ".json") if segments[index].endswith(ext)), "")
        segments[index] = quote(value, safe="") + suffix
        role = role if draw(st.integers(0, 6)) else draw(st.sampled_from(self.roles))
        request = Input("path", role, method, "/".join(segments), endpoint, f"segment {index} = {value[:40]!r}")
        return request, ({"values": {}, "files": {}, "encoding": "utf-8"} if method == "POST" else {})

    def _cli_input(self, draw, command: tuple[str, ...]) -> None:
        """A malformed file handed to a `flask` import command: it imports or refuses (exit status 2), never crashes."""
        columns, row = FILE_TEMPLATES[CLI_IMPORTS[command]]
        content, how = draw(malformed_file(columns, row))
        self.counts["cli"] += 1
        self.swept["cli"].add(" ".join(command))
        with tempfile.TemporaryDirectory(prefix="fuzz-cli-") as folder:
            path = os.path.join(folder, "import.csv")
            with open(path, "wb") as handle:
                handle.write(content)
            args = [*command, path]
            result = self.app.test_cli_runner().invoke(args=args)
        request = Input("cli", "cli", "CLI", "flask " + " ".join(command), CLI_IMPORTS[command], how)
        what = f"flask {' '.join(command)} <file: {how}, {len(content)} bytes>"
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        if crashed or result.exit_code not in (0, 2):
            detail = "".join(traceback.format_exception(result.exception)) if result.exception else result.output
            self.findings.append(f"exit status {result.exit_code} from {what}\n{detail[-3000:]}")
        self.exit_statuses[result.exit_code] += 1
        self._compare(request, refused=result.exit_code != 0, what=what, status=f"exit {result.exit_code}")

    def _client(self, role: str) -> BackofficeClient:
        return self.clients[role]

    def _csrf(self, role: str) -> str:
        if role not in self.tokens:
            self.tokens[role] = self._client(role).csrf_token()
        return self.tokens[role]

    def _query_input(self, draw, role: str, url: str, endpoint: str):
        names = sorted(self.discovery.params.get(endpoint, set()) | set(GENERIC_PARAMS))
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4))
        pairs = [(name, draw(BAD_VALUE)) for name in chosen]
        path = url.split("?")[0]
        raw = draw(st.integers(0, 9)) == 0
        query = urlencode(pairs)
        if raw:  # bytes that are not UTF-8
            query += "&" + chosen[0] + "=%FF%FE%C3%28" + "&" + chosen[-1] + "=caf%E9"
        request = Input("query", role, "GET", f"{path}?{query}", endpoint, f"query {pairs!r}{' + raw bytes' * raw}")
        return request, {}

    def _form_input(self, draw, role: str, form: Form):
        values: dict[str, list[Any]] = {}
        for f in form.fields:
            if f.name == "csrf_token" or f.kind == "button":
                continue
            if f.kind == "checkbox":
                if draw(st.booleans()):
                    values[f.name] = [f.options[0] if f.options else "y"]
                continue
            if f.is_file:
                continue
            values[f.name] = [plausible_value(f)]
        buttons = [f for f in form.fields if f.kind == "button" and f.options]
        for button in buttons:
            values[button.name] = [draw(st.sampled_from(button.options))]
        described: list[str] = []
        editable = sorted(values)
        if editable:
            for name in draw(st.lists(st.sampled_from(editable), min_size=1, max_size=3, unique=True)):
                how = draw(st.integers(0, 19))
                if how == 0:
                    del values[name]
                    described.append(f"{name} missing")
                elif how == 1:
                    values[name] = [draw(BAD_VALUE), draw(BAD_VALUE)]
                    described.append(f"{name} twice {values[name]!r}")
                else:
                    values[name] = [draw(BAD_VALUE)]
                    described.append(f"{name}={values[name][0]!r}")
        if not editable or draw(st.integers(0, 9)) == 0:  # a button's form has no field but its token to spoil
            values["unexpected_field"] = [draw(BAD_VALUE)]
            described.append(f"an unknown field {values['unexpected_field'][0]!r}"[:120])
        if not editable and draw(st.booleans()):
            values["csrf_token"] = [draw(BAD_VALUE)]  # a second token beside the valid one
            described.append("a second, bad csrf_token")
        files = {}
        kind = "form"
        for f in form.fields:
            if f.is_file:
                kind = "file"
                columns, row = FILE_TEMPLATES.get(form.endpoint, (TARIFF_COLUMNS, TARIFF_ROW))
                huge = self.huge_files and draw(st.integers(0, 49)) == 0
                content, how = draw(malformed_file(columns, row, huge=huge))
                self.huge_uploads += huge
                name = draw(FILE_NAMES)
                files[f.name] = (content, name)
                described.append(f"file {name!r}: {how} ({len(content)} bytes)")
        encoding = "utf-8"
        if not files and draw(st.integers(0, 14)) == 0:
            encoding = draw(st.sampled_from(("latin-1", "invalid-utf-8", "json", "text/plain", "broken multipart")))
            described.append(f"body in {encoding}")
        request = Input(kind, role, form.method, form.action, form.endpoint, "; ".join(described) or "as shown", form)
        return request, {"values": values, "files": files, "encoding": encoding}

    def _send(self, request: Input, payload: dict) -> None:
        client = self._client(request.role)
        environ = {}
        if request.role == "anonymous":  # the sign-in throttle and the intake limit count per address
            self.anonymous_address += 1
            environ["REMOTE_ADDR"] = f"198.51.{self.anonymous_address // 250 % 250}.{self.anonymous_address % 250 + 1}"
        self.errors.last = ""
        if request.method == "GET" and not payload:
            response = client.get(request.url, environ_overrides=environ)
        elif request.method == "GET":
            query = urlencode([(k, v) for k, vs in payload["values"].items() for v in vs])
            request.url = request.url.split("?")[0] + "?" + query
            response = client.get(request.url, environ_overrides=environ)
        else:
            response = self._post(client, request, payload, environ)
        self.statuses[response.status_code] += 1
        self._judge(request, response)

    def _post(self, client, request: Input, payload: dict, environ: dict):
        values = payload["values"]
        token = self._csrf(request.role) if request.role != "anonymous" else client.csrf_token()
        if payload["encoding"] in ("json", "text/plain", "broken multipart"):
            flat = {"csrf_token": token, **{name: items[-1] for name, items in values.items()}}
            bodies = {
                "json": (json.dumps(flat), "application/json"),
                "text/plain": ("\n".join(f"{k}={v}" for k, v in flat.items()), "text/plain"),
                "broken multipart": (
                    '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n',
                    "multipart/form-data",
                ),
            }
            body, content_type = bodies[payload["encoding"]]
            return client.post(request.url, data=body, content_type=content_type, csrf=False, environ_overrides=environ)
        if payload["encoding"] != "utf-8":
            pairs = [("csrf_token", token.encode())]
            for name, items in values.items():
                for value in items:
                    if payload["encoding"] == "latin-1":
                        pairs.append((name, str(value).encode("latin-1", errors="replace")))
                    else:
                        pairs.append((name, str(value).encode() + b"\xff\xfe\xc3\x28"))
            body = "&".join(f"{name}={_quote(value)}" for name, value in pairs)
            return client.post(
                request.url,
                data=body,
                content_type="application/x-www-form-urlencoded",
                csrf=False,
                environ_overrides=environ,
            )
        data = MultiDict([("csrf_token", token)])  # first: the one Flask-WTF reads
        for name, items in values.items():
            for value in items:
                data.add(name, value)
        for name, (content, filename) in payload["files"].items():
            data.add(name, (io.BytesIO(content), filename, "text/csv"))
        return client.post(request.url, data=data, csrf=False, environ_overrides=environ)

    # the oracle
    def _judge(self, request: Input, response) -> None:
        what = f"{request.method} {request.url[:200]} as {request.role} ({request.description[:400]})"
        status = response.status_code
        if status >= 500:
            self.findings.append(f"{status} on {what}\n{self.errors.last[-3000:]}")
        if response.mimetype == "text/html":
            self._check_markup(request, response)
        location = response.headers.get("Location", "")
        to_login = status in (301, 302, 303) and "/login" in location
        refused = request.method == "GET" or status >= 400
        if request.target not in ACCEPTED_WITHOUT_REDIRECT:
            refused = refused or status == 200 or to_login
        self._compare(request, refused=refused, what=what, status=status)
        if status in (301, 302, 303) and not to_login:
            self._repair_accounts()
        if status == 409 and request.form is not None:
            self._refresh(request.form)
        if (to_login and request.role != "anonymous") or request.target == "auth.logout":
            self._sign_in_again(request.role)

    def _compare(self, request: Input, *, refused: bool, what: str, status) -> None:
        """The tables the input wrote (and those the database changes with them) against the rows before it."""
        written = self.tracker.take()
        full = self.inputs % FULL_CHECK_EVERY == 0
        touched = with_dependents(written) - set(EXCLUDED_TABLES) if written else set()
        names = all_table_names() if full else sorted(touched)
        if names:
            now = read_tables(names)
            for name in names:
                before, after = self.rows.get(name, {}), now[name]
                if before == after:
                    continue
                if full and name not in touched:
                    self.findings.append(f"table {name} changed without a tracked write (after {what})")
                if refused:
                    self.findings.append(
                        f"{name} changed although the answer was {status} "
                        f"{'(a GET)' if request.method == 'GET' else '(a refusal)'}: {what}; "
                        f"rows {len(before)} -> {len(after)}"
                    )
                else:
                    for row in changed_rows(before, after):
                        problems = {insane(value) for value in row} - {None}
                        if problems:
                            self.findings.append(f"{name} stored {', '.join(sorted(problems))} after {what}")
            self.rows.update(now)

    def recheck_pages(self) -> int:
        """After the sweep, open every crawled page again: what accepted inputs stored (names, notes, addresses) must
        show escaped, and a CSV export must not start a cell with a spreadsheet formula. Returns the pages opened."""
        opened = 0
        for (role, endpoint), urls in sorted(self.discovery.pages.items()):
            if role not in self.clients:
                continue
            for url in urls:
                response = self._client(role).get(url)
                opened += 1
                request = Input("recheck", role, "GET", url, endpoint, "the page again after the sweep")
                if response.status_code >= 500:
                    self.findings.append(f"{response.status_code} on {url} as {role} after the sweep")
                elif response.mimetype == "text/html":
                    self._check_markup(request, response)
                elif response.mimetype == "text/csv":
                    rows = csv.reader(io.StringIO(response.get_data(as_text=True)))
                    for cell in (cell for row in rows for cell in row):
                        if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not _is_number(cell)):
                            self.findings.append(f"CSV export {url} has a cell read as a formula: {cell[:80]!r}")
        self.tracker.take()
        return opened

    def _check_markup(self, request: Input, response) -> None:
        body = response.get_data(as_text=True)
        for marker in XSS_MARKERS:
            if marker in body:
                what = f"{request.method} {request.url[:200]} as {request.role} ({request.description[:400]})"
                self.findings.append(f"unescaped {marker!r} in the answer to {what}")

    def _repair_accounts(self) -> None:
        """An accepted input may deactivate, demote or sign out a sweep account: undo it and sign in again."""
        from backoffice.auth.models import User

        ids = self.world.account_ids
        with db.engine.connect() as connection:
            rows = connection.execute(select(User.id, User.role, User.active).where(User.id.in_(ids.values()))).all()
        broken = [
            role
            for role, uid in ids.items()
            for row in rows
            if row.id == uid and (not row.active or row.role != self.world.roles[role])
        ]
        if not broken:
            return
        with db.engine.begin() as connection:
            for role in broken:
                connection.execute(
                    User.__table__.update().where(User.id == ids[role]).values(active=True, role=self.world.roles[role])
                )
        for role in broken:
            self._sign_in_again(role)

    def _refresh(self, form: Form) -> None:
        """A change accepted earlier moved the record's version on: read the form's current values again, so that
        later inputs reach the rules rather than the stale-version check. Field names stay: hypothesis draws by them.
        """
        response = self._client(form.role).get(form.page)
        self.tracker.take()
        if response.status_code != 200:
            return
        parser = PageParser()
        parser.feed(response.get_data(as_text=True))
        for raw in parser.forms:
            if urljoin(form.page, raw["action"] or form.page).endswith(form.action.split("?")[0]):
                fresh = raw["fields"]
                form.fields = tuple(
                    replace(f, default=fresh[f.name].default) if f.name in fresh else f for f in form.fields
                )
                return

    def _sign_in_again(self, role: str) -> None:
        client = self.app.test_client()
        sign_in(client, role)
        self.clients[role] = client
        self.tokens.pop(role, None)
        self.tracker.take()
        self.rows.update(read_tables(["users"]))

    # results
    def figures(self) -> dict[str, Any]:
        routes = [rule for rule in self.app.url_map.iter_rules() if rule.endpoint != "static"]
        return {
            "inputs": self.inputs,
            "form_inputs": self.counts["form"],
            "file_inputs": self.counts["file"],
            "query_inputs": self.counts["query"],
            "path_inputs": self.counts["path"],
            "addresses_swept": len(self.swept["path"]),
            "uploads_of_10_mb": self.huge_uploads,
            "cli_inputs": self.counts["cli"],
            "cli_imports": len(self.swept["cli"]),
            "forms": len(self.discovery.forms),
            "post_endpoints_swept": len(self.swept["form POST"] | self.swept["file POST"]),
            "get_forms_swept": len(self.swept["form GET"]),
            "post_endpoints_in_app": len({r.endpoint for r in routes if "POST" in r.methods}),
            "query_params": sum(
                len(self.discovery.params.get(e, set()) | set(GENERIC_PARAMS)) for e in self.swept["query GET"]
            ),
            "pages_with_query_params_swept": len(self.swept["query GET"]),
            "csv_imports": len(self.swept["file POST"]),
            "pages_crawled": self.discovery.requests,
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
            "cli_exit_statuses": {str(code): n for code, n in sorted(self.exit_statuses.items())},
            "5xx": sum(n for code, n in self.statuses.items() if code >= 500),
            "findings": len(self.findings),
            "seconds": round(time.perf_counter() - self.started, 1),
        }

    def summary(self) -> str:
        f = self.figures()
        return (
            f"malformed inputs: {f['inputs']} tried ({f['form_inputs']} form posts, {f['file_inputs']} file uploads, "
            f"{f['query_inputs']} query strings, {f['path_inputs']} addresses, {f['cli_inputs']} files to import "
            f"commands) on {f['forms']} forms, {f['csv_imports']} file fields, {f['pages_with_query_params_swept']} "
            f"pages' query parameters, the variable parts of {f['addresses_swept']} addresses and "
            f"{f['cli_imports']} commands; {f['5xx']} 5xx, {f['findings']} findings; statuses {f['statuses']}, "
            f"exit statuses {f['cli_exit_statuses']}; {f['seconds']} s"
        )


def _is_variable(app, segments: list[str], index: int, method: str, endpoint: str) -> bool:
    """Whether segment `index` of the address is a variable of its rule: changing it still reaches the endpoint."""
    probe = list(segments)
    probe[index] = "12345" if segments[index].isdigit() else "probe" + segments[index][-4:]
    if not segments[index].isdigit() and "." in segments[index]:
        probe[index] = "probe." + segments[index].rsplit(".", 1)[1]
    return endpoint_of(app, "/".join(probe), method) == endpoint


def _is_number(text_: str) -> bool:
    try:
        Decimal(text_.replace(",", ""))
    except ArithmeticError:
        return False
    return True


def _quote(value: bytes) -> str:
    from urllib.parse import quote_from_bytes

    return quote_from_bytes(value, safe="")


def shuffle_seed() -> int:
    return random.SystemRandom().randrange(2**32)
