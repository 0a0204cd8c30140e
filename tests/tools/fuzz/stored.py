"""The stored-then-rendered sweep: nasty text stored through every form (as each role that sees it), then every page,
PDF, `.ics` and CSV that shows it fetched as each role.

The malformed-input sweep (sweep.py) mostly sends values the forms refuse. This one sends text the forms should
accept, and looks at where it comes out again: a name with a line break stored by the public request form must not
break the case's calendar file, a bill reference in Cyrillic must not break the dispute letter's download name.

It runs after the malformed-input sweep, on its world, with its signed-in clients and the forms its crawl found.

1. Store: every form with a free-text field is posted (as the first role that sees it; as every such role in the
   benchmark) with plausible values in its other fields and nasty text in its text fields: the short ones in one
   value that fits a 60-character field, and when that is refused, the Cyrillic one or the line break alone (a field
   with a pattern still stores what it takes); then the markup and the 10,000 characters. File fields get a valid
   CSV whose description cells are nasty; the import commands get the same file.
2. Follow on: the pages the accepted posts landed on are opened as each role; where one shows a stored value, the
   forms on it not posted yet (the bill just received: start its review, then dispute its line) are posted in turn,
   for FOLLOW_ON rounds, so that the documents of later steps (the dispute letter) are made from nasty text too.
3. Render: as each role, from those pages, the world's pages and the lists, the links of every page that shows a
   stored value are followed and every download it offers (PDF, `.ics`, CSV) is fetched. Oracle: no 5xx, no raw
   markup in an HTML page, no spreadsheet formula in a CSV cell.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import tempfile
import time
import unicodedata
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

from werkzeug.datastructures import MultiDict

from tests.tools.fuzz.crawler import endpoint_of
from tests.tools.fuzz.oracle import XSS_MARKERS, ErrorLog, is_number
from tests.tools.fuzz.pages import Form, PageParser
from tests.tools.fuzz.payloads import CLI_IMPORTS, FILE_TEMPLATES, TARIFF_COLUMNS, TARIFF_ROW, plausible_value
from tests.tools.fuzz.world import World, sign_in

# What people type that other pages, files and headers must survive. Each holds a word that marks where it shows.
NASTY = {
    "CR/LF": "Ann\r\nLee",
    "Cyrillic": "СЧЁТ-2026-77",
    "control characters": "Zoe\x01\x08\x0b\x0c\x1b[31m\x7f\x85\x9b Ray",
    "bidi overrides": "\u202eevil\u202c \u2066gnp.exe\u2069",
    "Arabic": "مريم المنصوري",
    "CJK": "王小明",
    "emoji": "Zoë 😀 👨\u200d👩\u200d👧",
    "markup": "<script>alert(1)</script>",
    "10,000 characters": "Long " + "ю" * 9_995,
}
# All but the markup and the long one in one value that a 60-character field takes (a bill's reference).
COMBINED = "Ann\r\nLee СЧЁТ-2026-77 \x01\x1b[31m\x7f\x85 \u202eevil\u202c مريم 王小明 😀"
# When a field refuses the combined value (a pattern, a shorter limit), these are tried alone.
FALLBACKS = ("Cyrillic", "CR/LF")
MARKERS = ("Lee", "СЧЁТ", "Ray", "evil", "مريم", "王小明", "😀", "alert(1)", "ююююю")

# Fields that must stay empty or hold a known value for the form to be taken at all.
NOT_TEXT = {"website": "the public form's honeypot: filled in, the request is dropped as a bot's"}
# Forms not posted: they end the sweep's own session or make the pages it crawls go away.
NOT_POSTED = {
    "auth.logout": "ends the session",
    "logistics.revoke_calendar_feed": "the feed's address is one of the pages fetched",
}
# Next steps not taken on the records the sweep stored: they would close the record before the step whose document
# shows the stored text (the world's own bills are approved with an override note in the first round).
NOT_FOLLOWED = {"billing.approve_bill": "a bill approved is never disputed: its dispute letter would not be made"}
FOLLOW_ON = 2  # rounds of next steps on the records stored (a bill received: start its review; dispute its line)
DOWNLOAD_SUFFIXES = (".pdf", ".ics", ".csv")


def is_text(f) -> bool:
    """A free-text field: what the sweep's plausible value for it would be, without its current value, is `fuzz`."""
    if f.kind not in ("text", "textarea", "search") or f.name in NOT_TEXT or f.name == "csrf_token":
        return False
    return plausible_value(replace(f, default="")) == "fuzz"


def nasty_csv(columns: tuple[str, ...], row: tuple[str, ...], value: str) -> bytes:
    """A valid import file whose text cells (description) hold `value`."""
    cells = [value if name == "description" else cell for name, cell in zip(columns, row, strict=True)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([columns, cells])
    return out.getvalue().encode()


@dataclass
class StoredSweep:
    """Run after the malformed-input sweep, on its world, with its signed-in clients and the forms its crawl found."""

    app: object
    world: World
    clients: dict
    forms: list[Form]
    all_roles: bool = False  # post each form as every role that sees it (the benchmark), not only the first
    findings: list[str] = field(default_factory=list)
    posted: set[tuple] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    landed: list[str] = field(default_factory=list)  # pages accepted posts sent to
    fetched: set[tuple[str, str]] = field(default_factory=set)
    stored_endpoints: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.started = time.perf_counter()
        self.address = 0
        self.errors = ErrorLog()
        self.app.logger.addHandler(self.errors)

    def close(self) -> None:
        self.app.logger.removeHandler(self.errors)

    # ------------------------------------------------------------------------------------------ store

    def run(self, *, page_cap: int = 3, download_cap: int = 3) -> None:
        seen: set[tuple] = set()
        for form in self.forms:
            if form.method != "POST" or not (any(is_text(f) for f in form.fields) or form.has_file):
                continue
            if not self.all_roles and (form.endpoint, form.action) in seen:
                continue
            seen.add((form.endpoint, form.action))
            self.store(form)
        self.import_files()
        for _ in range(FOLLOW_ON):
            landed, self.landed = list(dict.fromkeys(self.landed)), []
            for form in self.next_steps(landed):
                self.store(form)
        self.render(page_cap=page_cap, download_cap=download_cap)

    def store(self, form: Form) -> None:
        key = (form.role, form.endpoint, form.action)
        if key in self.posted or form.endpoint in NOT_POSTED:
            return
        self.posted.add(key)
        if any(f.name == "version" for f in form.fields):  # an earlier post may have moved the record's version on
            form = self.fresh(form)
        texts = [f for f in form.fields if is_text(f)]
        if not texts and not form.has_file:
            self.post(form, "")  # a button on a page that shows a stored value: the next step of its record
            return
        taken = self.post(form, COMBINED)
        if not taken:
            for name in FALLBACKS:
                if self.post(form, NASTY[name]):
                    break
        for name in ("markup", "10,000 characters"):
            self.post(self.fresh(form) if taken else form, NASTY[name])

    def fresh(self, form: Form) -> Form:
        """The form as its page shows it now: a change taken moved the record's version on."""
        response = self.clients[form.role].get(form.page)
        if response.status_code == 200 and response.mimetype == "text/html":
            parser = PageParser()
            parser.feed(response.get_data(as_text=True))
            for raw in parser.forms:
                if urlsplit(urljoin(form.page, raw["action"] or form.page)).path == urlsplit(form.action).path:
                    return replace(form, fields=tuple(raw["fields"].values()))
        return form

    def post(self, form: Form, value: str) -> bool:
        """Post `form` with `value` in every text field; True when it was taken (a redirect, not to sign in)."""
        client = self.clients[form.role]
        data = MultiDict([("csrf_token", client.csrf_token())])
        for f in form.fields:
            if f.name == "csrf_token" or f.is_file:
                continue
            if f.kind == "button":
                if f.options:  # the last choice: "dispute" after "accept", so that the dispute letter exists
                    data.add(f.name, f.options[-1])
            elif f.kind == "checkbox":
                data.add(f.name, f.options[0] if f.options else "y")
            elif is_text(f) and value:
                data.add(f.name, value)
            else:
                data.add(f.name, plausible_value(f))
        for f in form.fields:
            if f.is_file:
                columns, row = FILE_TEMPLATES.get(form.endpoint, (TARIFF_COLUMNS, TARIFF_ROW))
                data.add(f.name, (io.BytesIO(nasty_csv(columns, row, value or COMBINED)), "bill.csv", "text/csv"))
        environ = {}
        if form.role == "anonymous":  # the public form counts requests per address
            self.address += 1
            environ["REMOTE_ADDR"] = f"203.0.{self.address // 250 % 250}.{self.address % 250 + 1}"
        self.errors.last = ""
        response = client.post(form.action, data=data, csrf=False, environ_overrides=environ)
        self.counts["posts"] += 1
        self.statuses[response.status_code] += 1
        what = f"POST {form.action} as {form.role} with {_shown(value)}"
        self.judge(response, what)
        location = response.headers.get("Location", "")
        taken = response.status_code in (302, 303) and "/login" not in location
        if taken:
            self.counts["stored"] += 1
            self.stored_endpoints[form.endpoint] += 1
            self.landed.append(urlsplit(location).path + (f"?{urlsplit(location).query}" if "?" in location else ""))
        if "/login" in location and form.role != "anonymous":
            sign_in(self.clients[form.role], form.role)
        return taken

    def import_files(self) -> None:
        """The import commands read the same nasty text from a file."""
        for command, endpoint in CLI_IMPORTS.items():
            if "--json" in command:
                continue
            columns, row = FILE_TEMPLATES[endpoint]
            with tempfile.TemporaryDirectory(prefix="stored-cli-") as folder:
                path = os.path.join(folder, "import.csv")
                with open(path, "wb") as handle:
                    handle.write(nasty_csv(columns, row, COMBINED))
                result = self.app.test_cli_runner().invoke(args=[*command, path])
            self.counts["imports"] += 1
            if result.exit_code not in (0, 2) or (result.exception and not isinstance(result.exception, SystemExit)):
                self.findings.append(f"exit status {result.exit_code} from flask {' '.join(command)}: {result.output}")

    # ------------------------------------------------------------------------------------------ render

    def next_steps(self, pages: list[str]) -> list[Form]:
        """The forms not posted yet on the pages accepted posts landed on, when those pages show a stored value."""
        found: list[Form] = []
        for role, client in self.clients.items():
            for url in pages:
                response = client.get(url)
                self.counts["pages"] += 1
                self.judge(response, f"GET {url} as {role}")
                body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                if response.status_code != 200 or not any(marker in body for marker in MARKERS):
                    continue
                parser = PageParser()
                parser.feed(body)
                for raw in parser.forms:
                    parts = urlsplit(urljoin(url, raw["action"] or url))
                    if parts.netloc or raw["method"] != "POST":
                        continue
                    action = parts.path + (f"?{parts.query}" if parts.query else "")
                    endpoint = endpoint_of(self.app, action, "POST")
                    if endpoint and endpoint not in NOT_FOLLOWED and (role, endpoint, action) not in self.posted:
                        found.append(Form(role, url, action, "POST", endpoint, tuple(raw["fields"].values())))
        return found

    def render(self, *, page_cap: int, download_cap: int) -> None:
        """Crawl as each role from the pages posts landed on, the world's pages and the lists; follow the links of
        every page that shows a stored value and fetch every download it offers (each address once per role)."""
        starts = [*dict.fromkeys(self.landed), *self.world.urls, "/", "/dashboard", "/portal/", "/portal/invoices"]
        starts += ["/cases/", "/cases/?state=new", "/billing/bills", "/billing/savings", "/invoices/"]
        for role, client in self.clients.items():
            queue, visited, opened = deque((url, True) for url in starts), set(), Counter()
            while queue:
                url, chosen = queue.popleft()  # chosen: a start, or a link beside a stored value (no cap)
                if url in visited or url.startswith("/static/"):
                    continue
                endpoint = endpoint_of(self.app, url)
                if endpoint is None:
                    continue
                is_download = url.split("?")[0].endswith(DOWNLOAD_SUFFIXES)
                if not chosen and opened[endpoint] >= (download_cap if is_download else page_cap):
                    continue
                visited.add(url)
                opened[endpoint] += 1
                self.errors.last = ""
                response = client.get(url)
                self.counts["downloads" if is_download else "pages"] += 1
                if is_download:
                    self.fetched.add((role, url))
                self.statuses[response.status_code] += 1
                self.judge(response, f"GET {url} as {role}")
                if response.status_code != 200 or response.mimetype != "text/html":
                    continue
                body = response.get_data(as_text=True)
                if not any(marker in body for marker in MARKERS):
                    continue
                parser = PageParser()
                parser.feed(body)
                near = set(_links_beside_markers(body, url))
                for link in _local_links(parser.links, url):
                    if link in near or link.split("?")[0].endswith(DOWNLOAD_SUFFIXES):
                        queue.appendleft((link, link in near))
                    else:
                        queue.append((link, False))

    def judge(self, response, what: str) -> None:
        status = response.status_code
        for name, value in response.headers.items():
            # The test client hands headers over as text; a WSGI server must write them in Latin-1 on one line
            # (PEP 3333), and fails with a 500 (UnicodeEncodeError) when it cannot.
            try:
                value.encode("latin-1")
            except UnicodeEncodeError as error:
                self.findings.append(_printable(f"500 (from the server) on {what}: header {name}: {error}"))
            if "\r" in value or "\n" in value:
                self.findings.append(_printable(f"header {name} split over lines on {what}"))
        if status >= 500:
            error = self.errors.last.strip().splitlines()
            self.findings.append(_printable(f"{status} on {what}: {error[-1] if error else ''}"))
            return
        if response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            for marker in XSS_MARKERS:
                if marker in body:
                    self.findings.append(f"unescaped {marker!r} in the answer to {what}")
        elif response.mimetype == "text/csv":
            rows = csv.reader(io.StringIO(response.get_data(as_text=True)))
            for cell in (cell for row in rows for cell in row):
                if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not is_number(cell)):
                    self.findings.append(f"CSV {what} has a cell read as a formula: {cell[:80]!r}")

    def figures(self) -> dict:
        return {
            "posts": self.counts["posts"],
            "stored": self.counts["stored"],
            "imports": self.counts["imports"],
            "pages_fetched": self.counts["pages"],
            "downloads_fetched": self.counts["downloads"],
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
            "findings": len(self.findings),
            "seconds": round(time.perf_counter() - self.started, 1),
        }

    def summary(self) -> str:
        f = self.figures()
        return (
            f"stored-then-rendered: {f['posts']} posts ({f['stored']} stored) and {f['imports']} imports of nasty "
            f"text, then {f['pages_fetched']} pages and {f['downloads_fetched']} downloads fetched; "
            f"statuses {f['statuses']}; {f['findings']} findings; {f['seconds']} s"
        )


def _local_links(hrefs, base: str) -> list[str]:
    links = []
    for href in hrefs:
        parts = urlsplit(urljoin(base, href))
        if not parts.scheme and not parts.netloc and parts.path.startswith("/"):
            links.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return links


_HREF = re.compile(r'href="([^"]+)"')


def _links_beside_markers(body: str, base: str, reach: int = 400) -> list[str]:
    """The links within `reach` characters of a stored value: the record it belongs to (the list row of a case)."""
    hrefs = []
    for marker in MARKERS:
        start = body.find(marker)
        while start != -1:
            hrefs += [html.unescape(href) for href in _HREF.findall(body, max(start - reach, 0), start + reach)]
            start = body.find(marker, start + len(marker))
    return _local_links(hrefs, base)


def _printable(text: str) -> str:
    """A finding as a terminal shows it faithfully: control and bidi characters escaped."""
    return "".join(repr(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n" else ch for ch in text)


def _shown(value: str) -> str:
    name = next((name for name, nasty in NASTY.items() if nasty == value), None)
    return name or ("all nasty values in one" if value == COMBINED else repr(value[:60]))
