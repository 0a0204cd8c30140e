"""`make run`: Redis (embedded unless REDIS_URL is set), an RQ worker, the job dispatcher and the web app, stopped
together by Ctrl-C.

The dispatcher sends the outbox's due jobs to Redis (scheduled ones included: tracking polls, retries, the periodic
jobs); without it, work recorded while Redis was down or scheduled for later would never run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from backoffice import embedded_redis
from backoffice.cli import DEMO_PASSWORD, DEMO_USERS
from backoffice.config import instance_path


def _wait_for(check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


def main() -> int:
    port = int(os.environ.get("PORT", "5000"))
    instance = instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, FLASK_APP="wsgi")
    children: list[tuple[str, subprocess.Popen]] = []

    def stop_all() -> None:
        # Web first, then the dispatcher (between rounds), then the worker (it finishes its job and deregisters from
        # Redis), then Redis.
        for _name, child in reversed(children):
            if child.poll() is None:
                child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()

    # Started in the background by a script, SIGINT arrives ignored; take it back so Ctrl-C always stops everything.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if env.get("REDIS_URL"):
            print(f"Using Redis at {env['REDIS_URL']} (REDIS_URL)")
        else:
            redis_process, env["REDIS_URL"] = embedded_redis.start(instance)
            children.append(("redis", redis_process))
            print(f"Embedded Redis on {env['REDIS_URL']}")
        if _port_answers(port):
            raise RuntimeError(f"port {port} is already in use; set PORT to another one")
        flask = [sys.executable, "-m", "flask"]
        # Own sessions: Ctrl-C reaches only this launcher, which then stops the children in order.
        # The worker's scheduler runs RQ's own scheduled jobs and retries (the outbox's go through the dispatcher).
        worker = [*flask, "jobs", "worker", "--with-scheduler"]
        children.append(("worker", subprocess.Popen(worker, env=env, start_new_session=True)))
        dispatcher = [*flask, "jobs", "dispatch"]
        children.append(("dispatcher", subprocess.Popen(dispatcher, env=env, start_new_session=True)))
        web = [*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"]
        children.append(("web", subprocess.Popen(web, env=env, start_new_session=True)))
        _wait_for(lambda: _port_answers(port), "the web app")
        print(
            f"\n  Back office running on http://127.0.0.1:{port}   (Ctrl-C stops web, dispatcher, worker and Redis)\n"
        )
        print(f"  Demo logins, password {DEMO_PASSWORD!r}:")
        for email, name, role in DEMO_USERS:
            print(f"    {role:<12} {email:<24} {name}")
        print(flush=True)
        while True:
            for name, child in children:
                if child.poll() is not None:
                    raise RuntimeError(f"the {name} process stopped (exit code {child.returncode})")
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping web, dispatcher, worker and Redis ...", flush=True)
        stop_all()
        return 0
    except RuntimeError as error:
        print(f"make run: {error}", file=sys.stderr, flush=True)
        stop_all()
        return 1


if __name__ == "__main__":
    sys.exit(main())
