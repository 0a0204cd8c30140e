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

Where each part lives: the world in world.py (1); the crawl in crawler.py, reading pages with pages.py (2); the bad
values and files in payloads.py, sent by `Sweep` here (3); the oracle in oracle.py, its row comparison in changes.py.
"""

from __future__ import annotations

import io
import json
import os
import random
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from backoffice.extensions import db
from tests.helpers import BackofficeClient
from tests.tools.fuzz.changes import WriteTracker, all_table_names, read_tables
from tests.tools.fuzz.crawler import discover, is_variable
from tests.tools.fuzz.oracle import ErrorLog, Input, Oracle
from tests.tools.fuzz.pages import Form
from tests.tools.fuzz.payloads import (
    BAD_PATH_VALUES,
    BAD_VALUE,
    CLI_IMPORTS,
    FILE_NAMES,
    FILE_TEMPLATES,
    TARIFF_COLUMNS,
    TARIFF_ROW,
    malformed_file,
    plausible_value,
)
from tests.tools.fuzz.world import ROLE_ACCOUNTS, World, sign_in

# Query parameters tried on every page besides those seen in its links and GET forms.
GENERIC_PARAMS = ("page", "sort", "per_page", "q", "state", "next")


class Sweep(Oracle):
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
        self.errors = ErrorLog()
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
        variable = [i for i in positions if is_variable(self.app, segments, i, method, endpoint)]
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


def _quote(value: bytes) -> str:
    from urllib.parse import quote_from_bytes

    return quote_from_bytes(value, safe="")


def shuffle_seed() -> int:
    return random.SystemRandom().randrange(2**32)
