"""The notification centre: each staff member sees and marks only their own notifications, unread first; the menu
shows the unread count with one statement per page; patients have no centre."""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import select

from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.notifications.centre import PER_PAGE
from backoffice.notifications.models import Notification
from backoffice.notifications.operations import notify
from backoffice.trail import AuditEvent
from tests.factories import make_case
from tests.helpers import login_as


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def told(user, key: str, *, case=None, kind="new_request", minutes_ago: int = 0, link: str | None = None):
    notification = notify(
        kind,
        [user.id],
        text=f"{case.number if case else 'C-2026-00000'}: {key}",
        key=key,
        case_id=case.id if case else None,
        link=link if link is not None else (f"/cases/{case.id}" if case else ""),
    )[0]
    notification.created_at = utcnow() - timedelta(minutes=minutes_ago)
    db.session.commit()
    return notification


def test_my_notifications_are_listed_unread_first_then_newest_first(users, as_role):
    coordinator = users["coordinator"]
    old_unread = told(coordinator, "old unread", minutes_ago=60)
    new_read = told(coordinator, "new read", minutes_ago=1)
    new_unread = told(coordinator, "new unread", minutes_ago=5)
    new_read.read_at = utcnow()
    told(users["admin"], "the admin's own")
    db.session.commit()

    page = text(as_role("coordinator").get("/notifications/"))
    assert "the admin's own" not in page

    positions = [page.index(f"notification-{n.id}") for n in (new_unread, old_unread, new_read)]
    assert positions == sorted(positions)
    assert "Mark all read" in page


def test_the_menu_shows_my_unread_count_with_one_statement(users, as_role, count_queries):
    coordinator = users["coordinator"]
    for n in range(3):
        told(coordinator, f"n{n}")
    told(users["admin"], "the admin's")  # someone else's: not counted
    client = as_role("coordinator")

    with count_queries() as statements:
        page = text(client.get("/cases/"))
    assert 'aria-label="3 unread"' in page
    assert sum("notifications" in statement for statement in statements) == 1
    with count_queries() as statements:  # the centre asks the count twice (menu, "Mark all read"): one statement
        client.get("/notifications/")
    assert sum("notifications" in s and "read_at IS NULL" in s for s in statements) == 1


def test_the_list_runs_the_same_statements_whatever_the_number_of_notifications(users, as_role, count_queries):
    coordinator = users["coordinator"]
    case = make_case(coordinator=coordinator)
    told(coordinator, "first", case=case)
    client = as_role("coordinator")
    with count_queries() as few:
        assert client.get("/notifications/").status_code == 200
    for n in range(PER_PAGE + 5):
        told(coordinator, f"more {n}", case=case)
    with count_queries() as many:
        page = text(client.get("/notifications/"))
    assert len(many) == len(few)
    assert "Page 1 of 2" in page
    assert "Page 2 of 2" in text(client.get("/notifications/?page=2"))


def test_opening_a_notification_marks_it_read_and_leads_to_its_case(users, as_role):
    case = make_case(coordinator=users["coordinator"])
    notification = told(users["coordinator"], "open me", case=case)
    client = as_role("coordinator")

    response = client.get(f"/notifications/{notification.id}")

    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}"
    db.session.expire_all()
    assert db.session.get(Notification, notification.id).read_at is not None
    assert 'aria-label="1 unread"' not in text(client.get("/notifications/"))


def test_a_notification_never_leads_to_another_site(users, as_role):
    notification = told(users["coordinator"], "elsewhere", link="//evil.example/phish")
    response = as_role("coordinator").get(f"/notifications/{notification.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications/"


def test_mark_read_and_mark_all_read_change_only_my_notifications(users, as_role):
    coordinator, admin = users["coordinator"], users["admin"]
    one, two, three = (told(coordinator, key) for key in ("one", "two", "three"))
    admins = told(admin, "admin's own")
    client = as_role("coordinator")

    response = client.post(f"/notifications/{one.id}/read")
    assert response.status_code == 302 and "Marked read." in text(client.get("/notifications/"))
    response = client.post("/notifications/read")
    assert response.status_code == 302
    assert "2 notifications marked read." in text(client.get("/notifications/"))

    db.session.expire_all()
    unread = set(db.session.scalars(select(Notification.id).where(Notification.read_at.is_(None))))
    assert unread == {admins.id}
    assert {two.id, three.id}.isdisjoint(unread)


def test_another_users_notification_is_not_found_for_opening_or_marking(users, as_role):
    admins = told(users["admin"], "admin's own")
    client = as_role("coordinator")
    assert client.get(f"/notifications/{admins.id}").status_code == 404
    assert client.post(f"/notifications/{admins.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, admins.id).read_at is None


def test_patients_have_no_notification_centre_and_no_count(users, client):
    login_as(client, users["patient"])
    assert client.get("/notifications/").status_code == 403
    assert "Notifications" not in text(client.get("/portal/"))


def test_a_mark_without_the_forms_token_changes_nothing(users, as_role):
    notification = told(users["coordinator"], "keep")
    client = as_role("coordinator")
    response = client.post(f"/notifications/{notification.id}/read", csrf=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Notification, notification.id).read_at is None


def test_staff_choose_a_daily_digest_on_their_account_page_and_it_is_audited(users, as_role):
    client = as_role("finance")
    page = text(client.get("/account/password"))
    assert "Email digest of my notifications" in page and 'value="off" checked' in page

    response = client.post("/notifications/digest", data={"digest": "daily"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password#digest")
    assert 'value="daily" checked' in text(client.get("/account/password"))
    db.session.expire_all()
    assert db.session.get(type(users["finance"]), users["finance"].id).notification_digest == "daily"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notification_digest.changed"))
    assert event.actor_id == users["finance"].id and event.details == {"before": "off", "after": "daily"}


def test_a_digest_choice_other_than_off_or_daily_is_refused_and_nothing_changes(users, as_role):
    client = as_role("coordinator")
    response = client.post("/notifications/digest", data={"digest": "hourly\r\nBcc: x@evil.example"})
    assert response.status_code == 422 and "off or daily" in text(response)
    db.session.expire_all()
    assert db.session.get(type(users["coordinator"]), users["coordinator"].id).notification_digest == "off"


def test_patients_are_not_offered_a_digest(users, client):
    login_as(client, users["patient"])
    assert "Email digest" not in text(client.get("/account/password"))
    assert client.post("/notifications/digest", data={"digest": "daily"}).status_code == 403


def test_the_centre_of_a_new_staff_member_says_there_is_nothing_yet(as_role, users):
    page = text(as_role("coordinator").get("/notifications/"))
    assert "Nothing to tell you yet" in page and "Mark all read" not in page
