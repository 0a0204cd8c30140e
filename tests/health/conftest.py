"""The health check's storage part runs against both backends: the storage tests' fixtures (a real S3 API server)."""

from tests.storage.conftest import local_storage, s3, s3_storage, storage  # noqa: F401 - fixtures
