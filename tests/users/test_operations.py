import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.trail import AuditEvent
from backoffice.users import operations
from backoffice.users.operations import AccountError
from tests.factories import make_user


def test_create_user_normalises_the_email_and_logs_it():
    user = operations.create_user(
        email=" New.Person@Clinic.Example ", name=" Nina New ", role="finance", password="a long enough secret"
    )
    assert user.email == "new.person@clinic.example" and user.name == "Nina New" and user.active
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user_created"))
    assert event.object_id == str(user.id) and event.details == {
        "email": user.email,
        "role": "finance",
        "must_change_password": True,  # an administrator chose the password
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "valid email"),
        ({"name": "  "}, "name"),
        ({"role": "superuser"}, "Unknown role"),
        ({"password": "short"}, "at least 12"),
    ],
)
def test_create_user_refuses_bad_values(fields, message):
    values = {"email": "x@test.example", "name": "X", "role": "coordinator", "password": "a long enough secret"}
    with pytest.raises(AccountError, match=message):
        operations.create_user(**{**values, **fields})


def test_emails_are_unique_whatever_the_case():
    make_user(email="taken@test.example")
    with pytest.raises(AccountError, match="already an account"):
        operations.create_user(email="TAKEN@test.example", name="T", role="patient", password="a long enough secret")


def test_change_role_records_before_and_after():
    admin, user = make_user("admin"), make_user("finance")
    token = user.session_token
    operations.change_role(user.id, "coordinator", actor_id=admin.id)
    assert user.role == "coordinator" and user.session_token != token
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role_changed"))
    assert event.actor_id == admin.id
    assert event.details == {"from": "finance", "to": "coordinator", "cases_returned_to_queue": 0}


def test_the_last_active_admin_keeps_the_role():
    admin = make_user("admin")
    make_user("admin", active=False)
    with pytest.raises(AccountError, match="last active administrator"):
        operations.change_role(admin.id, "finance", actor_id=admin.id)
    other = make_user("admin")
    operations.change_role(admin.id, "finance", actor_id=other.id)
    assert admin.role == "finance"


def test_deactivation_rules():
    admin, other_admin, user = make_user("admin"), make_user("admin"), make_user("coordinator")
    with pytest.raises(AccountError, match="your own account"):
        operations.deactivate_user(admin.id, actor_id=admin.id)
    operations.deactivate_user(user.id, actor_id=admin.id)
    assert not user.active
    with pytest.raises(AccountError, match="already deactivated"):
        operations.deactivate_user(user.id, actor_id=admin.id)
    operations.deactivate_user(other_admin.id, actor_id=admin.id)
    operations.reactivate_user(user.id, actor_id=admin.id)
    assert user.active
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user_deactivated", "user_deactivated", "user_reactivated"]


def test_the_last_active_admin_cannot_be_deactivated_by_another_account():
    admin, finance = make_user("admin"), make_user("finance")
    with pytest.raises(AccountError, match="last active administrator"):
        operations.deactivate_user(admin.id, actor_id=finance.id)


def test_unknown_user_is_not_found():
    with pytest.raises(operations.NotFound):
        operations.get_user(424242)


def test_a_departing_coordinators_open_cases_go_back_to_the_queue():
    from backoffice.cases import history as case_history
    from tests.factories import make_case

    admin, carla, conrad = make_user("admin"), make_user("coordinator"), make_user("coordinator")
    open_case = make_case(state="contacted", coordinator=carla)
    closed_case = make_case(state="closed", coordinator=carla)
    other = make_case(state="contacted", coordinator=conrad)
    operations.deactivate_user(carla.id, actor_id=admin.id)
    assert open_case.coordinator_id is None and closed_case.coordinator_id == carla.id
    operations.change_role(conrad.id, "finance", actor_id=admin.id)
    assert other.coordinator_id is None
    timeline = case_history.timeline(open_case.id, health_data=True)
    assert "Returned to the queue" in timeline[-1]["text"]
