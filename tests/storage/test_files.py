"""The one storage interface, on both backends: what is put is read back byte for byte with its record; bytes that
changed are refused, reported and audited; a file under retention is never deleted; the store's failures are clear
refusals, not hangs or 500s."""

from __future__ import annotations

import socket
import threading
from datetime import date

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.storage import files, retention
from backoffice.storage.backends import MissingFile, RetainedFile, StorageUnavailable
from backoffice.storage.models import StoredFile
from tests.helpers import change_settings

PDF = b"%PDF-1.7\n% an issued invoice\n%%EOF\n"


def test_a_stored_file_is_read_back_byte_for_byte_and_recorded_with_key_size_hash_and_retention(app, storage):
    row = files.put("archive/2026/INV-2026-0001-abc.pdf", PDF, kind="invoice", dated=date(2026, 3, 1))
    db.session.commit()

    assert files.read("archive/2026/INV-2026-0001-abc.pdf", row.sha256) == PDF
    stored = db.session.scalar(select(StoredFile))
    assert (stored.key, stored.size, stored.sha256) == ("archive/2026/INV-2026-0001-abc.pdf", len(PDF), row.sha256)
    assert stored.location == storage
    assert stored.retain_until == date(2034, 12, 31)  # 8 years after the end of 2026
    assert files.exists("archive/2026/INV-2026-0001-abc.pdf")


def test_the_same_bytes_under_the_same_key_are_kept_once_and_other_bytes_are_refused(app, storage):
    first = files.put("archive/2026/A.pdf", PDF, kind="invoice", dated=date(2026, 1, 1))
    again = files.put("archive/2026/A.pdf", PDF, kind="invoice", dated=date(2026, 1, 1))

    assert again.id == first.id
    with pytest.raises(StorageUnavailable, match="never overwritten"):
        files.put("archive/2026/A.pdf", PDF + b"changed", kind="invoice", dated=date(2026, 1, 1))
    assert files.read("archive/2026/A.pdf", first.sha256) == PDF


def test_bytes_changed_in_the_store_are_refused_reported_and_audited(app, storage, caplog):
    row = files.put("documents/" + "a" * 32, b"%PDF-1.4 record", kind="case_document", dated=date(2026, 1, 1))
    db.session.commit()
    files.backend().put(row.key, b"%PDF-1.4 forged", retain_until=None)  # behind the app's back

    with pytest.raises(StorageUnavailable) as refused:
        files.read(row.key, row.sha256)

    assert refused.value.trace["action"] == "stored_file_refused"
    assert refused.value.trace["details"]["expected_sha256"] == row.sha256
    assert "does not match its SHA-256" in caplog.text


def test_a_file_under_legal_retention_is_refused_deletion_in_either_store(app, storage):
    row = files.put("archive/2026/INV-2026-0002-abc.pdf", PDF, kind="invoice", dated=date(2026, 5, 1))
    db.session.commit()

    with pytest.raises(RetainedFile, match="2034-12-31"):
        files.delete(row.key, today=date(2034, 12, 31))

    assert files.read(row.key, row.sha256) == PDF
    deleted = files.delete(row.key, today=date(2035, 1, 1)) if storage == "local" else None
    if deleted is not None:
        assert deleted.deleted_at is not None and not files.exists(row.key)


def test_a_medical_record_has_no_lock_and_is_deleted_for_good(app, storage):
    row = files.put("documents/" + "b" * 32, b"%PDF-1.4 record", kind="case_document", dated=date(2026, 1, 1))
    db.session.commit()

    files.delete(row.key, today=date(2026, 2, 1))

    assert row.deleted_at is not None
    with pytest.raises(MissingFile):
        files.backend().get(row.key)


def test_the_bucket_itself_refuses_to_delete_an_issued_invoice_before_its_date(app, s3_storage, s3):
    """Object Lock in compliance mode: neither the app (its record made to say otherwise) nor the bucket's owner."""
    row = files.put("archive/2026/INV-2026-0003-abc.pdf", PDF, kind="invoice", dated=date(2026, 5, 1))
    db.session.commit()
    bucket = s3.client()
    versions = bucket.list_object_versions(Bucket=s3_storage, Prefix="office/archive/")["Versions"]

    with pytest.raises(ClientError):
        bucket.delete_object(Bucket=s3_storage, Key=versions[0]["Key"], VersionId=versions[0]["VersionId"])
    row.retain_until = date(2020, 1, 1)  # a record tampered with, or a setting shortened afterwards
    with pytest.raises(RetainedFile):
        files.delete(row.key, today=date(2026, 6, 1))

    assert files.read(row.key, row.sha256) == PDF
    assert row.deleted_at is None


def test_a_locked_kind_is_written_with_object_lock_and_an_unlocked_one_without(app, s3_storage, s3):
    files.put("archive/2026/R.pdf", PDF, kind="payment_reminder", dated=date(2026, 1, 1))
    files.put("documents/" + "c" * 32, PDF, kind="case_document", dated=date(2026, 1, 1))
    client = s3.client()

    reminder = client.head_object(Bucket=s3_storage, Key="office/archive/2026/R.pdf")
    record = client.head_object(Bucket=s3_storage, Key="office/documents/" + "c" * 32)

    assert reminder["ObjectLockMode"] == "COMPLIANCE"
    assert reminder["ObjectLockRetainUntilDate"].date() == date(2033, 1, 1)  # the end of 31 Dec 2032
    assert "ObjectLockMode" not in record
    assert retention.lock_until("case_document", date(2026, 1, 1)) is None


def test_a_bucket_without_object_lock_still_takes_files_and_the_app_refuses_early_deletes(app, s3, monkeypatch):
    bucket = s3.new_bucket("backoffice-unlocked", object_lock=False)
    change_settings(monkeypatch, app, storage_url=f"s3://{bucket}", s3_endpoint_url=s3.endpoint)
    row = files.put("archive/2026/X.pdf", PDF, kind="invoice", dated=date(2026, 1, 1))

    with pytest.raises(RetainedFile):
        files.delete(row.key, today=date(2027, 1, 1))
    assert files.read(row.key, row.sha256) == PDF


def test_a_missing_bucket_wrong_credentials_and_an_unreachable_endpoint_are_clear_refusals(app, s3, monkeypatch):
    cases = {
        "the bucket does not exist": {"storage_url": "s3://no-such-bucket", "s3_endpoint_url": s3.endpoint},
        "endpoint did not answer": {"storage_url": "s3://b", "s3_endpoint_url": f"http://127.0.0.1:{_closed_port()}"},
    }
    for expected, changes in cases.items():
        change_settings(monkeypatch, app, storage_timeout_seconds=2, **changes)
        with pytest.raises(StorageUnavailable, match=expected):
            files.put("archive/2026/Y.pdf", PDF, kind="invoice", dated=date(2026, 1, 1))
        assert not files.backend().check().ok
        db.session.rollback()
    assert db.session.scalar(select(StoredFile)) is None


def test_a_store_that_accepts_but_never_answers_is_given_up_after_the_timeout(app, monkeypatch):
    with _silent_server() as port:
        change_settings(
            monkeypatch,
            app,
            storage_url="s3://b",
            s3_endpoint_url=f"http://127.0.0.1:{port}",
            storage_timeout_seconds=1,
        )
        with pytest.raises(StorageUnavailable, match="did not answer"):
            files.put("archive/2026/Z.pdf", PDF, kind="invoice", dated=date(2026, 1, 1))


def test_a_key_outside_the_two_areas_or_with_a_path_trick_is_refused(app, storage):
    for key in ("other/x.pdf", "archive/../x.pdf", "archive/", "documents//etc/passwd"):
        with pytest.raises(StorageUnavailable):
            files.put(key, PDF, kind="invoice", dated=date(2026, 1, 1))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _silent_server:
    """Accepts connections and never answers (a store that hangs)."""

    def __enter__(self) -> int:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self.sock.getsockname()[1]

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def __exit__(self, *exc) -> None:
        self.sock.close()
        for connection in self.held:
            connection.close()
