"""The case list: filters, search and sort read from the query string, one page in two SQL statements.

Every value from the URL is checked in `CaseFilters.from_args` and reaches SQL only as a bound parameter; the sort
column comes from an allow-list. A filter value that names nothing (state=bogus, coordinator=abc) is refused with a
400 and a message; a bad page or sort falls back to the default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import contains_eager, joinedload

from backoffice.auth.models import User
from backoffice.auth.permissions import COORDINATOR
from backoffice.cases.models import OPEN_STATES, STATES, Case
from backoffice.cases.search import search_condition
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Hospital
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.geo import countries
from backoffice.pagination import Page, paginate
from backoffice.params import page_number, positive_int
from backoffice.patients.models import Patient
from backoffice.patients.restriction import not_erased

PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 100
OPEN = "open"
UNASSIGNED = "unassigned"
MINE = "mine"

# Sort keys offered to the user, each with its default direction. Anything else sorts newest first.
SORTS = {
    "requested_at": "desc",
    "number": "desc",
    "state": "asc",
    "patient": "asc",
    "due": "asc",
}
DEFAULT_SORT = "requested_at"
# A full case number (C-2026-00042) is looked up exactly; a beginning of one (C-2026-000) by prefix; anything else,
# a part of a number (00042) too, through the folded search keys (cases.search).
FULL_NUMBER = re.compile(r"^C-\d{4}-\d{5,}$")
NUMBER_START = re.compile(r"^C-\d*(-\d*)?$")
TRUE_VALUES = ("1", "on", "true", "yes")


class FilterError(DomainError):
    """A filter in the URL names nothing that exists (the page was not built by our own form)."""

    status_code = 400


@dataclass(frozen=True)
class CaseFilters:
    """What the case list shows, cleaned from the query string."""

    state: str | None = None  # a state, or "open"
    coordinator_id: int | None = None
    unassigned: bool = False
    hospital_id: int | None = None
    country: str | None = None  # the patient's country of residence
    patient_id: int | None = None  # the cases of one patient (linked from a duplicate-contact warning)
    overdue: bool = False
    q: str = ""
    sort: str = DEFAULT_SORT
    direction: str = SORTS[DEFAULT_SORT]
    page: int = 1
    coordinator_param: str = ""  # as the form sent it ("mine", "unassigned", an id), to show it selected again

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, user_id: int) -> CaseFilters:
        state = _text(args, "state").lower() or None
        if state is not None and state != OPEN and state not in STATES:
            raise FilterError(_("There is no case state %(state)r.", state=state[:30]))

        coordinator_param = _text(args, "coordinator").lower()
        coordinator_id, unassigned = None, False
        if coordinator_param == UNASSIGNED:
            unassigned = True
        elif coordinator_param == MINE:
            coordinator_id = user_id
        elif coordinator_param:
            coordinator_id = _positive_id(
                coordinator_param, _("%(value)r is not a coordinator of the list; choose one from the filter.")
            )

        hospital_param = _text(args, "hospital")
        hospital_id = (
            _positive_id(hospital_param, _("%(value)r is not a hospital of the list; choose one from the filter."))
            if hospital_param
            else None
        )
        patient_param = _text(args, "patient")
        patient_id = (
            _positive_id(patient_param, _("%(value)r is not a patient of the list; choose one from the filter."))
            if patient_param
            else None
        )

        country = _text(args, "country").upper() or None
        if country is not None and country not in countries():
            raise FilterError(_("%(code)r is not a two-letter country code (such as DE, GB, AE).", code=country[:30]))

        sort = _text(args, "sort")
        if sort not in SORTS:
            sort = DEFAULT_SORT
        direction = _text(args, "dir").lower()
        if direction not in ("asc", "desc"):
            direction = SORTS[sort]

        page = _text(args, "page")
        return cls(
            state=state,
            coordinator_id=coordinator_id,
            unassigned=unassigned,
            hospital_id=hospital_id,
            country=country,
            patient_id=patient_id,
            overdue=_text(args, "overdue").lower() in TRUE_VALUES,
            q=" ".join(_text(args, "q").split())[:MAX_SEARCH_LENGTH],
            sort=sort,
            direction=direction,
            page=page_number(page),
            coordinator_param=coordinator_param,
        )

    @property
    def is_filtered(self) -> bool:
        return any(
            (
                self.state,
                self.coordinator_id,
                self.unassigned,
                self.hospital_id,
                self.country,
                self.patient_id,
                self.overdue,
                self.q,
            )
        )


def _text(args: Mapping[str, str], name: str) -> str:
    return (args.get(name) or "").strip()


def _positive_id(value: str, refusal: str) -> int:
    """`value` as an id, or the refusal (a translated message with a %(value)r placeholder)."""
    number = positive_int(value)
    if number is None:
        raise FilterError(refusal % {"value": value[:30]})
    return number


def overdue_condition(now: datetime):
    """First contact not made and the answer window passed (uses ix_cases_state_first_response_due_at)."""
    return (Case.state == "new") & (Case.first_response_due_at < now)


def due_expression():
    """What the "Due" column shows: a new request's first-contact deadline, otherwise the reminder's date.

    The list's "Due" column shows the first-contact deadline of a request in state `new`; sorting on the reminder
    alone left new requests (which have none) in arrival order whichever direction was asked. A reminder date sorts
    as midnight of its day (PostgreSQL casts the date to a timestamp; SQLite compares the ISO texts).
    """
    return sql_case((Case.state == "new", Case.first_response_due_at), else_=Case.next_action_on)


def case_query(
    filters: CaseFilters, *, now: datetime | None = None, health_data: bool = False
) -> tuple[Select, tuple, tuple]:
    """The list's Select (filters applied), its ORDER BY and its eager loads, for `paginate` or for a bare run.

    A search looks in the treatment too when the user may read health data (`health_data`). An erased patient's
    cases are in no list, whoever looks (`patients.restriction`).
    """
    now = now or utcnow()
    query = select(Case).where(not_erased(Case.patient_id))
    if filters.state == OPEN:
        query = query.where(Case.state.in_(OPEN_STATES))
    elif filters.state:
        query = query.where(Case.state == filters.state)
    if filters.unassigned:
        query = query.where(Case.coordinator_id.is_(None))
    elif filters.coordinator_id:
        query = query.where(Case.coordinator_id == filters.coordinator_id)
    if filters.hospital_id:
        query = query.where(Case.hospital_id == filters.hospital_id)
    if filters.patient_id:
        query = query.where(Case.patient_id == filters.patient_id)
    if filters.overdue:
        query = query.where(overdue_condition(now))

    needs_patient = bool(filters.country) or filters.sort == "patient"
    search = filters.q.upper()
    if FULL_NUMBER.match(search):
        query = query.where(Case.number == search)
    elif NUMBER_START.match(search):
        query = query.where(Case.number.startswith(search, autoescape=True))
    elif filters.q:
        query = query.where(search_condition(filters.q, health_data=health_data))
    if needs_patient:
        query = query.join(Case.patient)
        patient_load = contains_eager(Case.patient)
    else:
        patient_load = joinedload(Case.patient)
    if filters.country:
        query = query.where(Patient.country == filters.country)

    options = (patient_load, joinedload(Case.coordinator), joinedload(Case.hospital))
    return query, _order_by(filters), options


def _order_by(filters: CaseFilters) -> tuple:
    descending = filters.direction == "desc"

    def directed(column):
        return column.desc() if descending else column.asc()

    if filters.sort == "number":
        return (directed(Case.number),)
    if filters.sort == "state":
        pipeline_position = sql_case({state: position for position, state in enumerate(STATES)}, value=Case.state)
        return directed(pipeline_position), Case.requested_at.desc(), Case.id.desc()
    if filters.sort == "patient":
        return directed(Patient.name), directed(Case.id)
    if filters.sort == "due":
        # Cases without anything due come last whichever way the dates run.
        return directed(due_expression()).nulls_last(), Case.requested_at.desc(), Case.id.desc()
    return directed(Case.requested_at), directed(Case.id)


def search_cases(filters: CaseFilters, *, now: datetime | None = None, health_data: bool = False) -> Page[Case]:
    """One page of cases, each with its patient, coordinator and hospital loaded: a count and one row statement."""
    query, order_by, options = case_query(filters, now=now, health_data=health_data)
    return paginate(query, page=filters.page, per_page=PAGE_SIZE, order_by=order_by, options=options)


def count_overdue(now: datetime | None = None) -> int:
    """Requests whose first contact is overdue, across the team (an erased patient's left out, as in the list)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Case)
            .where(overdue_condition(now or utcnow()), not_erased(Case.patient_id))
        )
        or 0
    )


@dataclass(frozen=True)
class FilterChoices:
    coordinators: list[tuple[int, str]]
    hospitals: list[tuple[int, str]]
    countries: list[tuple[str, str]]


def filter_choices() -> FilterChoices:
    """The options of the filter form: coordinators (active first), hospitals, countries. Two statements."""
    coordinators = db.session.execute(
        select(User.id, User.name, User.active).where(User.role == COORDINATOR).order_by(User.active.desc(), User.name)
    ).all()
    hospitals = db.session.execute(select(Hospital.id, Hospital.name).order_by(Hospital.name)).all()
    return FilterChoices(
        coordinators=[(row.id, row.name if row.active else f"{row.name} (deactivated)") for row in coordinators],
        hospitals=[(row.id, row.name) for row in hospitals],
        countries=list(countries().items()),
    )
