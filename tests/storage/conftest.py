"""The storage tests run against both backends: the local folders and a real S3 API server (moto_server) started
here, with a bucket of its own per test (Object Lock enabled, as a production bucket for invoices would be)."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.helpers import change_settings
from tests.servers import S3_CREDENTIALS, s3_server

_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def s3():
    """One S3 API server for the session; the AWS variables the app's boto3 client reads point at it."""
    saved = {name: os.environ.get(name) for name in S3_CREDENTIALS}
    os.environ.update(S3_CREDENTIALS)
    try:
        with s3_server() as server:
            yield server
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def use_bucket(app, s3, monkeypatch, tmp_path, *, prefix: str, object_lock: bool = True) -> str:
    """STORAGE_URL pointing at a new bucket of the S3 server (with Object Lock unless told); the local folders are
    empty temp dirs (nothing may land there)."""
    bucket = s3.new_bucket(f"{prefix}-{next(_buckets)}-{os.getpid()}", object_lock=object_lock)
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


@pytest.fixture
def s3_storage(app, s3, monkeypatch, tmp_path):
    """A new bucket with Object Lock, as a production bucket for invoices would be."""
    return use_bucket(app, s3, monkeypatch, tmp_path, prefix="backoffice")


@pytest.fixture
def local_storage(app, monkeypatch, tmp_path):
    change_settings(
        monkeypatch,
        app,
        storage_url="",
        invoice_archive=str(tmp_path / "invoices"),
        case_documents_dir=str(tmp_path / "documents"),
    )
    return tmp_path


@pytest.fixture(params=["local", "s3"])
def storage(request):
    """Each test using it runs once on the local folders and once on the object store."""
    request.getfixturevalue(f"{request.param}_storage")
    return request.param
