"""Domain errors and the error pages.

Operations raise `DomainError` subclasses with a message meant for people; one handler turns them into a 4xx page.
Error pages use the app's layout and never show a traceback or any record's data.
"""

from __future__ import annotations

import contextlib

import click
from flask import Flask, g, render_template
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from backoffice.extensions import db, login_manager
from backoffice.languages import N_
from backoffice.trail import record_event


class DomainError(Exception):
    """A rule of the business refused the request; `str(error)` is shown to the user."""

    status_code = 422

    def __init__(self, message: str, *, trace: dict | None = None):
        super().__init__(message)
        self.message = message
        # An audit event (record_event keywords) to keep although the refused change is rolled back: attempts to
        # change what must not change are themselves part of the history.
        self.trace = trace


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class CommandRefused(click.ClickException):
    """A `flask` command refused its input: "Error: <message>" on stderr and exit status 2, nothing stored."""

    exit_code = 2


ERROR_TITLES = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Method not allowed"),
    413: N_("Upload too large"),
    422: N_("Cannot do that"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Service unavailable"),
}

ERROR_MESSAGES = {
    400: N_("The request could not be understood."),
    403: N_("You do not have access to this page."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not accept that kind of request."),
    413: N_("The file is larger than allowed."),
    422: N_("The request could not be carried out."),
    429: N_("Too many attempts. Wait a little and try again."),
    500: N_("An unexpected error occurred. It has been logged; please try again."),
    503: N_("A service this page needs is not available right now."),
}


DATABASE_UNAVAILABLE = N_("The database is not available right now. Wait a moment and try again.")
CONCURRENT_CHANGE = N_(
    "Someone else changed this at the same moment. Nothing was saved: reload the page and try again."
)
MISSING_TOKEN = N_("The form was missing its security token or it had expired. Reload the page and try again.")
# PostgreSQL's SQLSTATEs: class 08 (connection exception) and the server shutting down; deadlock and serialisation.
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03")
_CONFLICT_STATES = ("40001", "40P01")
_SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL")


def database_trouble(error: OperationalError | InterfaceError) -> str:
    """ "unavailable" (the connection is gone or refused, SQLite stayed locked), "conflict" (deadlock or
    serialisation failure) or "error" (anything else: a bug, not an outage)."""
    if error.connection_invalidated:
        return "unavailable"
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in _CONFLICT_STATES:
        return "conflict"
    if sqlstate is not None:
        return "unavailable" if sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_STATES else "error"
    sqlite_name = getattr(original, "sqlite_errorname", None)
    if sqlite_name is not None:
        # Locked past the wait, the file gone or unreadable, the disk failing or full (extended names included).
        return "unavailable" if sqlite_name.startswith(_SQLITE_UNAVAILABLE) else "error"
    # No SQLSTATE from the server: the connection failed before or while talking to it (refused, reset, closed).
    return "unavailable"


def render_error(code: int, message: str | None = None):
    """The error page in the page's language: its title and, without a message of its own, the code's message (a
    refusal's own message comes as its operation wrote it)."""
    title = gettext(ERROR_TITLES.get(code, N_("Error")))
    message = message or gettext(ERROR_MESSAGES.get(code, ERROR_MESSAGES[500]))
    return render_template("errors/error.html", code=code, title=title, message=message), code


def keep_trace(error: DomainError) -> None:
    """After a rollback, store the audit event a refusal asked to keep (who tried what), in its own commit."""
    if error.trace:
        record_event(**error.trace)
        db.session.commit()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        if error.trace:
            keep_trace(error)
        return render_error(error.status_code, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, gettext(MISSING_TOKEN))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        # Werkzeug's default descriptions are generic; ours are written for the operator's staff.
        response = render_error(code)
        if code == 405 and error.get_response().headers.get("Allow"):
            return response[0], code, {"Allow": error.get_response().headers["Allow"]}
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_error(error: OperationalError | InterfaceError):
        kind = database_trouble(error)
        if kind == "conflict":
            # A deadlock or serialisation failure: a colleague's change crossed this one; nothing was stored.
            app.logger.warning("concurrent change refused by the database: %s", str(error).splitlines()[0][:300])
            db.session.rollback()
            return render_error(409, gettext(CONCURRENT_CHANGE))
        if kind != "unavailable":
            return unexpected_error(error)  # a missing table, an SQL error: a bug to see in the log, not an outage
        # The database is down, restarting or refusing connections (or SQLite's lock wait gave up): a 503 to retry.
        # The page must not need the database itself: its layout shows the visitor as signed out.
        app.logger.error("database unavailable: %s", str(error).splitlines()[0][:300], exc_info=error)
        with contextlib.suppress(Exception):  # the connection is gone; the pool replaces it at the next checkout
            db.session.rollback()
        g._login_user = login_manager.anonymous_user()
        page, code = render_error(503, gettext(DATABASE_UNAVAILABLE))
        return page, code, {"Retry-After": "5"}

    @app.teardown_appcontext
    def release_session(_error: BaseException | None) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order). When the database went away
        # after the response was made, ending the session's transaction fails; the response stands, the dead
        # connection is already invalidated, and the next request gets a fresh one.
        try:
            db.session.remove()
        except (OperationalError, InterfaceError) as error:
            app.logger.warning("database connection lost at the end of a request: %s", str(error).splitlines()[0])
            db.session.registry.clear()

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error")
        # The failed transaction must not take the error page down with it (the layout loads the current user).
        db.session.rollback()
        return render_error(500)
