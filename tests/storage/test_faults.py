"""Issued documents on the object store when it fails: a store that goes away in the middle of an upload refuses
the issue cleanly (the number is given back, nothing half-written, nothing recorded); an issued invoice lies in the
bucket and is served byte for byte."""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.invoicing import deposits, issuing
from backoffice.invoicing.models import Invoice
from backoffice.numbering import NumberSeries
from backoffice.storage.models import StoredFile
from tests.helpers import change_settings
from tests.invoicing.factories import make_invoicing_case
from tests.storage.broken_stores import store_going_away


def test_a_store_going_away_mid_upload_refuses_the_issue_gives_the_number_back_and_writes_nothing(
    app, s3_storage, s3, monkeypatch, as_role
):
    case = make_invoicing_case()
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    db.session.commit()
    with store_going_away(s3, after_bytes=8000) as endpoint:
        change_settings(monkeypatch, app, s3_endpoint_url=endpoint, storage_timeout_seconds=3)
        response = as_role("finance").post(f"/invoices/{draft.id}/issue", data={"version": draft.version})

    assert response.status_code == 503
    assert "nothing was issued" in response.get_data(as_text=True), response.get_data(as_text=True)
    assert "could not take archive/" in response.get_data(as_text=True)  # cut off in the upload itself
    db.session.expire_all()
    assert db.session.get(Invoice, draft.id).status == "draft"
    assert db.session.scalar(select(func.count()).select_from(NumberSeries).where(NumberSeries.series == "INV")) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert s3.client().list_objects_v2(Bucket=s3_storage).get("KeyCount", 0) == 0

    change_settings(monkeypatch, app, s3_endpoint_url=s3.endpoint)
    issued = issuing.issue_invoice(draft.id, actor_id=None)
    db.session.commit()
    assert issued.number.endswith("-00001")  # the number came back


def test_an_invoice_issued_on_the_object_store_is_in_the_bucket_and_served_byte_for_byte(app, s3_storage, s3, as_role):
    case = make_invoicing_case()
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="250.00")
    db.session.commit()
    invoice = issuing.issue_invoice(draft.id, actor_id=None)
    db.session.commit()

    in_bucket = s3.client().get_object(Bucket=s3_storage, Key=f"office/archive/{invoice.pdf_filename}")["Body"].read()
    download = as_role("finance").get(f"/invoices/{invoice.number}.pdf")

    assert download.status_code == 200 and download.data == in_bucket
    stored = db.session.scalar(select(StoredFile).where(StoredFile.key == f"archive/{invoice.pdf_filename}"))
    assert stored.location == "s3" and stored.sha256 == invoice.pdf_sha256 and stored.kind == "invoice"
