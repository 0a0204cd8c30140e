from tests.messages.conftest import _empty_queue, smtp  # noqa: F401  (the mails the invoices send go somewhere real)
from tests.storage.conftest import local_storage, s3, s3_storage, storage  # noqa: F401  (both backends)
