"""The oracle: what every answer of the sweep is judged by (see sweep.py). `Oracle` is the judging half of `Sweep`:
no 5xx, no unescaped script or tag, nothing stored by a refusal or a GET, no unfit value stored."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from urllib.parse import urljoin

from sqlalchemy import select

from backoffice.extensions import db
from tests.tools.fuzz.changes import (
    EXCLUDED_TABLES,
    all_table_names,
    changed_rows,
    insane,
    read_tables,
    with_dependents,
)
from tests.tools.fuzz.pages import Form, PageParser
from tests.tools.fuzz.world import sign_in

# Forms whose success is not a redirect to a page of the app: they change data and answer otherwise.
ACCEPTED_WITHOUT_REDIRECT = {
    "portal_invites.invite_patient": "mails the invitation link to the patient; the page says where (200)",
    "portal_invites.create_reset_link": "mails the password-reset link to the patient; the page says where (200)",
    "logistics.create_calendar_feed": "shows the feed's secret address once (200)",
    "auth.logout": "ends the session everywhere (a new session token) and sends to the sign-in page",
    "portal_invites.accept_invite": "sets the patient's password, then sends to the sign-in page",
    "logistics.itinerary_pdf_anyway": "answers with the PDF (200) and notes on the timeline that it went out anyway",
    "rights.download_export": "answers with the patient's data (200, a zip) once, then deletes it and records who",
}

XSS_MARKERS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
FULL_CHECK_EVERY = 250


class ErrorLog(logging.Handler):
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


class Oracle:
    """Judges the answers of a `Sweep` (which holds the clients, the tracker and the rows compared)."""

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
                        if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not is_number(cell)):
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


def is_number(text_: str) -> bool:
    try:
        Decimal(text_.replace(",", ""))
    except ArithmeticError:
        return False
    return True
