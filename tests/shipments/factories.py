"""Rows for medicine-order tests: a pharmacy, a prescription on a case, an order, and running its jobs."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select

from backoffice.cases.documents import stored_key
from backoffice.cases.models import CaseDocument
from backoffice.extensions import db
from backoffice.jobs import get_queue, make_worker
from backoffice.jobs.dispatcher import dispatch_round
from backoffice.jobs.models import OutboxEntry
from backoffice.shipments import operations
from backoffice.shipments.models import MedicineOrder, Pharmacy
from backoffice.storage import files
from tests.factories import make_case, make_user


def make_pharmacy(*, name: str = "Apotheke am Römer (sandbox)", cold_chain: bool = True, **fields) -> Pharmacy:
    pharmacy = Pharmacy(name=name, country="DE", city="Frankfurt am Main", cold_chain=cold_chain, **fields)
    db.session.add(pharmacy)
    db.session.flush()
    return pharmacy


PRESCRIPTION = b"%PDF-1.4\n% prescription: insulin\n%%EOF\n"


def make_prescription(case, *, uploaded_by=None) -> CaseDocument:
    """A prescription on the case, its file in the store (as an upload would leave it)."""
    uploader = uploaded_by or make_user("coordinator")
    stored_name = secrets.token_hex(16)
    stored = files.put(stored_key(stored_name), PRESCRIPTION, kind="case_document", dated=date.today())
    document = CaseDocument(
        case_id=case.id,
        uploaded_by_id=uploader.id,
        original_filename="prescription.pdf",
        stored_name=stored_name,
        content_type="application/pdf",
        size_bytes=stored.size,
        sha256=stored.sha256,
        description="Prescription: insulin",
        document_type="prescription",
    )
    db.session.add(document)
    db.session.flush()
    return document


def order_input(pharmacy, prescription=None, *, behaviour: str = "normal", items=None, **fields):
    return operations.OrderInput(
        pharmacy_id=pharmacy.id,
        prescription_id=prescription.id if prescription else None,
        delivery_name=fields.pop("delivery_name", ""),
        delivery_address=fields.pop("delivery_address", "Villa 12, Al Wasl Road, Dubai"),
        delivery_country=fields.pop("delivery_country", "AE"),
        cold_chain=fields.pop("cold_chain", True),
        customs_notes=fields.pop("customs_notes", "Prescription medicine for personal use"),
        items=items
        or [
            operations.ItemInput("Insulin glargine", "100 IU/ml", "pre-filled pens", "10"),
            operations.ItemInput("Tacrolimus", "1 mg", "capsules", "60"),
        ],
        sandbox_behaviour=behaviour,
    )


def submitted_order(*, behaviour: str = "normal", case=None) -> MedicineOrder:
    case = case or make_case(state="discharged")
    pharmacy = make_pharmacy()
    prescription = make_prescription(case)
    order = operations.create_order(case.id, order_input(pharmacy, prescription, behaviour=behaviour), actor_id=None)
    operations.submit_order(order.id, actor_id=None, expected_version=None)
    db.session.commit()
    return order


def run_jobs(app, rounds: int = 20) -> None:
    """Dispatch and work the queue until nothing is due (a burst worker in this process)."""
    worker = make_worker(app, worker_class=_simple_worker())
    for _ in range(rounds):
        sent = dispatch_round()
        db.session.remove()
        if not sent and not get_queue().count:
            return
        worker.work(burst=True, with_scheduler=False)


def _simple_worker():
    from backoffice.jobs import AppSimpleWorker

    return AppSimpleWorker


def purchase_job(order_id: int) -> OutboxEntry:
    """The outbox row of the order's purchase job, read afresh."""
    db.session.expire_all()
    return db.session.scalar(select(OutboxEntry).where(OutboxEntry.key == f"medicine-order-{order_id}-purchase"))


def fresh(order_id: int) -> MedicineOrder:
    """The order as stored now."""
    db.session.expire_all()
    return db.session.get(MedicineOrder, order_id)
