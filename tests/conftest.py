"""One app per test session on the chosen database (`--db sqlite|postgresql`) with a real Redis.

The schema is built by the Alembic migrations, as in production. Rows are deleted after each test rather than
rolled back, so tests may commit, use several connections and run workers, as the app itself does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import event

from backoffice import create_app
from backoffice.extensions import db
from backoffice.languages import compile_catalogues
from tests.factories import make_user
from tests.helpers import BackofficeClient, delete_all_rows, login_as
from tests.servers import dovecot, dovecot_missing, embedded_redis, throwaway_postgres


def pytest_sessionstart(session) -> None:
    compile_catalogues()  # as `make translations` does: the suite reads the catalogues in the repository as they are


def pytest_addoption(parser):
    parser.addoption("--db", choices=("sqlite", "postgresql"), default="sqlite", help="database to run the suite on")


def pytest_report_header(config):
    return f"database: {config.getoption('--db')}"


def pytest_collection_modifyitems(config, items):
    if config.getoption("--db") != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (make test runs the suite on it too)")
        for item in items:
            if "postgresql_only" in item.keywords:
                item.add_marker(skip)
        return
    # A test that sends no SQL answers the same on either database: the PostgreSQL run leaves it to the SQLite one.
    independent = [item for item in items if "database_independent" in item.keywords]
    if independent:
        config.hook.pytest_deselected(items=independent)
        items[:] = [item for item in items if "database_independent" not in item.keywords]


@pytest.fixture(scope="session")
def database_url(request):
    if request.config.getoption("--db") == "postgresql":
        with throwaway_postgres() as url:
            yield url
    else:
        with tempfile.TemporaryDirectory(prefix="backoffice-sqlite-", dir=_memory_backed_folder()) as directory:
            yield f"sqlite:///{Path(directory) / 'test.db'}"


def _memory_backed_folder() -> str | None:
    """/dev/shm when it is there with room to spare, else the usual temp folder: every test ends by emptying the
    tables, and the SQLite suite ran about a quarter faster with its file in memory than on the disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free >= 1 << 30:
        return str(shm)
    return None


@pytest.fixture(scope="session")
def redis_url():
    with embedded_redis() as url:
        yield url


@pytest.fixture(scope="session")
def app_config(database_url, redis_url, tmp_path_factory):
    # The app's instance folder (demo files, the development secret) stays out of the checkout during tests.
    os.environ["INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    return {
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INVOICE_ARCHIVE": str(tmp_path_factory.mktemp("invoices")),
        "CASE_DOCUMENTS_DIR": str(tmp_path_factory.mktemp("documents")),
    }


@pytest.fixture(scope="session")
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = BackofficeClient
    with app.app_context():
        flask_migrate.upgrade()
    return app


@pytest.fixture(autouse=True)
def _app_context(app, request):
    with app.app_context():
        with _no_sql_unless_allowed(request.node):
            yield
        db.session.remove()
        delete_all_rows()


@contextlib.contextmanager
def _no_sql_unless_allowed(item):
    """A test marked database_independent runs on SQLite only, so it must not send a single statement (else it
    belongs in both runs): counted here, and the test fails on the first one."""
    if "database_independent" not in item.keywords:
        yield
        return
    sent = []

    def listener(_connection, _cursor, statement, *_rest):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert not sent, f"a database_independent test sent SQL (take the mark off): {sent[:3]}"


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def users():
    """One account per role, committed, with the password `correct horse battery`."""
    accounts = {
        "admin": make_user("admin", email="admin@test.example", name="Alice Admin"),
        "coordinator": make_user("coordinator", email="coord@test.example", name="Carl Coordinator"),
        "finance": make_user("finance", email="finance@test.example", name="Frida Finance"),
        "patient": make_user("patient", email="patient@test.example", name="Paula Patient"),
        "patient2": make_user("patient", email="patient2@test.example", name="Peter Patient"),
    }
    db.session.commit()
    return accounts


@pytest.fixture
def as_role(client, users):
    """`as_role("finance")` signs the test client in with that role's account and returns the client."""

    def sign_in(role: str):
        login_as(client, users[role])
        return client

    return sign_in


@pytest.fixture
def as_german(as_role, users):
    """`as_german("finance")` saves German as the page language of that role's account, signs the test client in
    with it and returns the client."""

    def sign_in(role: str):
        users[role].language = "de"
        db.session.commit()
        return as_role(role)

    return sign_in


@pytest.fixture
def count_queries():
    """Context manager counting the SQL statements the block sends."""

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def imap_server():
    """A real Dovecot IMAP server with one user and an empty INBOX (installed first when missing and we may)."""
    missing = dovecot_missing()
    if missing:
        pytest.skip(missing)
    with dovecot() as server:
        yield server


@pytest.fixture
def imap_tls_server(monkeypatch):
    """Dovecot with STARTTLS and TLS, its certificate trusted by the process (SSL_CERT_FILE)."""
    missing = dovecot_missing()
    if missing:
        pytest.skip(missing)
    with dovecot(tls=True) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        yield server
