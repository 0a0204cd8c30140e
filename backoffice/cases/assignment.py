"""Who coordinates a case: taking it from the queue, handing it to a colleague, the queue again when someone leaves.

Each change is checked against the case version the user saw, writes a case event and an audit row, and flushes; the
caller commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.auth.permissions import ADMIN, COORDINATOR
from backoffice.cases import signals, states
from backoffice.cases.models import OPEN_STATES, Case
from backoffice.cases.operations import CaseChanged, CaseError, check_version, get_case, record_case_event, save_case
from backoffice.errors import PermissionDenied
from backoffice.extensions import db


def assign_coordinator(
    case_id: int, coordinator_id: int | None, *, actor_id: int, expected_version: int | None = None
) -> Case:
    """Give the case to a coordinator (or back to the queue with None).

    A case in the queue is the team's: any coordinator (or an administrator) may take it or hand it to a colleague.
    A case someone coordinates is reassigned only by that coordinator or an administrator, so nobody pulls a
    colleague's patient to themself. A closed or cancelled case is not reassigned at all, by an administrator
    neither: its coordinator is the record of who looked after the patient, and no work is left to hand over.
    """
    case = get_case(case_id)
    check_version(case, expected_version)
    actor = db.session.get(User, actor_id)
    if actor is None or not actor.active or actor.role not in (ADMIN, COORDINATOR):
        raise PermissionDenied(_("Only medical coordinators and administrators assign cases."))
    if case.state in states.FINAL:
        raise CaseError(
            _(
                "Case %(number)s is %(state)s: its coordinator stays on record and it is not reassigned.",
                number=case.number,
                state=states.shown(case.state).lower(),
                label=states.shown(case.state),
            )
        )
    if case.coordinator_id is not None and actor.role != ADMIN and case.coordinator_id != actor.id:
        raise PermissionDenied(
            _(
                "Case %(number)s is coordinated by %(name)s: only they or an administrator can reassign it.",
                number=case.number,
                name=case.coordinator.name,
            )
        )
    coordinator = None
    if coordinator_id is not None:
        coordinator = db.session.get(User, coordinator_id)
        if coordinator is None or coordinator.role != COORDINATOR or not coordinator.active:
            raise CaseError(_("Cases can only be given to an active medical coordinator."))
        if case.coordinator_id == coordinator_id:
            raise CaseError(
                _("%(name)s already coordinates case %(number)s.", name=coordinator.name, number=case.number)
            )
        note = f"Assigned to {coordinator.name}"
    else:
        if case.coordinator_id is None:
            raise CaseError(_("Case %(number)s is already in the queue.", number=case.number))
        note = "Returned to the queue"
    before = case.coordinator_id
    case.coordinator = coordinator
    save_case(case)
    record_case_event(
        case, "assigned", actor_id, note=note, audit={"from_coordinator": before, "to_coordinator": coordinator_id}
    )
    if coordinator_id is not None:
        signals.coordinator_assigned.send(case, coordinator_id=coordinator_id, actor_id=actor_id)
    return case


def return_cases_to_queue(coordinator_id: int, *, actor_id: int | None, reason: str) -> int:
    """Put every open case of a coordinator back in the queue (they left the team or changed role).

    Otherwise those cases would belong to nobody who can see them on a dashboard. Returns how many moved.
    """
    cases = db.session.scalars(
        select(Case).where(Case.coordinator_id == coordinator_id, Case.state.in_(OPEN_STATES))
    ).all()
    for case in cases:
        case.coordinator = None
        save_case(case)
        record_case_event(
            case,
            "assigned",
            actor_id,
            note=f"Returned to the queue: {reason}",
            audit={"from_coordinator": coordinator_id, "to_coordinator": None},
        )
    return len(cases)


def take_case(case_id: int, *, actor_id: int, expected_version: int | None = None) -> Case:
    """A coordinator takes an unassigned case from the queue."""
    case = get_case(case_id)
    if case.coordinator is not None:
        raise CaseChanged(
            _("Case %(number)s has already been taken by %(name)s.", number=case.number, name=case.coordinator.name)
        )
    return assign_coordinator(case_id, actor_id, actor_id=actor_id, expected_version=expected_version)
