"""Invoice numbers under load: BENCH_ISSUES invoices (1,000 by default) issued from BENCH_CONNECTIONS parallel
connections at once, each through the real `issuing.issue_invoice` (claim, checks, number from the series' counter
row, PDF rendered by WeasyPrint, archived with fsync, audit rows) and a commit, as the issue button does.

What must hold whatever the load: the numbers are exactly 1..N in their series and year (no gap, no duplicate), each
invoice issued once, each with its archived PDF whose SHA-256 is the one stored. The figures (issues per second, the
wall time, how many connections really worked at once) are kept for `make evidence`.

bench_invoices.py times one 40-line invoice issued alone against bare WeasyPrint; this one is about many small
(one-line deposit) invoices issued at the same moment. PostgreSQL only: SQLite lets one writer in at a time, and a
dozen clerks waiting for each other's PDFs outlast its busy timeout. Full size:
`.venv/bin/python -m pytest -q -s --db postgresql tests/benchmarks/bench_concurrency.py -o python_files='bench_*.py'`.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing import deposits, issuing
from backoffice.invoicing.models import Invoice
from backoffice.trail import AuditEvent
from tests.invoicing.factories import make_invoicing_case
from tests.tools.evidence import record

ISSUES = int(os.environ.get("BENCH_ISSUES", 1000))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 12))
DRAFTS_PER_CASE = 100  # deposits of 10.00 against an estimate of 1,000,000.00: never near the limit
COMMAND = (
    "BENCH_ISSUES={issues} BENCH_CONNECTIONS={connections} .venv/bin/python -m pytest -q -s --db {database} "
    "tests/benchmarks/bench_concurrency.py -o python_files='bench_*.py'"
)


def make_drafts(count: int) -> list[int]:
    """`count` committed one-line deposit drafts, spread over cases (one case's issues wait for each other)."""
    ids: list[int] = []
    while len(ids) < count:
        case = make_invoicing_case(estimate="1000000.00")
        for _ in range(min(DRAFTS_PER_CASE, count - len(ids))):
            ids.append(deposits.create_deposit_draft(case.id, actor_id=None, amount="10.00").id)
        db.session.commit()
    return ids


def issue_in_parallel(app, draft_ids: list[int], connections: int) -> dict:
    """Issue every draft from `connections` threads, each with its own app context, session and connection,
    all starting together; returns the outcomes and what the run measured."""
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for draft_id in draft_ids:
        work.put(draft_id)
    barrier = threading.Barrier(connections + 1)
    issued: dict[int, str] = {}
    failures: list[str] = []
    backends: set[object] = set()
    busy = Counter()  # how many connections were inside an issue at once, sampled at each start
    inside = [0]
    lock = threading.Lock()

    def worker() -> None:
        with app.app_context():
            try:
                postgresql = db.session.connection().dialect.name == "postgresql"
                db.session.commit()
                barrier.wait(timeout=60)
                while True:
                    try:
                        draft_id = work.get_nowait()
                    except queue.Empty:
                        return
                    with lock:
                        inside[0] += 1
                        busy[inside[0]] += 1
                    try:
                        invoice = issuing.issue_invoice(draft_id, actor_id=None, expected_version=1)
                        number = invoice.number
                        if postgresql:  # the server process that issued it: one per connection
                            backends.add(db.session.execute(text("SELECT pg_backend_pid()")).scalar())
                        db.session.commit()
                        issued[draft_id] = number
                    except Exception as error:  # reported by the assertions, not lost in the thread
                        db.session.rollback()
                        failures.append(f"draft {draft_id}: {type(error).__name__}: {error}")
                    finally:
                        with lock:
                            inside[0] -= 1
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, name=f"clerk-{n}") for n in range(connections)]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=3600)
    seconds = time.perf_counter() - started
    return {
        "issued": issued,
        "failures": failures,
        "seconds": seconds,
        "backends": len(backends),
        "most_at_once": max(busy) if busy else 0,
    }


def assert_numbers_consecutive_and_pdfs_archived(app, draft_ids: list[int], issued: dict[int, str]) -> str:
    """Every draft issued once, numbers 1..N of one series and year without gap or duplicate, each PDF archived
    with the stored hash and one `invoice.issued` audit row each. Returns the series and year checked."""
    assert sorted(issued) == sorted(draft_ids)
    prefixes = {number.rsplit("-", 1)[0] for number in issued.values()}
    assert len(prefixes) == 1, prefixes  # one series, one year
    sequence = sorted(int(number.rsplit("-", 1)[1]) for number in issued.values())
    assert sequence == list(range(1, len(draft_ids) + 1)), "gap or duplicate in the numbers"
    db.session.expire_all()
    archive = settings(app).invoice_archive.resolve()
    stored = db.session.execute(
        select(Invoice.id, Invoice.number, Invoice.status, Invoice.pdf_filename, Invoice.pdf_sha256).where(
            Invoice.id.in_(draft_ids)
        )
    ).all()
    assert len(stored) == len(draft_ids)
    for invoice_id, number, status, filename, sha256 in stored:
        assert (number, status) == (issued[invoice_id], "issued")
        assert hashlib.sha256((archive / filename).read_bytes()).hexdigest() == sha256, number
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invoice.issued")
    )
    assert audited == len(draft_ids)
    return prefixes.pop()


@pytest.mark.postgresql_only  # SQLite lets one writer in at a time and gives up after its busy timeout (5 s)
def test_invoices_issued_from_parallel_connections_are_numbered_without_gap_or_duplicate(app):
    database = db.engine.dialect.name
    connections = min(CONNECTIONS, ISSUES)
    prepared = time.perf_counter()
    draft_ids = make_drafts(ISSUES)
    preparing = time.perf_counter() - prepared
    outcome = issue_in_parallel(app, draft_ids, connections)
    assert outcome["failures"] == [], outcome["failures"][:10]
    series = assert_numbers_consecutive_and_pdfs_archived(app, draft_ids, outcome["issued"])
    seconds = outcome["seconds"]
    figures = {
        "issues": ISSUES,
        "connections": connections,
        "database connections that issued": outcome["backends"] if database == "postgresql" else "n/a (SQLite)",
        "most issues in progress at once": outcome["most_at_once"],
        "wall time (s)": round(seconds, 1),
        "issues per second": round(ISSUES / seconds, 1),
        "ms per issue (wall / issues)": round(1000 * seconds / ISSUES, 1),
        "numbers": f"{series}-00001 .. {series}-{ISSUES:05d}: consecutive, no gap, no duplicate",
        "archived PDFs matching their SHA-256": ISSUES,
        "drafts prepared in (s)": round(preparing, 1),
    }
    record(
        "concurrency-1000-issues" if ISSUES == 1000 else f"concurrency-{ISSUES}-issues",
        figures,
        command=COMMAND.format(issues=ISSUES, connections=connections, database=database),
        database=database,
    )
    print(
        f"\n{ISSUES} invoices issued from {connections} connections ({database}) in {seconds:.1f} s: "
        f"{ISSUES / seconds:.1f} issues/s; numbers {series}-00001..{ISSUES:05d} consecutive; every PDF archived"
    )
