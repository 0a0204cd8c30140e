"""The case list with 100,000 cases: each page through the Flask test client against its own main query run bare.

The searches run on the folded search keys (`backoffice.cases.search`): trigram indexes on PostgreSQL. A last
table gives every view's request against the default view's request of the same run.

The data set is built once by `flask demo seed --cases 100000` (its duration is printed too). For each view — the
default list, a filter, a search — the bare baseline is the page's row query (the same Select, eager loads, order
and limit) executed with `db.session.execute`; the request adds the count, the filter form's options, the overdue
count, the session and the template.
"""

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.cases.listing import PAGE_SIZE, CaseFilters, case_query
from backoffice.demo import DEMO_PASSWORD
from backoffice.extensions import db
from tests.benchmarks.timing import measure, report
from tests.helpers import login_as

CASES = 100_000
VIEWS = (
    ("default view", "/cases/", {}),
    ("filter: new and overdue", "/cases/?state=new&overdue=1", {"state": "new", "overdue": "1"}),
    ("search: a patient surname", "/cases/?q=Kowalczyk", {"q": "Kowalczyk"}),
    # Folded search keys (cases.search): without the accent, across punctuation, inside a number, in the treatment.
    ("search: a name without its accent", "/cases/?q=lukasz", {"q": "lukasz"}),
    ("search: two words across a hyphen", "/cases/?q=al-mansouri+fatima", {"q": "al-mansouri fatima"}),
    ("search: part of a case number", "/cases/?q=00175", {"q": "00175"}),
    ("search: phone digits", "/cases/?q=4860123", {"q": "4860123"}),
    ("search: a word of the treatment", "/cases/?q=knee", {"q": "knee"}),
)


@pytest.fixture(scope="module")
def hundred_thousand_cases(app):
    with app.app_context():
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["demo", "seed", "--cases", str(CASES)])
        seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    print(f"\n`flask demo seed --cases {CASES}` (accounts, directory, cases with history): {seconds:.1f} s")
    return seconds


def test_case_list_with_100000_cases(app, hundred_thousand_cases, count_queries):
    client = app.test_client()
    login_as(client, SimpleNamespace(email="coordinator@demo.test"), password=DEMO_PASSWORD)
    coordinator_id = db.session.scalar(select(User.id).where(User.email == "coordinator@demo.test"))
    statements, requests = {}, {}
    for name, url, args in VIEWS:
        filters = CaseFilters.from_args(args, user_id=coordinator_id)
        query, order_by, options = case_query(filters, health_data=True)  # a coordinator searches the treatment too
        rows = query.options(*options).order_by(*order_by).limit(PAGE_SIZE)

        def bare(rows=rows):
            db.session.execute(rows).unique().all()
            db.session.rollback()

        def request(url=url):
            response = client.get(url)
            assert response.status_code == 200

        with count_queries() as sent:
            request()
        statements[name] = len(sent)
        requests[name] = measure(f"GET {url}", request, repeat=30, warmup=3)
        report(
            f"{name}: GET {url} ({CASES:,} cases)",
            measure("bare main query (rows of one page)", bare, repeat=30, warmup=3),
            requests[name],
        )
    default, *others = requests.values()
    report(f"each view against the default view ({CASES:,} cases)", default, *others)
    print(
        "\nSQL statements per request (the session's user, count, page rows, form options, overdue count, the"
        " contraindication flags of the page's cases, the read's audit row):"
    )
    for name, count in statements.items():
        print(f"  {name:<40} {count}")
    # A search is one statement like any filter, whatever the number of words or cases: no view sends more than the
    # default list (a page without rows sends one fewer: it has no contraindication flags to ask for).
    assert all(count <= statements["default view"] for count in statements.values()), statements
