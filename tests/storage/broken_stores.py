"""Object stores that cannot be used, by what the app says about each (for the tests of `flask storage check`,
`make run` and `/healthz`), and one that goes away in the middle of the work (issuing, `flask storage move`)."""

from __future__ import annotations

import contextlib
import socket
import threading
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


@contextlib.contextmanager
def store_going_away(s3: S3Server, *, after_bytes: int) -> Iterator[str]:
    """The endpoint of a TCP relay to `s3` that goes away for good once `after_bytes` have gone towards the server
    over all its connections: every connection closed mid-request, no new one taken (the store going away in the
    middle of an upload or a move)."""
    upstream_port = int(s3.endpoint.rsplit(":", 1)[1])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    budget = {"left": after_bytes}
    lock = threading.Lock()
    open_sockets: list[socket.socket] = []

    def die() -> None:
        with contextlib.suppress(OSError):
            listener.close()
        for side in open_sockets:
            with contextlib.suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)
            side.close()

    def relay(source: socket.socket, target: socket.socket, counted: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if counted:
                    with lock:
                        budget["left"] -= len(data)
                        over = budget["left"] < 0
                    if over:
                        die()
                        return
                target.sendall(data)

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", upstream_port))
            open_sockets.extend((client, server))
            threading.Thread(target=relay, args=(client, server, True), daemon=True).start()
            threading.Thread(target=relay, args=(server, client, False), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        die()
