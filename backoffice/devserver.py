"""`make run`: Redis (embedded unless REDIS_URL is set), the mail catcher (unless SMTP_URL is set), an RQ worker, the
job dispatcher and the web app, stopped together by Ctrl-C or SIGTERM within STOP_GRACE + REDIS_GRACE seconds, and
ending with the launcher however it ends.

The dispatcher sends the outbox's due jobs to Redis (scheduled ones included: tracking polls, retries, the periodic
jobs); without it, work recorded while Redis was down or scheduled for later would never run. The mail catcher
(`backoffice.mail_catcher`) is a real SMTP server on 127.0.0.1:MAIL_CATCHER_PORT: the children get SMTP_URL pointing
at it, so mail takes the same path as in production and lands in instance/caught-mail, shown to admins at /dev/mail.
Without IMAP_URL, mail to the operator's own domain (replies to a case's reply address) is also delivered into
instance/mailbox, the local mailbox the fetch job `messages.fetch_replies` reads in development.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from backoffice import embedded_redis, mail_catcher
from backoffice.cli import DEMO_PASSWORD, DEMO_USERS
from backoffice.config import default_caught_mail_dir, default_local_mailbox_dir, default_of, instance_path

# How long the children get to stop by themselves after SIGTERM before they (and whatever they forked) are killed.
STOP_GRACE = 3.0
REDIS_GRACE = 1.0
# Make passes a signal sent to its process group on to its child: the launcher sees one Ctrl-C or TERM twice. A repeat
# within this window is that echo; a later one asks to stop now.
ECHO_WINDOW = 1.0
PR_SET_PDEATHSIG = 1


class _Stopping:
    """What the signal handler records; the launcher's loops read it (a handler that raised could interrupt the
    stopping itself, and the children would live on)."""

    requested_at: float | None = None
    hurried = False


def _interrupt(*_args) -> None:
    """SIGINT/SIGTERM: the first asks to stop; a repeat (other than make's echo of the same one) only hurries it."""
    now = time.monotonic()
    if _Stopping.requested_at is None:
        _Stopping.requested_at = now
    elif now - _Stopping.requested_at > ECHO_WINDOW:
        _Stopping.hurried = True


class _Stopped(Exception):
    pass


def _wait_for(check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _Stopping.requested_at is not None:
            raise _Stopped
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


def _end_with(parent: int):
    """A preexec_fn: the child gets SIGTERM when the launcher ends, however it ends (even by SIGKILL)."""

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the launcher ended before the prctl took effect
            os._exit(1)

    return preexec


def _kill_group(child) -> None:
    """SIGKILL to the child's own session (it was started in one), so that what it forked goes with it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


def stop_children(children: list[tuple[str, subprocess.Popen]], redis=None) -> None:
    """Stop the children within STOP_GRACE + REDIS_GRACE seconds, Redis last (the worker deregisters from it).

    All get SIGTERM at once, web first; whatever still runs at the deadline, or when a second signal hurries the
    stop, is killed with its process group.
    """
    for _name, child in reversed(children):
        if child.poll() is None:
            child.terminate()
    _reap(children, time.monotonic() + STOP_GRACE)
    if redis is not None:
        if redis.poll() is None:
            redis.terminate()
        _reap([("redis", redis)], time.monotonic() + REDIS_GRACE)


def _reap(children, deadline: float) -> None:
    for _name, child in children:
        while child.poll() is None and time.monotonic() < deadline and not _Stopping.hurried:
            time.sleep(0.05)
        if child.poll() is None:
            _kill_group(child)
            child.wait()


def start_mail_catcher(env: dict[str, str], preexec_fn) -> subprocess.Popen:
    """The mail catcher on 127.0.0.1:MAIL_CATCHER_PORT (8025), in its own session; points env's SMTP_URL at it."""
    port = int(env.get("MAIL_CATCHER_PORT") or mail_catcher.DEFAULT_PORT)
    if _port_answers(port):
        raise RuntimeError(
            f"port {port} (the mail catcher) is already in use; set MAIL_CATCHER_PORT to another one, or SMTP_URL to"
            " a real SMTP server"
        )
    folder = Path(env.get("CAUGHT_MAIL_DIR") or default_caught_mail_dir())
    command = [sys.executable, "-m", "backoffice.mail_catcher", "--port", str(port), "--dir", str(folder)]
    if not env.get("IMAP_URL"):  # replies to the operator's addresses go to the local mailbox the fetch job reads
        mailbox = Path(env.get("LOCAL_MAILBOX_DIR") or default_local_mailbox_dir())
        domain = parseaddr(env.get("MAIL_FROM") or default_of("mail_from") or "")[1].rpartition("@")[2]
        command += ["--mailbox", str(mailbox), "--domain", domain]
    catcher = subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=preexec_fn)
    env["SMTP_URL"] = f"smtp://{mail_catcher.HOST}:{port}"
    return catcher


def _mail_address(url: str) -> str:
    """Where mail goes, without the password SMTP_URL may carry."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _file_store(env: dict[str, str]) -> str:
    """Where stored files go (`make run` checked it first: `flask storage check`)."""
    if env.get("STORAGE_URL"):
        endpoint = f" at {env['S3_ENDPOINT_URL']}" if env.get("S3_ENDPOINT_URL") else ""
        return f"{env['STORAGE_URL']}{endpoint} (STORAGE_URL)"
    return "the local folders (INVOICE_ARCHIVE, CASE_DOCUMENTS_DIR)"


def main() -> int:
    port = int(os.environ.get("PORT", "5000"))
    instance = instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, FLASK_APP="wsgi")
    children: list[tuple[str, subprocess.Popen]] = []  # mail catcher, worker, dispatcher, web
    redis = None
    _Stopping.requested_at, _Stopping.hurried = None, False
    end_with_me = _end_with(os.getpid())

    # Started in the background by a script, SIGINT arrives ignored; take it back so Ctrl-C always stops everything.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if env.get("REDIS_URL"):
            print(f"Using Redis at {env['REDIS_URL']} (REDIS_URL)")
        else:
            redis, env["REDIS_URL"] = embedded_redis.start(instance, preexec_fn=end_with_me)
            print(f"Embedded Redis on {env['REDIS_URL']}")
        catcher = None
        if env.get("SMTP_URL"):
            print(f"Sending mail through {_mail_address(env['SMTP_URL'])} (SMTP_URL)")
        else:
            catcher = start_mail_catcher(env, end_with_me)
            children.append(("mail catcher", catcher))
            _wait_for(
                lambda: _port_answers(urlsplit(env["SMTP_URL"]).port) or catcher.poll() is not None, "the mail catcher"
            )
            if catcher.poll() is not None:
                raise RuntimeError(f"the mail catcher did not start (exit code {catcher.returncode})")
        if _port_answers(port):
            raise RuntimeError(f"port {port} is already in use; set PORT to another one")
        flask = [sys.executable, "-m", "flask"]
        # Own sessions: Ctrl-C reaches only this launcher, which then stops the children; each also ends when the
        # launcher ends, whatever the cause (PR_SET_PDEATHSIG).
        # The worker's scheduler runs RQ's own scheduled jobs and retries (the outbox's go through the dispatcher).
        commands = {
            "worker": [*flask, "jobs", "worker", "--with-scheduler"],
            "dispatcher": [*flask, "jobs", "dispatch"],
            "web": [*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
        }
        for name, command in commands.items():
            if _Stopping.requested_at is not None:
                raise _Stopped
            child = subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=end_with_me)
            children.append((name, child))
        _wait_for(lambda: _port_answers(port), "the web app")
        print(f"\n  Back office running on http://127.0.0.1:{port}   (Ctrl-C stops everything `make run` started)\n")
        print(f"  Files in {_file_store(env)}\n")
        if catcher is not None:
            print(f"  Mail catcher on {env['SMTP_URL']}: what it caught at http://127.0.0.1:{port}/dev/mail (admin)\n")
        print(f"  Demo logins, password {DEMO_PASSWORD!r}:")
        for email, name, role in DEMO_USERS:
            print(f"    {role:<12} {email:<24} {name}")
        print(flush=True)
        while _Stopping.requested_at is None:
            for name, child in [*children, ("redis", redis)]:
                if child is not None and child.poll() is not None:
                    raise RuntimeError(f"the {name} process stopped (exit code {child.returncode})")
            time.sleep(0.2)
        raise _Stopped
    except (_Stopped, KeyboardInterrupt):
        _Stopping.requested_at = _Stopping.requested_at or time.monotonic()  # later signals only hurry the stop
        with contextlib.suppress(OSError):  # the terminal may be gone
            print("\nStopping web, dispatcher, worker, mail catcher and Redis ...", flush=True)
        stop_children(children, redis)
        return 0
    except RuntimeError as error:
        _Stopping.requested_at = _Stopping.requested_at or time.monotonic()
        with contextlib.suppress(OSError):
            print(f"make run: {error}", file=sys.stderr, flush=True)
        stop_children(children, redis)
        return 1


if __name__ == "__main__":
    sys.exit(main())
