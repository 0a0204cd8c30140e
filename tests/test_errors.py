"""Only a database that is away (or stayed locked) is "try again later"; a deadlock is a 409, a bug stays a 500."""

import pytest
from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from backoffice import create_app
from backoffice.auth.permissions import public
from backoffice.extensions import db


class _DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _app_raising(app_config, error_factory):
    app = create_app(app_config)
    broken = Blueprint("broken", __name__)

    @broken.route("/broken")
    @public
    def page():
        raise error_factory()

    app.register_blueprint(broken)
    return app.test_client()


def test_a_missing_table_is_an_error_to_fix_not_an_outage(app_config):
    def query_a_missing_table():
        try:
            db.session.execute(text("SELECT * FROM no_such_table"))
        except OperationalError as error:
            return error
        raise AssertionError("the query should have failed")

    def missing_table():
        return query_a_missing_table()

    client = _app_raising(app_config, missing_table)
    response = client.get("/broken")
    body = response.get_data(as_text=True)
    if "no_such_table" in body:
        pytest.fail("the error page shows the SQL")
    # PostgreSQL reports a missing table as ProgrammingError, SQLite as OperationalError: either way, a 500.
    assert response.status_code == 500 and "Retry-After" not in response.headers


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_deadlock_or_serialisation_failure_is_a_409_asking_to_try_again(app_config, sqlstate):
    client = _app_raising(
        app_config, lambda: OperationalError("UPDATE cases ...", {}, _DriverError("deadlock detected", sqlstate))
    )
    response = client.get("/broken")
    assert response.status_code == 409
    assert "Someone else changed this at the same moment" in response.get_data(as_text=True)


@pytest.mark.parametrize("sqlstate", [None, "08006", "57P01"])
def test_a_lost_or_refused_connection_is_a_503_to_retry(app_config, sqlstate):
    client = _app_raising(
        app_config, lambda: OperationalError("SELECT 1", {}, _DriverError("connection refused", sqlstate))
    )
    response = client.get("/broken")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "The database is not available right now" in response.get_data(as_text=True)


def test_a_statement_timeout_is_a_500_not_an_outage(app_config):
    client = _app_raising(
        app_config, lambda: OperationalError("SELECT ...", {}, _DriverError("canceling statement", "57014"))
    )
    assert client.get("/broken").status_code == 500
