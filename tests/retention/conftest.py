"""The deletion tests run on both stores: the local folders, and a real S3 API server with a bucket of its own per
test. That bucket has no Object Lock: a locked bucket keeps an invoice until its real last day (years from now),
which a test cannot wait for; the app's own refusal before the day is tested on both, the bucket's lock on its own
(`test_faults.py`)."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.helpers import change_settings
from tests.messages.conftest import _empty_queue, smtp  # noqa: F401  (the invoices' mails go somewhere real)
from tests.storage.conftest import local_storage, s3, s3_storage  # noqa: F401  (the stores of the storage tests)

_buckets = itertools.count(1)


@pytest.fixture
def s3_unlocked_storage(app, s3, monkeypatch, tmp_path):  # noqa: F811
    bucket = s3.new_bucket(f"retention-{next(_buckets)}-{os.getpid()}", object_lock=False)
    change_settings(
        monkeypatch,
        app,
        storage_url=f"s3://{bucket}/office",
        s3_endpoint_url=s3.endpoint,
        storage_timeout_seconds=5,
        invoice_archive=str(tmp_path / "invoices"),
        case_documents_dir=str(tmp_path / "documents"),
    )
    return bucket


@pytest.fixture(params=["local", "s3"])
def store(request):
    """Each test using it runs once on the local folders and once on the object store."""
    request.getfixturevalue("local_storage" if request.param == "local" else "s3_unlocked_storage")
    return request.param
