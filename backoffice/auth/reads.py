"""Reads of patients' health data and refused requests, in the audit log: one row per request, written after it.

A route that shows health data says so next to its route, below its audience:

    @bp.route("/<int:case_id>")
    @roles_required(*CASE_READERS)
    @reads_health_data(case_arg="case_id")
    def show_case(case_id): ...

The declaration notes the read before the view runs (who, which case or record, the query string); `record_access`,
run after every request, writes it with the answer's status in one INSERT, so a page that then fails (404, 500)
still leaves its row. A signed-in user's request refused on a page that is not public (403, or 404: another
patient's record, a record that does not exist) leaves an `access_refused` row instead. Both name the case when the
URL does, so `case_access_history` shows who looked at a case and who was turned away.

The rule "a route of a health-data feature declares its reads" is checked by walking `app.url_map` in
tests/audit/test_health_data_reads.py, so a new page cannot forget it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import current_app, g, make_response, request
from flask_login import current_user
from sqlalchemy import String, cast, insert, inspect, select
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from backoffice.auth.permissions import PUBLIC, audience_of
from backoffice.dbtypes import utcnow
from backoffice.errors import DATABASE_UNAVAILABLE, database_trouble, render_error
from backoffice.extensions import db, login_manager
from backoffice.trail import ACCESS_REFUSED, HEALTH_DATA_READ, AuditEvent

REFUSED_STATUSES = (403, 404)
# The query string is kept as typed (a search names what was looked for), within bounds.
MAX_QUERY_KEYS = 20
MAX_QUERY_VALUE = 200
NOT_RECORDED = "This page shows health data, and its reading could not be recorded. Try again in a moment."


@dataclass(frozen=True, slots=True)
class HealthDataRead:
    """What a route declares it reads: a case named in the URL, a record of a case, or a list (its query)."""

    case_arg: str | None = None
    record: Any = None  # a model with `id` and `case_id` columns
    record_arg: str | None = None

    def case_id(self, view_args: dict[str, Any]) -> Any:
        """The case's id as stored in `audit_events.object_id`: a value, or a scalar subquery on the record."""
        if self.case_arg and view_args.get(self.case_arg) is not None:
            return str(view_args[self.case_arg])
        if self.record is not None and view_args.get(self.record_arg) is not None:
            case_id = select(self.record.case_id).where(self.record.id == view_args[self.record_arg])
            return cast(case_id.scalar_subquery(), String(64))
        return None

    def record_label(self, view_args: dict[str, Any]) -> str | None:
        if self.record is not None and view_args.get(self.record_arg) is not None:
            return f"{self.record.__tablename__}:{view_args[self.record_arg]}"
        return None


def reads_health_data(
    case_arg: str | None = None, *, record: Any = None, record_arg: str | None = None
) -> Callable[[Callable], Callable]:
    """Declare that the route shows a patient's health data; every request to it leaves a `health_data_read` row.

    `case_arg`: the URL argument holding the case's id. `record` and `record_arg`: the URL argument is the id of a
    row of `record` (a model with a `case_id` column); its case is found by the INSERT itself. Neither: a list or a
    search, recorded with its query string.
    """
    if (record is None) != (record_arg is None) or (case_arg and record is not None):
        raise ValueError("declare either case_arg, or record with record_arg, or neither (a list)")
    declaration = HealthDataRead(case_arg=case_arg, record=record, record_arg=record_arg)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            g.health_data_read = declaration  # noted before the view runs: a failing page is still recorded
            return view(*args, **kwargs)

        wrapper.health_data = declaration  # type: ignore[attr-defined]
        return wrapper

    return decorator


def declared_reads(view: Callable) -> HealthDataRead | None:
    return getattr(view, "health_data", None)


def _query() -> dict[str, str]:
    return {key[:64]: value[:MAX_QUERY_VALUE] for key, value in list(request.args.items())[:MAX_QUERY_KEYS]}


def _refused(status: int) -> bool:
    """A signed-in user turned away from a page that is not public (an unknown address is not a page)."""
    if status not in REFUSED_STATUSES or request.endpoint is None:
        return False
    if audience_of(request.endpoint) in (None, PUBLIC):
        return False
    return current_user.is_authenticated


def _actor_id() -> int | None:
    """The signed-in user's id without loading the row again (the view's commit or rollback expired it)."""
    if not current_user.is_authenticated:
        return None
    state = inspect(current_user._get_current_object(), raiseerr=False)
    return state.identity[0] if state is not None and state.identity else current_user.id


def _end_the_views_transaction() -> None:
    """Roll back what the view left open. When that fails (the connection died after the page was made), the
    session lets go of it and the row is written through a fresh connection."""
    try:
        db.session.rollback()
    except SQLAlchemyError as error:
        current_app.logger.warning("connection lost before a read was recorded: %s", str(error).splitlines()[0])
        db.session.rollback()


def record_access(response):
    """After every request: the health-data read it declared, or the refusal it met, as one audit row.

    Whatever the view left uncommitted is rolled back first (the end of the request would discard it anyway), so
    the row is committed alone. A read that cannot be recorded is not shown: the answer becomes a 503.
    """
    declaration: HealthDataRead | None = g.pop("health_data_read", None)
    status = response.status_code
    refused = _refused(status)
    if declaration is None and not refused:
        return response
    view_args = request.view_args or {}
    actor_id = _actor_id()
    details: dict[str, Any] = {"endpoint": request.endpoint, "method": request.method, "status": status}
    query = _query()
    if query:
        details["query"] = query
    case_id = None
    if declaration is not None:
        case_id = declaration.case_id(view_args)
        record = declaration.record_label(view_args)
        if record:
            details["record"] = record
    elif view_args.get("case_id") is not None:
        case_id = str(view_args["case_id"])
    if refused and case_id is None and view_args:
        details["args"] = {key: str(value)[:MAX_QUERY_VALUE] for key, value in view_args.items()}
    try:
        _end_the_views_transaction()
        db.session.execute(
            insert(AuditEvent).values(
                occurred_at=utcnow(),
                actor_id=actor_id,
                action=ACCESS_REFUSED if refused else HEALTH_DATA_READ,
                object_type="case" if case_id is not None else None,
                object_id=case_id,
                details=details,
                remote_addr=request.remote_addr,
            )
        )
        db.session.commit()
    except SQLAlchemyError as error:
        current_app.logger.exception("could not record %s of %s", "a refusal" if refused else "a read", request.path)
        with contextlib.suppress(Exception):
            db.session.rollback()
        if declaration is not None and not refused and status < 400:
            # The database may be the reason: the page must not need it, so its layout shows the visitor signed out,
            # and an outage says so as every page does during one.
            g._login_user = login_manager.anonymous_user()
            outage = isinstance(error, OperationalError | InterfaceError) and database_trouble(error) == "unavailable"
            page, code = render_error(503, DATABASE_UNAVAILABLE if outage else NOT_RECORDED)
            return make_response(page, code, {"Retry-After": "5"})
    return response
