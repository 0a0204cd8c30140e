"""Who may give a case to whom: the queue is the team's, an assigned case is its coordinator's or an admin's."""

import pytest
from sqlalchemy import select

from backoffice.cases import assignment, operations
from backoffice.cases.operations import CaseError
from backoffice.errors import PermissionDenied
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_user


def test_a_coordinator_cannot_reassign_a_colleagues_case():
    carla, conrad = make_user("coordinator"), make_user("coordinator")
    case = make_case(state="contacted", coordinator=carla)
    with pytest.raises(PermissionDenied, match="only they or an administrator"):
        assignment.assign_coordinator(case.id, conrad.id, actor_id=conrad.id)
    with pytest.raises(PermissionDenied):
        assignment.assign_coordinator(case.id, None, actor_id=conrad.id)
    assert case.coordinator_id == carla.id


def test_the_cases_own_coordinator_or_an_admin_reassigns_it_and_it_is_audited():
    carla, conrad, admin = make_user("coordinator"), make_user("coordinator"), make_user("admin")
    case = make_case(state="contacted", coordinator=carla)
    assignment.assign_coordinator(case.id, conrad.id, actor_id=carla.id)
    assignment.assign_coordinator(case.id, carla.id, actor_id=admin.id)
    assert case.coordinator_id == carla.id
    moves = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case_assigned").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.details["from_coordinator"], e.details["to_coordinator"]) for e in moves] == [
        (carla.id, carla.id, conrad.id),
        (admin.id, conrad.id, carla.id),
    ]


def test_finance_assigns_no_case():
    finance, carla = make_user("finance"), make_user("coordinator")
    case = make_case()
    with pytest.raises(PermissionDenied):
        assignment.assign_coordinator(case.id, carla.id, actor_id=finance.id)


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_a_closed_case_is_not_reassigned_even_by_an_admin(state):
    carla, conrad, admin = make_user("coordinator"), make_user("coordinator"), make_user("admin")
    case = make_case(state=state, coordinator=carla)
    for actor in (conrad, carla, admin):
        with pytest.raises(CaseError, match="not reassigned"):
            assignment.assign_coordinator(case.id, conrad.id, actor_id=actor.id)
    with pytest.raises(CaseError, match="not reassigned"):
        assignment.take_case(make_case(state=state).id, actor_id=conrad.id)
    assert case.coordinator_id == carla.id


def test_a_queued_case_is_taken_or_handed_on_by_any_coordinator():
    carla, conrad = make_user("coordinator"), make_user("coordinator")
    case = make_case()
    assignment.assign_coordinator(case.id, conrad.id, actor_id=carla.id)
    assert case.coordinator_id == conrad.id
    other = make_case()
    assignment.take_case(other.id, actor_id=carla.id)
    assert other.coordinator_id == carla.id


def test_reassigning_a_colleagues_case_through_the_page_is_refused(as_role, users):
    colleague = make_user("coordinator", name="Cora Colleague")
    case = make_case(state="contacted", coordinator=colleague)
    db.session.commit()
    response = as_role("coordinator").post(
        f"/cases/{case.id}/assign", data={"coordinator_id": str(users["coordinator"].id), "version": case.version}
    )
    assert response.status_code == 403
    assert "coordinated by Cora Colleague: only they or an administrator can reassign it" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert operations.get_case(case.id).coordinator_id == colleague.id
    refusal = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "access_refused"))
    assert (refusal.actor_id, refusal.object_id, refusal.details["endpoint"]) == (
        users["coordinator"].id,
        str(case.id),
        "cases.assign_case",
    )
