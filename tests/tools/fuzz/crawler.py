"""Discovery: each role crawls the pages it reaches and collects their forms, query parameters and addresses, so a
form added tomorrow is swept without anyone listing it."""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from tests.helpers import BackofficeClient
from tests.tools.fuzz.pages import Form, PageParser
from tests.tools.fuzz.payloads import plausible_value
from tests.tools.fuzz.world import World


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
    downloads: Counter = Counter()  # files (PDFs take a second to render): one of each kind, whoever gets it
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
            is_download = url.split("?")[0].endswith(CRAWL_SKIP_SUFFIXES)
            if is_download and downloads[endpoint]:  # (counted once answered: a role refused it leaves it to others)
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
                downloads[endpoint] += is_download
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


def is_variable(app, segments: list[str], index: int, method: str, endpoint: str) -> bool:
    """Whether segment `index` of the address is a variable of its rule: changing it still reaches the endpoint."""
    probe = list(segments)
    probe[index] = "12345" if segments[index].isdigit() else "probe" + segments[index][-4:]
    if not segments[index].isdigit() and "." in segments[index]:
        probe[index] = "probe." + segments[index].rsplit(".", 1)[1]
    return endpoint_of(app, "/".join(probe), method) == endpoint
