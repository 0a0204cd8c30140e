"""The deletion when the store does not do its part: a store that fails leaves the group as it was (the database
rolled back) and the next run deletes it; a file an interrupted run already deleted is no error; a bucket whose own
Object Lock still keeps a file refuses, and nothing of the group goes. Real faults: an endpoint where nothing
listens, an archive folder that is not there, a bucket with Object Lock."""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice
from backoffice.offers.models import Offer
from backoffice.retention import operations
from backoffice.retention.operations import DELETED
from backoffice.rights.models import RestrictedRecord
from backoffice.storage import files
from backoffice.trail import AuditEvent
from tests.helpers import change_settings
from tests.retention.factories import erased_patient, stored
from tests.retention.test_deleting import in_store
from tests.servers import free_port


def deleted_events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == DELETED))


def test_a_store_that_fails_rolls_the_group_back_and_the_next_run_deletes_it(app, store, monkeypatch, tmp_path):
    erased = erased_patient()
    working = settings(app)
    if store == "s3":  # the endpoint does not answer
        change_settings(monkeypatch, app, s3_endpoint_url=f"http://127.0.0.1:{free_port()}", storage_timeout_seconds=1)
    else:  # the archive's folder is not there: a file stands where its disk would be mounted
        (tmp_path / "unmounted").write_text("")
        change_settings(monkeypatch, app, invoice_archive=str(tmp_path / "unmounted" / "invoices"))

    [outcome] = operations.delete_due(erased.delete_on)

    assert outcome.outcome == "unavailable" and outcome.note
    db.session.expire_all()
    assert db.session.get(Invoice, erased.invoice_id) is not None and db.session.get(Offer, erased.offer_id)
    assert all(stored(key).deleted_at is None for key in erased.keys)
    assert db.session.scalar(select(func.count()).where(RestrictedRecord.deleted_at.is_not(None))) == 0
    assert deleted_events() == 0

    monkeypatch.setitem(app.extensions, "settings", working)  # the store is back
    [outcome] = operations.delete_due(erased.delete_on)

    assert outcome.outcome == "deleted"
    assert db.session.get(Invoice, erased.invoice_id) is None
    assert not any(in_store(key) for key in erased.keys)
    assert deleted_events() == 1


def test_a_file_an_interrupted_run_already_deleted_is_no_error(app, store):
    erased = erased_patient()
    files.backend().delete(erased.keys[1])  # the bytes went, the rollback kept its row

    [outcome] = operations.delete_due(erased.delete_on)

    assert outcome.outcome == "deleted" and outcome.files == 4
    assert all(stored(key).deleted_at is not None for key in erased.keys)


def test_a_buckets_own_object_lock_refuses_and_nothing_of_the_group_goes(app, s3_storage, s3):
    """The bucket keeps the files until their real last day, years from now: the run on the deletion day the
    records name is refused by the store itself, before anything went."""
    erased = erased_patient()
    objects = s3.client().list_object_versions(Bucket=s3_storage, Prefix="office/")["Versions"]

    [outcome] = operations.delete_due(erased.delete_on)

    assert outcome.outcome == "refused" and "retention" in outcome.note
    db.session.expire_all()
    assert db.session.get(Invoice, erased.invoice_id) is not None
    assert all(in_store(key) and stored(key).deleted_at is None for key in erased.keys)
    assert s3.client().list_object_versions(Bucket=s3_storage, Prefix="office/")["Versions"] == objects
