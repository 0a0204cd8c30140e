"""Several people issuing at once: numbers stay unique and consecutive, and one draft is issued once."""

from __future__ import annotations

import hashlib
import threading

from sqlalchemy import select

from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing import deposits, issuing
from backoffice.invoicing.models import Invoice
from tests.invoicing.concurrency import outcome_of
from tests.invoicing.factories import make_invoicing_case

THREADS = 6
PER_THREAD = 3


def run_in_threads(app, work: dict[str, list[int]]) -> dict[str, list[str]]:
    """Each named worker issues its drafts in its own session once all workers are ready; returns what each got."""
    barrier = threading.Barrier(len(work))
    outcomes: dict[str, list[str]] = {name: [] for name in work}

    def worker(name: str, invoice_ids: list[int]) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            for invoice_id in invoice_ids:
                outcomes[name].append(
                    outcome_of(
                        lambda invoice_id=invoice_id: issuing.issue_invoice(
                            invoice_id, actor_id=None, expected_version=1
                        ),
                        answer=lambda invoice: invoice.number,
                    )
                )

    threads = [threading.Thread(target=worker, args=item) for item in work.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def drafts(count: int) -> list[int]:
    case = make_invoicing_case(estimate="1000000.00")
    ids = []
    for _ in range(count):
        ids.append(deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00").id)
    db.session.commit()
    return ids


def test_invoices_issued_at_once_get_consecutive_numbers_without_gaps_or_duplicates(app):
    ids = drafts(THREADS * PER_THREAD)
    work = {f"clerk-{n}": ids[n * PER_THREAD : (n + 1) * PER_THREAD] for n in range(THREADS)}
    outcomes = run_in_threads(app, work)
    numbers = [number for got in outcomes.values() for number in got]
    assert all(number.startswith("INV-") for number in numbers), outcomes
    sequence = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert sequence == list(range(1, len(ids) + 1))
    db.session.expire_all()
    for invoice in db.session.scalars(select(Invoice).where(Invoice.id.in_(ids))):
        archived = settings(app).invoice_archive / invoice.pdf_filename
        assert hashlib.sha256(archived.read_bytes()).hexdigest() == invoice.pdf_sha256


def test_one_draft_issued_from_two_tabs_at_once_is_issued_once(app):
    (draft_id,) = drafts(1)
    outcomes = run_in_threads(app, {"tab-1": [draft_id], "tab-2": [draft_id]})
    results = [result for got in outcomes.values() for result in got]
    issued = [result for result in results if result.startswith("INV-")]
    refused = [result for result in results if result.startswith("refused")]
    assert len(issued) == 1 and len(refused) == 1, outcomes
    assert "issued already" in refused[0] or "changed by someone else" in refused[0]
    db.session.expire_all()
    assert db.session.get(Invoice, draft_id).number == issued[0]
