"""Object stores that cannot be used, by what the app says about each: for the tests of `flask storage check`,
`make run` and `/healthz`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.servers import S3Server, free_port, s3_server


@contextlib.contextmanager
def broken_stores(s3: S3Server) -> Iterator[dict[str, dict[str, str]]]:
    """{what is wrong: the settings that make it so}: a missing bucket on a running server, a server that refuses the
    credentials (started for the block), an endpoint where nothing listens."""
    with s3_server(refuse_unknown_keys=True) as strict:
        yield {
            "the bucket does not exist": {"storage_url": "s3://no-such-bucket", "s3_endpoint_url": s3.endpoint},
            "the credentials were refused (403)": {"storage_url": "s3://b", "s3_endpoint_url": strict.endpoint},
            "the endpoint did not answer (EndpointConnectionError)": {
                "storage_url": "s3://b",
                "s3_endpoint_url": f"http://127.0.0.1:{free_port()}",
            },
        }
