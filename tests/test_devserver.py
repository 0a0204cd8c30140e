"""What `make run` starts: Redis, a worker, the job dispatcher and the web app, all stopped by one Ctrl-C."""

import contextlib
import json
import os
import re
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import pytest
from redis import Redis

from backoffice import devserver
from tests.servers import free_port

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

ROOT = Path(__file__).resolve().parent.parent
# Left out of the environment: `make run` starts its own database file, Redis and mail catcher.
OWN_SERVICES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "APP_ENV", "SMTP_URL", "CAUGHT_MAIL_DIR")


def _children(pid: int) -> dict[int, str]:
    """The processes `pid` started, with their command lines."""
    listing = subprocess.run(["pgrep", "-a", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(line.split(" ", 1)[0]): line.split(" ", 1)[1] for line in listing.splitlines()}


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _jobs_done(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM job_outbox WHERE state = 'done'").fetchone()[0]


def _until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(os.environ.get("BACKOFFICE_SKIP_DEVSERVER") == "1", reason="asked to skip")
def test_make_run_starts_redis_mail_catcher_worker_dispatcher_and_web_and_ctrl_c_stops_them(tmp_path, request):
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("the development server's default database is SQLite; checked once")
    port = free_port()
    mail_port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in OWN_SERVICES}
    env.update(
        INSTANCE_PATH=str(tmp_path),
        INVOICE_ARCHIVE=str(tmp_path / "invoices"),
        PORT=str(port),
        MAIL_CATCHER_PORT=str(mail_port),
        FLASK_APP="wsgi",
    )
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo", "seed", "--if-empty"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "backoffice.devserver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if "patient2@demo.test" in line or server.poll() is not None:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}" in output and "admin@demo.test" in output, output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert json.load(response) == {"status": "ok", "database": "ok", "redis": "ok", "storage": "ok"}
        assert (tmp_path / "redis.sock").exists()
        children = _children(server.pid)
        commands = " | ".join(children.values())
        assert "redis-server" in commands and "flask run" in commands, commands
        assert "flask jobs worker --with-scheduler" in commands and "flask jobs dispatch" in commands, commands
        assert "backoffice.mail_catcher" in commands, commands
        assert f"Mail catcher on smtp://127.0.0.1:{mail_port}" in output and "/dev/mail" in output, output
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "care@medtravel.example", "p@example.test", "Caught"
        message.set_content("kept in instance/caught-mail")
        with smtplib.SMTP("127.0.0.1", mail_port, timeout=10) as smtp:
            smtp.send_message(message)
        assert [path.suffix for path in (tmp_path / "caught-mail" / "new").iterdir()] == [".eml"]
        redis = Redis.from_url(re.search(r"Embedded Redis on (\S+)", output).group(1))
        # The worker runs RQ's scheduler; the dispatcher sends the periodic jobs it records, which the worker runs.
        assert _until(lambda: redis.exists("rq:scheduler-lock:default"), 20), "the worker runs no scheduler"
        assert _until(lambda: _jobs_done(tmp_path / "backoffice.db") >= 2, 30), "no job was dispatched and run"
        redis.close()
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in the terminal does: the whole process group
        assert server.wait(timeout=30) == 0
        rest = server.stdout.read()
        assert "Traceback" not in rest and "Stopping web, dispatcher, worker, mail catcher and Redis" in rest, rest
        assert not [command for pid, command in children.items() if _running(pid)], "children still running"
        time.sleep(0.5)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
        assert not devserver._port_answers(mail_port), "the mail catcher still listens"
        leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.strip()
        assert leftovers == "", "processes still running after Ctrl-C"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)


class _FakeProcess:
    """Stands for a child process: records what the launcher asks of it."""

    def __init__(self, name: str, log: list[str]):
        self.name, self.log, self.returncode = name, log, None

    def poll(self):
        return self.returncode

    def terminate(self):
        self.log.append(self.name)
        self.returncode = 0

    def wait(self, timeout=None):
        return self.returncode

    def kill(self):
        self.terminate()


def _run_launcher_with_stand_ins(monkeypatch, tmp_path, answers: list[bool]):
    """`devserver.main()` with fake children that a Ctrl-C stops at once: (commands started, their environments,
    the order they were stopped in). `answers` are what the port checks see in turn (then True)."""
    stopped: list[str] = []
    started: list[list[str]] = []
    environments: list[dict[str, str]] = []

    def popen(command, **kwargs):
        started.append(command)
        environments.append(kwargs["env"])
        if "backoffice.mail_catcher" in command:
            return _FakeProcess("mail", stopped)
        name = "web" if "run" in command else command[command.index("jobs") + 1]
        return _FakeProcess(name, stopped)

    checks = iter(answers)
    # Stand-ins for the modules the launcher uses (the real ones stay untouched for the rest of the process).
    monkeypatch.setattr(devserver, "subprocess", SimpleNamespace(Popen=popen, TimeoutExpired=subprocess.TimeoutExpired))
    monkeypatch.setattr(devserver, "time", SimpleNamespace(sleep=devserver._interrupt, monotonic=time.monotonic))
    monkeypatch.setattr(devserver, "signal", SimpleNamespace(signal=lambda *_args: None, SIGINT=0, SIGTERM=0))
    monkeypatch.setattr(
        devserver.embedded_redis, "start", lambda _dir, **_kwargs: (_FakeProcess("redis", stopped), "unix://x")
    )
    monkeypatch.setattr(devserver, "_port_answers", lambda _port: next(checks, True))
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("MAIL_CATCHER_PORT", raising=False)

    assert devserver.main() == 0
    return started, environments, stopped


def test_ctrl_c_stops_web_then_dispatcher_then_worker_then_mail_catcher_then_redis(monkeypatch, tmp_path):
    monkeypatch.delenv("SMTP_URL", raising=False)
    # The mail catcher's port is free, then the catcher answers on it; the same for the web app's.
    started, environments, stopped = _run_launcher_with_stand_ins(monkeypatch, tmp_path, [False, True, False])

    assert started[0][1:3] == ["-m", "backoffice.mail_catcher"] and "8025" in started[0]
    assert [command[3:5] for command in started[1:]] == [["jobs", "worker"], ["jobs", "dispatch"], ["run", "--host"]]
    assert "--with-scheduler" in started[1]
    assert {env["SMTP_URL"] for env in environments[1:]} == {"smtp://127.0.0.1:8025"}, "the app sends to the catcher"
    assert stopped == ["web", "dispatch", "worker", "mail", "redis"]


def test_with_smtp_url_set_make_run_starts_no_mail_catcher_and_the_app_sends_there(monkeypatch, tmp_path):
    monkeypatch.setenv("SMTP_URL", "smtp://user:secret@mail.example:587")
    started, environments, stopped = _run_launcher_with_stand_ins(monkeypatch, tmp_path, [False])

    assert not [command for command in started if "backoffice.mail_catcher" in command]
    assert {env["SMTP_URL"] for env in environments} == {"smtp://user:secret@mail.example:587"}
    assert stopped == ["web", "dispatch", "worker", "redis"]


def test_make_run_refuses_a_taken_mail_catcher_port_and_says_which_setting_moves_it():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"port {port} \\(the mail catcher\\).*MAIL_CATCHER_PORT"):
            devserver.start_mail_catcher({"MAIL_CATCHER_PORT": str(port)}, preexec_fn=None)


def test_make_run_prints_where_mail_goes_without_the_password_of_smtp_url():
    assert devserver._mail_address("smtp://user:secret@mail.example:587") == "smtp://mail.example:587"


def _processes_of(instance: Path) -> dict[int, str]:
    """Every live process started for this instance folder (the launcher, its children and what they forked), found
    by walking /proc for the INSTANCE_PATH in their environment or the folder in their command line (redis-server
    writes its title over both): a child whose parent died is found too."""
    mark = f"INSTANCE_PATH={instance}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ours = mark in (entry / "environ").read_bytes().split(b"\0") or str(instance) in command
        except OSError:  # ended meanwhile, or not ours
            continue
        if ours and _running(int(entry.name)):
            found[int(entry.name)] = command
    return found


def _start_make_run(instance: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in OWN_SERVICES}
    env.update(INSTANCE_PATH=str(instance), INVOICE_ARCHIVE=str(instance / "invoices"), PORT=str(port), MAKEFLAGS="")
    env.update(MAIL_CATCHER_PORT=str(free_port()))
    return subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.load(response).get("redis") == "ok"
    except OSError:
        return False


def _port_free(port: int) -> bool:
    return not devserver._port_answers(port)


@pytest.mark.skipif(os.environ.get("BACKOFFICE_SKIP_DEVSERVER") == "1", reason="asked to skip")
def test_term_twice_to_make_run_stops_everything_within_seconds_and_the_children_never_outlive_the_launcher(
    tmp_path, request
):
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("the development server's default database is SQLite; checked once")
    from backoffice.embedded_redis import socket_answers

    port = free_port()
    make = _start_make_run(tmp_path, port)
    try:
        assert _until(lambda: _healthy(port) or make.poll() is not None, 180), "make run did not come up"
        assert make.poll() is None, make.stdout.read()
        running = _processes_of(tmp_path)
        assert any("redis-server" in command for command in running.values()), running
        assert any("backoffice.mail_catcher" in command for command in running.values()), running
        # What `kill -TERM -<pgid>` twice does: make and the launcher each get both, and make passes its own on.
        os.killpg(make.pid, signal.SIGTERM)
        os.killpg(make.pid, signal.SIGTERM)
        started = time.monotonic()
        assert _until(lambda: not _processes_of(tmp_path), 10), f"left running: {_processes_of(tmp_path)}"
        stopped_in = time.monotonic() - started
        make.wait(timeout=5)
        assert stopped_in < 6, f"stopping took {stopped_in:.1f} s"
        assert _port_free(port) and not socket_answers(tmp_path / "redis.sock")
        assert "Traceback" not in make.stdout.read()

        # The next `make run` starts (no Redis left listening); a SIGKILL of its launcher takes the children along.
        make = _start_make_run(tmp_path, port)
        assert _until(lambda: _healthy(port) or make.poll() is not None, 180), "make run did not start again"
        launcher = next(pid for pid, command in _processes_of(tmp_path).items() if "backoffice.devserver" in command)
        os.kill(launcher, signal.SIGKILL)
        assert _until(lambda: not _processes_of(tmp_path), 15), f"left running: {_processes_of(tmp_path)}"
        assert _port_free(port) and not socket_answers(tmp_path / "redis.sock")
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        for pid in _processes_of(tmp_path):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
