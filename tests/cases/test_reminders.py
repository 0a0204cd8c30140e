"""Reminders on a case: any number, each with its owner; the case's copy is the earliest open one."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from backoffice.cases import operations, reminders
from backoffice.cases.models import Case, CaseEvent, Reminder
from backoffice.cases.operations import CaseError
from backoffice.dashboard import operations as dashboard
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from tests.factories import make_case, make_patient, make_user


def today():
    return utcnow().date()


def fresh_case(case_id: int) -> Case:
    db.session.expire_all()
    return operations.get_case(case_id)


def test_a_case_keeps_every_reminder_and_its_copy_is_the_earliest_open_one(users):
    carl = users["coordinator"]
    case = make_case(state="contacted", coordinator=carl)
    reminders.add_reminder(case.id, due_on=today() + timedelta(days=5), text="Send the offer", actor_id=carl.id)
    reminders.add_reminder(case.id, due_on=today() + timedelta(days=1), text="Call the patient", actor_id=carl.id)
    reminders.remind(case, source="medicine_order", source_id=7, text="Medicine order #7 failed", due_on=today())
    db.session.commit()

    listed = [(r.text, r.owner_label) for r in reminders.open_reminders(case.id)]
    assert listed == [
        ("Medicine order #7 failed", "System (medicine order #7)"),
        ("Call the patient", "Carl Coordinator"),
        ("Send the offer", "Carl Coordinator"),
    ]
    stored = fresh_case(case.id)
    assert (stored.next_action_on, stored.next_action) == (today(), "Medicine order #7 failed")


def test_the_system_closes_the_reminder_it_made_and_nobody_elses(users):
    carl = users["coordinator"]
    case = make_case(state="aftercare", coordinator=carl)
    own = reminders.add_reminder(case.id, due_on=today(), text="Ask for the lab results", actor_id=carl.id)
    reminders.remind(case, source="medicine_order", source_id=7, text="Medicine order #7 failed", due_on=today())
    # Asked again about the same order (a second failure): the same reminder, not a second one.
    reminders.remind(case, source="medicine_order", source_id=7, text="Medicine order #7 failed again", due_on=today())
    assert len(reminders.open_reminders(case.id)) == 2
    assert reminders.close_reminders_about(case, "medicine_order", 7) == 1
    db.session.commit()

    assert [r.id for r in reminders.open_reminders(case.id)] == [own.id]
    assert fresh_case(case.id).next_action == "Ask for the lab results"


def test_marking_a_reminder_done_moves_the_case_copy_to_the_next_one_and_off_the_dashboard(users):
    carl = users["coordinator"]
    case = make_case(patient=make_patient(name="Ines Ortega"), state="contacted", coordinator=carl)
    first = reminders.add_reminder(case.id, due_on=today(), text="Call the patient", actor_id=carl.id)
    reminders.add_reminder(case.id, due_on=today() + timedelta(days=3), text="Send the offer", actor_id=carl.id)
    db.session.commit()
    assert [c.patient.name for c in dashboard.due_today(carl.id)] == ["Ines Ortega"]

    reminders.complete_reminder(case.id, first.id, actor_id=carl.id)
    db.session.commit()
    stored = fresh_case(case.id)
    assert (stored.next_action_on, stored.next_action) == (today() + timedelta(days=3), "Send the offer")
    assert dashboard.due_today(carl.id) == []
    done = db.session.get(Reminder, first.id)
    assert done.state == "done" and done.closed_by_id == carl.id and done.closed_at is not None
    notes = db.session.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id)).all()
    assert "Reminder done: Call the patient" in notes

    with pytest.raises(CaseError, match="already done"):
        reminders.complete_reminder(case.id, first.id, actor_id=carl.id)


@pytest.mark.parametrize(
    ("days", "text", "message"),
    [(-1, "Call", "in the past"), (0, "   ", "Say what is due"), (0, "x" * 201, "Keep the reminder to 200")],
)
def test_a_reminder_needs_a_day_from_today_and_what_is_due(users, days, text, message):
    case = make_case(state="contacted", coordinator=users["coordinator"])
    with pytest.raises(CaseError, match=message):
        reminders.add_reminder(
            case.id, due_on=today() + timedelta(days=days), text=text, actor_id=users["coordinator"].id
        )


def test_the_case_page_lists_open_reminders_with_their_owners_and_adds_and_completes_them(as_role, users):
    case = make_case(state="contacted", coordinator=users["coordinator"])
    reminders.remind(case, source="follow_up", source_id=3, text="Follow-up: MRI check", due_on=today())
    db.session.commit()
    client = as_role("coordinator")
    due = (today() + timedelta(days=2)).isoformat()
    assert (
        client.post(f"/cases/{case.id}/reminders", data={"due_on": due, "text": "Book the interpreter"}).status_code
        == 302
    )

    page = html.unescape(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert "Follow-up: MRI check" in page and "System (follow-up #3)" in page
    assert "Book the interpreter" in page and "Carl Coordinator" in page and due in page

    own = db.session.scalar(select(Reminder).where(Reminder.text == "Book the interpreter"))
    assert client.post(f"/cases/{case.id}/reminders/{own.id}/done").status_code == 302
    page = html.unescape(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert "Book the interpreter" not in page.split('id="reminders"')[1].split("</section>")[0]
    assert "Follow-up: MRI check" in page


def test_bad_reminder_input_is_refused_with_a_message_not_a_500(as_role, users):
    case = make_case(state="contacted", coordinator=users["coordinator"])
    other = make_case(state="contacted", coordinator=make_user("coordinator"))
    theirs = reminders.add_reminder(other.id, due_on=today(), text="Not this case's", actor_id=users["admin"].id)
    db.session.commit()
    client = as_role("coordinator")
    past = (today() - timedelta(days=1)).isoformat()
    refused = client.post(f"/cases/{case.id}/reminders", data={"due_on": past, "text": "Too late"})
    assert refused.status_code == 422 and "in the past" in html.unescape(refused.get_data(as_text=True))
    assert client.post(f"/cases/{case.id}/reminders", data={"due_on": "soon", "text": "x"}).status_code == 422
    # Another case's reminder cannot be closed through this case.
    assert client.post(f"/cases/{case.id}/reminders/{theirs.id}/done").status_code == 404
    assert db.session.get(Reminder, theirs.id).state == "open"


def test_finance_sees_no_reminders(as_role, users):
    case = make_case(state="contacted", coordinator=users["coordinator"])
    reminders.add_reminder(case.id, due_on=today(), text="Ask about the HIV test", actor_id=users["coordinator"].id)
    db.session.commit()
    page = as_role("finance").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "HIV" not in page and 'id="reminders"' not in page


def test_the_migration_carries_each_case_reminder_over_with_its_owner_or_its_source(app, users):
    import flask_migrate
    from sqlalchemy import text

    from backoffice.shipments import operations as shipments
    from tests.shipments.factories import make_pharmacy, make_prescription, order_input

    carl, olga = users["coordinator"], make_user("coordinator", name="Olga Other")
    own = make_case(state="contacted", coordinator=carl)
    set_by_olga = make_case(state="contacted", coordinator=carl)
    db.session.add(CaseEvent(case_id=set_by_olga.id, actor_id=olga.id, kind="next_action", note="x"))
    failed = make_case(state="aftercare", coordinator=carl)
    order = shipments.create_order(failed.id, order_input(make_pharmacy(), make_prescription(failed)), actor_id=None)
    none = make_case(state="contacted", coordinator=carl)
    db.session.commit()
    ids = own.id, set_by_olga.id, failed.id, none.id
    carl_id, olga_id = carl.id, olga.id
    order_id, due = order.id, today().isoformat()
    db.session.remove()  # no transaction of ours may hold a lock on the tables the downgrade drops

    flask_migrate.downgrade(revision="a14e0b7c2d31-1")
    with db.engine.begin() as connection:
        for case_id, what in zip(
            ids[:3], ("Call", "Chase", f"Medicine order #{order_id} failed: refused"), strict=True
        ):
            connection.execute(
                text("UPDATE cases SET next_action = :what, next_action_on = :due WHERE id = :id"),
                {"what": what, "due": due, "id": case_id},
            )
    flask_migrate.upgrade()

    db.session.expire_all()
    rows = db.session.scalars(select(Reminder).order_by(Reminder.case_id)).all()
    assert [(r.case_id, r.text, r.owner_id, r.source, r.source_id, r.state) for r in rows] == [
        (ids[0], "Call", carl_id, "user", None, "open"),
        (ids[1], "Chase", olga_id, "user", None, "open"),
        (ids[2], f"Medicine order #{order_id} failed: refused", None, "medicine_order", order_id, "open"),
    ]
    assert all(r.due_on == today() for r in rows)


def test_a_reminder_may_have_a_time_of_day_in_the_operators_zone_and_is_late_once_it_passed(as_role, users):
    from datetime import UTC, datetime, time

    carl = users["coordinator"]
    case = make_case(state="contacted", coordinator=carl)
    db.session.commit()
    client = as_role("coordinator")
    tomorrow = today() + timedelta(days=1)

    response = client.post(
        f"/cases/{case.id}/reminders",
        data={"due_on": tomorrow.isoformat(), "due_time": "09:30", "text": "Call the hospital"},
    )

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.scalar(select(Reminder).where(Reminder.case_id == case.id))
    expected = datetime.combine(tomorrow, time(9, 30), tzinfo=reminders.ZoneInfo("Europe/Berlin")).astimezone(UTC)
    assert (stored.due_on, stored.due_at) == (tomorrow, expected)
    assert fresh_case(case.id).next_action_on == tomorrow  # the case's copy (list sort, dashboard) keeps the day
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"{tomorrow.isoformat()} 09:30 CET" in page or f"{tomorrow.isoformat()} 09:30 CEST" in page

    # Due today at a time already past: late, though its day is today.
    past = reminders.add_reminder(case.id, due_on=today(), text="Send the offer", actor_id=carl.id)
    past.due_at = utcnow() - timedelta(minutes=5)
    untimed = reminders.add_reminder(case.id, due_on=today(), text="Ask for the MRI", actor_id=carl.id)
    db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    items = {
        reminder_id: page.split(f'data-reminder="{reminder_id}"')[0].rsplit("<li", 1)[1]
        for reminder_id in (past.id, untimed.id)
    }
    assert "reminder-overdue" in items[past.id]
    assert "reminder-overdue" not in items[untimed.id]
    assert [r.text for r in reminders.open_reminders(case.id)] == [
        "Send the offer",
        "Ask for the MRI",
        "Call the hospital",
    ]


def test_a_reminder_time_already_past_today_is_refused(as_role, users):
    case = make_case(state="contacted", coordinator=users["coordinator"])
    db.session.commit()
    client = as_role("coordinator")

    # Midnight in Berlin (UTC+1 or +2) on today's UTC date is always before now.
    response = client.post(
        f"/cases/{case.id}/reminders", data={"due_on": today().isoformat(), "due_time": "00:00", "text": "Too late"}
    )

    assert response.status_code == 422
    assert "That time today has passed" in response.get_data(as_text=True)
    assert db.session.scalar(select(Reminder).where(Reminder.case_id == case.id)) is None
