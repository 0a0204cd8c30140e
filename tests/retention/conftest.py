"""The deletion tests run on both stores: the local folders, and a real S3 API server with a bucket of its own per
test. That bucket has no Object Lock: a locked bucket keeps an invoice until its real last day (years from now),
which a test cannot wait for; the app's own refusal before the day is tested on both, the bucket's lock on its own
(`test_faults.py`)."""

from __future__ import annotations

import pytest

from tests.messages.conftest import _empty_queue, smtp  # noqa: F401  (the invoices' mails go somewhere real)
from tests.storage.conftest import local_storage, s3, s3_storage, use_bucket  # noqa: F401  (the storage tests' stores)


@pytest.fixture
def s3_unlocked_storage(app, s3, monkeypatch, tmp_path):  # noqa: F811
    return use_bucket(app, s3, monkeypatch, tmp_path, prefix="retention", object_lock=False)


@pytest.fixture(params=["local", "s3"])
def store(request):
    """Each test using it runs once on the local folders and once on the object store."""
    request.getfixturevalue("local_storage" if request.param == "local" else "s3_unlocked_storage")
    return request.param
