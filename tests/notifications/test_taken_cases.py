"""A case someone takes no longer needs the team: the "new request" notifications every coordinator got while it
waited in the queue are marked read for the others (and for the taker), and the menu's count drops."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.intake import operations as intake
from backoffice.notifications.models import Notification
from backoffice.notifications.operations import notify_case
from tests.factories import make_user
from tests.helpers import login_as


@pytest.fixture
def colleague(users):
    user = make_user("coordinator", email="dora@test.example", name="Dora Coordinator")
    db.session.commit()
    return user


@pytest.fixture
def new_request(users, colleague):
    case = intake.submit_request(
        name="Olga Sidorova",
        email="olga@example.org",
        country="KZ",
        requested_treatment="Knee replacement",
        message="",
        consent=True,
        remote_addr="192.0.2.30",
    )
    db.session.commit()
    return case


def unread(user_id: int, case_id: int) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification.kind).where(
                Notification.user_id == user_id, Notification.case_id == case_id, Notification.read_at.is_(None)
            )
        )
    )


def menu_count(client) -> str:
    page = client.get("/dashboard/").get_data(as_text=True)
    return page.split("Notifications", 1)[1].split("</a>", 1)[0]


def test_taking_a_new_request_marks_every_coordinators_new_request_notification_read(
    app, users, colleague, new_request
):
    carl = app.test_client()
    login_as(carl, users["coordinator"])
    assert unread(users["coordinator"].id, new_request.id) == ["new_request"]
    assert unread(colleague.id, new_request.id) == ["new_request"]
    assert 'aria-label="1 unread"' in menu_count(carl)

    dora = app.test_client()
    login_as(dora, colleague)
    version = db.session.get(Case, new_request.id).version
    assert dora.post(f"/cases/{new_request.id}/take", data={"version": version}).status_code == 302

    assert unread(users["coordinator"].id, new_request.id) == []
    assert unread(colleague.id, new_request.id) == []  # she took it: she knows
    assert "unread" not in menu_count(carl)
    assert db.session.get(Case, new_request.id).coordinator_id == colleague.id


def test_a_case_handed_to_a_coordinator_stays_news_for_them_and_its_deadline_stays_theirs(
    app, users, colleague, new_request
):
    notify_case("first_contact_due", new_request, key=f"case:{new_request.id}", everyone_if_unassigned=True)
    db.session.commit()
    admin = app.test_client()
    login_as(admin, users["admin"])
    version = db.session.get(Case, new_request.id).version
    answer = admin.post(f"/cases/{new_request.id}/assign", data={"coordinator_id": colleague.id, "version": version})
    assert answer.status_code == 302

    assert unread(users["coordinator"].id, new_request.id) == []  # not Carl's any more
    assert sorted(unread(colleague.id, new_request.id)) == ["first_contact_due", "new_request"]
