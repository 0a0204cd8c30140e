"""Lists of follow-ups: the due list, the overdue count and list of the dashboard, one follow-up with its case."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.logistics.models import FollowUp
from backoffice.pagination import Page
from backoffice.patients.restriction import not_erased

PAGE_SIZE = 50
OVERDUE_SHOWN = 10


class FollowUpItem(NamedTuple):
    """A follow-up with its case; the case has its patient and coordinator loaded."""

    follow_up: FollowUp
    case: Case


def _with_case():
    return (
        select(FollowUp, Case)
        .join(Case, Case.id == FollowUp.case_id)
        .options(joinedload(Case.patient), joinedload(Case.coordinator))
    )


def follow_up_with_case(follow_up_id: int) -> FollowUpItem:
    """One follow-up with its case, patient, coordinator and who marked it done (one statement); 404 if none."""
    row = db.session.execute(
        _with_case().where(FollowUp.id == follow_up_id).options(joinedload(FollowUp.done_by))
    ).one_or_none()
    if row is None:
        raise NotFound(_("There is no such follow-up."))
    return FollowUpItem(*row)


def _due_conditions(coordinator_id: int | None):
    conditions = [FollowUp.status == "due", not_erased(Case.patient_id)]  # an erased patient's: in no list
    if coordinator_id is not None:
        conditions.append(Case.coordinator_id == coordinator_id)
    return conditions


def due_follow_ups(
    coordinator_id: int | None,
    *,
    until: date,
    overdue_only: bool = False,
    today: date | None = None,
    page: int = 1,
) -> Page[FollowUpItem]:
    """Due follow-ups up to `until` (overdue ones included), earliest first; of one coordinator's cases or (None) all.

    Two statements whatever the number: a count and one page with case, patient and coordinator.
    """
    today = today or utcnow().date()
    conditions = _due_conditions(coordinator_id)
    conditions.append(FollowUp.due_on < today if overdue_only else FollowUp.due_on <= until)
    total = (
        db.session.scalar(
            select(func.count()).select_from(FollowUp).join(Case, Case.id == FollowUp.case_id).where(*conditions)
        )
        or 0
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        _with_case()
        .where(*conditions)
        .order_by(FollowUp.due_on, Case.number, FollowUp.position)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page(items=[FollowUpItem(*row) for row in rows], page=page, pages=pages, total=total, per_page=PAGE_SIZE)


def overdue_count(coordinator_id: int | None, today: date | None = None) -> int:
    """Due follow-ups whose day has passed (before today, UTC), of one coordinator's cases or (None) all."""
    today = today or utcnow().date()
    return (
        db.session.scalar(
            select(func.count())
            .select_from(FollowUp)
            .join(Case, Case.id == FollowUp.case_id)
            .where(*_due_conditions(coordinator_id), FollowUp.due_on < today)
        )
        or 0
    )


def overdue_follow_ups(
    coordinator_id: int | None, today: date | None = None, limit: int = OVERDUE_SHOWN
) -> list[FollowUpItem]:
    """The most overdue follow-ups first, at most `limit`, with case, patient and coordinator (one statement)."""
    today = today or utcnow().date()
    rows = db.session.execute(
        _with_case()
        .where(*_due_conditions(coordinator_id), FollowUp.due_on < today)
        .order_by(FollowUp.due_on, Case.number, FollowUp.position)
        .limit(limit)
    ).all()
    return [FollowUpItem(*row) for row in rows]
