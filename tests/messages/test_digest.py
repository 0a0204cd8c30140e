"""The email digest of notifications: once a day from DIGEST_HOUR (operator's time zone), to each staff member who
chose "daily", one mail listing their unread notifications not yet sent, each with an absolute link; run twice, it
sends nothing more; the notifications' text (case number and kind) is all it says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.messages.digest import digest_time, send_digests
from backoffice.messages.models import Message
from backoffice.notifications.models import Notification
from backoffice.notifications.operations import notify
from backoffice.trail import AuditEvent
from tests.factories import make_case
from tests.helpers import change_settings
from tests.messages.conftest import run_send_job

# 08:30 in Berlin on a winter day: after the default digest hour (07:00 local).
MORNING = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)


def told(user, key: str, case=None, *, at: datetime = MORNING - timedelta(hours=3)) -> Notification:
    notification = notify(
        "reply_received",
        [user.id],
        text=f"{case.number if case else 'C-2026-00000'}: Reply received on my case ({key})",
        key=key,
        case_id=case.id if case else None,
        link=f"/cases/{case.id}" if case else "",
    )[0]
    notification.created_at = at
    db.session.commit()
    return notification


def digests() -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.kind == "digest").order_by(Message.id)))


def daily(user):
    user.notification_digest = "daily"
    db.session.commit()


def test_the_digest_lists_my_unread_notifications_with_absolute_links_and_marks_them_digested(app, users, monkeypatch):
    change_settings(monkeypatch, app, public_url="https://office.medtravel.example/")
    coordinator = users["coordinator"]
    daily(coordinator)
    case = make_case(coordinator=coordinator, requested_treatment="Hepatitis C")
    first, second = told(coordinator, "first", case), told(coordinator, "second")
    read = told(coordinator, "read already", case)
    read.read_at = MORNING - timedelta(hours=1)
    db.session.commit()

    assert send_digests(MORNING) == {"digests": 1, "refused": 0}

    (message,) = digests()
    assert message.to_addresses == coordinator.email and message.counterpart == "staff" and message.case_id is None
    assert message.subject == "Your notifications: 2 unread"
    assert first.text in message.body_text and second.text in message.body_text
    assert "read already" not in message.body_text and "Hepatitis" not in message.body_text
    assert f"https://office.medtravel.example/cases/{case.id}\n" in message.body_text
    assert "https://office.medtravel.example/notifications/" in message.body_text
    stamped = {n.id: n.digested_at for n in db.session.scalars(select(Notification))}
    assert stamped[first.id] and stamped[second.id] and stamped[read.id] is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.queued")) is not None


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_only_what_is_new(users):
    coordinator = users["coordinator"]
    daily(coordinator)
    told(coordinator, "yesterday's")
    send_digests(MORNING)

    assert send_digests(MORNING + timedelta(minutes=1)) == {"digests": 0, "refused": 0}
    told(coordinator, "later that day", at=MORNING + timedelta(hours=2))
    assert send_digests(MORNING + timedelta(hours=3)) == {"digests": 0, "refused": 0}  # one mail a day
    assert send_digests(MORNING + timedelta(days=1)) == {"digests": 1, "refused": 0}

    first, second = digests()
    assert "yesterday's" in first.body_text and "later that day" not in first.body_text
    assert "later that day" in second.body_text and "yesterday's" not in second.body_text


def test_no_digest_before_the_digest_hour_for_those_who_chose_off_or_with_nothing_unread(app, users, monkeypatch):
    coordinator, finance, admin = users["coordinator"], users["finance"], users["admin"]
    daily(coordinator)
    daily(admin)
    told(coordinator, "waiting")
    told(finance, "finance chose off")
    told(admin, "read").read_at = MORNING
    db.session.commit()

    assert send_digests(MORNING - timedelta(hours=2)) == {"digests": 0, "reason": "before today's digest time"}
    change_settings(monkeypatch, app, digest_hour=9)
    assert digest_time(MORNING) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert send_digests(MORNING)["digests"] == 0
    change_settings(monkeypatch, app, digest_hour=7)
    assert send_digests(MORNING)["digests"] == 1
    assert [m.to_addresses for m in digests()] == [coordinator.email]


def test_a_deactivated_account_gets_no_digest(users):
    coordinator = users["coordinator"]
    daily(coordinator)
    told(coordinator, "waiting")
    coordinator.active = False
    db.session.commit()
    assert send_digests(MORNING)["digests"] == 0


def test_the_digest_reaches_a_real_smtp_server(users, smtp):
    coordinator = users["coordinator"]
    daily(coordinator)
    told(coordinator, "to deliver")
    send_digests(MORNING)

    run_send_job(digests()[0].id)

    (received,) = smtp.inbox.messages()
    assert received["To"] == coordinator.email and received["Subject"] == "Your notifications: 1 unread"
    assert "to deliver" in received.get_content()
