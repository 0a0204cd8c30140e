"""The staff dashboard: what a coordinator must act on, the team's response time and workload."""

from datetime import UTC, datetime, time, timedelta

import pytest

from backoffice.dashboard import operations
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from tests.factories import make_case, make_patient, make_user
from tests.helpers import login_as


def contacted(coordinator, *, requested_at, after, **fields):
    """A case first contacted `after` its request."""
    return make_case(
        state="contacted",
        coordinator=coordinator,
        requested_at=requested_at,
        first_response_at=requested_at + after,
        **fields,
    )


@pytest.fixture
def team(users):
    """Carl (the signed-in coordinator), Olga (another), and Ivan (deactivated) with cases in known states."""
    now = utcnow()
    carl, olga = users["coordinator"], make_user("coordinator", name="Olga Other")
    ivan = make_user("coordinator", name="Ivan Inactive", active=False)
    today = now.date()
    cases = {
        "carl_contacted_1": make_case(state="contacted", coordinator=carl),
        "carl_contacted_2": make_case(state="contacted", coordinator=carl, next_action_on=today, next_action="Call"),
        "carl_review": make_case(
            state="records_review", coordinator=carl, next_action_on=today - timedelta(days=2), next_action="Chase"
        ),
        "carl_later": make_case(
            state="confirmed", coordinator=carl, next_action_on=today + timedelta(days=2), next_action="Later"
        ),
        "carl_closed": make_case(state="closed", coordinator=carl, next_action_on=today, next_action="Old"),
        "olga_hold": make_case(state="on_hold", coordinator=olga, state_before_hold="contacted"),
        "olga_action": make_case(state="contacted", coordinator=olga, next_action_on=today, next_action="Hers"),
        "ivan_cancelled": make_case(state="cancelled", coordinator=ivan),
    }
    # The queue: three overdue requests (the oldest first on the dashboard) and one answered within the window.
    for hours, key in ((50, "overdue_oldest"), (30, "overdue_middle"), (25, "overdue_newest"), (1, "fresh")):
        cases[key] = make_case(patient=make_patient(name=f"Queue {key}"), requested_at=now - timedelta(hours=hours))
    db.session.commit()
    return {"now": now, "carl": carl, "olga": olga, "ivan": ivan, "cases": cases}


def test_my_open_cases_are_counted_by_state_in_pipeline_order(team):
    assert operations.open_cases_by_state(team["carl"].id) == {"contacted": 2, "records_review": 1, "confirmed": 1}
    assert operations.open_cases_by_state(team["olga"].id) == {"contacted": 1, "on_hold": 1}


def test_the_queue_counts_open_unassigned_cases(team):
    assert operations.queue_size() == 4


def test_overdue_requests_are_listed_oldest_first(team):
    overdue = operations.overdue_requests(team["now"])
    assert overdue.total == 3
    assert [case.patient.name for case in overdue.oldest] == [
        "Queue overdue_oldest",
        "Queue overdue_middle",
        "Queue overdue_newest",
    ]


def test_at_most_ten_overdue_requests_are_listed(users):
    for hours in range(25, 40):
        make_case(requested_at=utcnow() - timedelta(hours=hours))
    db.session.commit()
    overdue = operations.overdue_requests()
    assert overdue.total == 15 and len(overdue.oldest) == 10


def test_due_today_holds_my_reminders_up_to_today_and_first_contacts_due_today(users):
    carl, olga = users["coordinator"], make_user("coordinator", name="Olga Other")
    noon = datetime.combine(utcnow().date(), time(12), tzinfo=UTC)
    today = noon.date()

    def new_case(name, hours_ago, coordinator=None):
        make_case(
            patient=make_patient(name=name), requested_at=noon - timedelta(hours=hours_ago), coordinator=coordinator
        )
        return name

    def reminder(name, days, state="contacted", coordinator=carl):
        make_case(
            patient=make_patient(name=name),
            state=state,
            coordinator=coordinator,
            next_action_on=today + timedelta(days=days),
            next_action=name,
        )
        return name

    due = [
        new_case("First contact due at six", 30),
        new_case("First contact due at four", 20, coordinator=carl),
        reminder("Reminder from two days ago", -2),
        reminder("Reminder for today", 0),
    ]
    not_due = [
        new_case("First contact was due yesterday", 50),  # overdue: on the overdue list instead
        new_case("First contact due tomorrow", 1),
        new_case("Olga's first contact", 20, coordinator=olga),
        reminder("Reminder in two days", 2),
        reminder("Reminder on a closed case", 0, state="closed"),
        reminder("Olga's reminder", 0, coordinator=olga),
    ]
    db.session.commit()
    listed = [case.patient.name for case in operations.due_today(carl.id, noon)]
    assert listed == due
    assert not set(listed) & set(not_due)


def test_median_first_response_with_an_odd_number_of_cases(users):
    now = utcnow()
    for hours in (1, 2, 10):
        contacted(users["coordinator"], requested_at=now - timedelta(days=3), after=timedelta(hours=hours))
    # First contacted before the 30-day window: left out.
    contacted(users["coordinator"], requested_at=now - timedelta(days=40), after=timedelta(hours=50))
    db.session.commit()
    assert operations.median_first_response(now) == timedelta(hours=2)


def test_median_first_response_with_an_even_number_of_cases(users):
    now = utcnow()
    for minutes in (60, 120, 240, 1000):
        contacted(users["coordinator"], requested_at=now - timedelta(days=2), after=timedelta(minutes=minutes))
    db.session.commit()
    assert operations.median_first_response(now) == timedelta(minutes=180)


def test_no_median_without_first_contacts_in_the_window(users):
    make_case()
    db.session.commit()
    assert operations.median_first_response() is None


def test_workload_counts_open_cases_per_active_coordinator(team):
    rows = [(row.name, row.open_cases) for row in operations.workload()]
    assert rows == [("Carl Coordinator", 4), ("Olga Other", 2)]  # Ivan is deactivated


def test_coordinator_dashboard_shows_the_figures_and_links_to_the_list(as_role, team):
    page = as_role("coordinator").get("/dashboard").get_data(as_text=True)
    assert "my open cases" in page and ">4<" in page
    assert "in the queue" in page and "overdue requests" in page
    assert "/cases/?coordinator=mine&amp;state=records_review" in page
    assert "/cases/?state=new&amp;overdue=1" in page
    assert page.index("Queue overdue_oldest") < page.index("Queue overdue_newest")
    assert "Olga Other" in page and "Ivan Inactive" not in page
    assert "Chase" in page and "Later" not in page
    assert "team's median first response" in page and "—" in page  # nobody first contacted in the window


def test_the_dashboard_shows_the_median_first_response(as_role, users):
    now = utcnow()
    for minutes in (30, 150, 600):
        contacted(users["coordinator"], requested_at=now - timedelta(days=1), after=timedelta(minutes=minutes))
    db.session.commit()
    page = as_role("coordinator").get("/dashboard").get_data(as_text=True)
    assert "2 h 30 min" in page and "last 30 days" in page


def test_admin_sees_the_account_panels_and_the_case_figures(as_role, team):
    page = as_role("admin").get("/dashboard").get_data(as_text=True)
    assert "failed sign-ins in 24 h" in page and "Recent activity" in page
    assert "Workload per coordinator" in page and "Overdue requests" in page


def test_finance_sees_the_bills_to_review_and_no_case_figures(app, team, users):
    client = app.test_client()
    login_as(client, users["finance"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Hospital bills to review" in page and "No hospital bill is waiting for review." in page
    assert "Overdue requests" not in page and "Workload per coordinator" not in page


def test_the_finance_dashboard_lists_received_bills(app, users):
    from backoffice.billing.models import HospitalBill
    from tests.factories import make_hospital

    hospital = make_hospital()
    case = make_case(state="discharged", coordinator=users["coordinator"], hospital_id=hospital.id)
    db.session.add(
        HospitalBill(case_id=case.id, hospital_id=hospital.id, reference="INV-77", received_on=utcnow().date())
    )
    db.session.commit()
    client = app.test_client()
    login_as(client, users["finance"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "INV-77" in page and case.number in page


def test_the_dashboard_runs_the_same_number_of_statements_however_many_cases(as_role, users, count_queries):
    client = as_role("coordinator")
    make_case(state="contacted", coordinator=users["coordinator"])
    db.session.commit()
    with count_queries() as few:
        assert client.get("/dashboard").status_code == 200
    now = utcnow()
    for i in range(40):
        coordinator = make_user("coordinator") if i % 4 else users["coordinator"]
        make_case(
            state=("new", "contacted", "records_review", "closed")[i % 4],
            coordinator=None if i % 4 == 0 else coordinator,
            requested_at=now - timedelta(hours=30 + i),
            first_response_at=None if i % 4 == 0 else now - timedelta(hours=20),
            next_action_on=now.date(),
            next_action="Call",
        )
    db.session.commit()
    with count_queries() as many:
        assert client.get("/dashboard").status_code == 200
    assert len(few) == len(many)


def test_a_follow_up_marked_done_leaves_due_today_and_the_case_keeps_its_coordinators_own_reminder(as_role, users):
    from backoffice.cases import reminders
    from backoffice.logistics.follow_up_reminders import follow_up_reminders
    from backoffice.logistics.follow_ups import operations as follow_up_operations
    from backoffice.logistics.models import FollowUp

    carl = users["coordinator"]
    case = make_case(patient=make_patient(name="Ines Ortega"), state="aftercare", coordinator=carl)
    follow_up = FollowUp(case_id=case.id, position=1, due_on=utcnow().date(), label="Stimulator adjustment")
    db.session.add(follow_up)
    later = utcnow().date() + timedelta(days=5)
    reminders.add_reminder(case.id, due_on=later, text="Send the discharge letter", actor_id=carl.id)
    db.session.commit()
    follow_up_reminders()
    client = as_role("coordinator")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Follow-up: Stimulator adjustment" in page and "Ines Ortega" in page

    follow_up_operations.mark_done(follow_up.id, "Settings adjusted", utcnow().date(), carl.id)
    db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Follow-up: Stimulator adjustment" not in page
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert (
        "Send the discharge letter" in case_page
        and "Follow-up: Stimulator adjustment" not in case_page.split('id="reminders"')[1].split("</section>")[0]
    )
