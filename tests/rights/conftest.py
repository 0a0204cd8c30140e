from tests.storage.conftest import local_storage, s3, s3_storage, storage  # noqa: F401  (both backends)
