"""An erasure and its end: the records the tax law kept after a patient's erasure (made by the real erasure job) go,
rows and files, the day after the last of them may, and not a day before; the other patient's stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice
from backoffice.offers.models import Offer
from backoffice.patients.models import Patient
from backoffice.retention.operations import delete_due
from backoffice.rights.models import DataRequest, RestrictedRecord
from backoffice.storage import files
from tests.rights.test_erasure import confirmed_erasure, make_world
from tests.shipments.factories import run_jobs


def test_what_an_erasure_restricted_goes_with_its_files_the_day_after_the_last_may_go(app, local_storage, smtp):
    world = make_world()
    run_jobs(app)
    request_id = confirmed_erasure(world.anna_id)
    run_jobs(app)
    request = db.session.get(DataRequest, request_id)
    invoice = db.session.get(Invoice, world.invoice_id)
    invoice_file = f"archive/{invoice.pdf_filename}"
    assert request.status == "erased" and request.delete_on is not None

    early = delete_due(request.delete_on - timedelta(days=1))
    assert early == [] and db.session.get(Invoice, world.invoice_id) is not None and files.exists(invoice_file)

    [outcome] = delete_due(request.delete_on)

    assert outcome.outcome == "deleted", outcome.note
    assert db.session.get(Invoice, world.invoice_id) is None and not files.exists(invoice_file)
    cases = select(Offer.id).join(Case, Case.id == Offer.case_id).where(Case.patient_id == world.anna_id)
    assert db.session.scalar(select(func.count()).select_from(cases.subquery())) == 0
    records = db.session.scalars(select(RestrictedRecord).where(RestrictedRecord.request_id == request_id)).all()
    assert records and all(record.deleted_at is not None for record in records)
    assert db.session.get(Invoice, world.otto_invoice_id) is not None
    assert db.session.get(Case, world.case_id) is not None and db.session.get(Patient, world.anna_id).is_erased
