"""The due follow-ups list, one follow-up's page, the case page's follow-ups and the dashboard panel."""

from datetime import date, timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from backoffice.cases import operations as case_operations
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.logistics import follow_ups
from backoffice.logistics.follow_ups import lists as follow_up_lists
from backoffice.logistics.follow_ups import operations as follow_up_operations
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_patient, make_programme, make_user
from tests.helpers import login_as

STEM_CELL_SCHEDULE = "every 1 week x 8: Outpatient examination\nevery 1 year x 5: Follow-up check"


def today() -> date:
    return utcnow().date()


def discharged_case(coordinator, *, days_ago: int, patient_name: str, schedule: str = STEM_CELL_SCHEDULE):
    """A stem-cell case discharged `days_ago` days ago, its follow-ups planned."""
    programme = make_programme()
    programme.follow_up_schedule = schedule
    case = make_case(
        state="discharged",
        coordinator=coordinator,
        patient=make_patient(name=patient_name),
        programme_id=programme.id,
        hospital_id=programme.hospital_id,
    )
    follow_up_operations.generate_follow_ups(
        case, coordinator.id if coordinator else None, today() - timedelta(days=days_ago)
    )
    return case


@pytest.fixture
def team(users):
    """Carl's patient discharged 33 days ago (4 overdue, 1 due in 2 days); Olga's 10 days ago (1 overdue)."""
    carl, olga = users["coordinator"], make_user("coordinator", name="Olga Other")
    mine = discharged_case(carl, days_ago=33, patient_name="Amira Carlsen")
    hers = discharged_case(olga, days_ago=10, patient_name="Omar Olgasson")
    db.session.commit()
    return {"carl": carl, "olga": olga, "mine": mine, "hers": hers, "rows": follow_ups.case_follow_ups(mine.id)}


def reload(follow_up_id):
    db.session.expire_all()
    return follow_up_lists.follow_up_with_case(follow_up_id).follow_up


def changes_recorded():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(AuditEvent.action == "case_follow_up"))


# ---------------------------------------------------------------------------------------------- the due list


def test_a_coordinator_sees_the_follow_ups_of_their_own_cases_by_default(as_role, team):
    page = as_role("coordinator").get("/follow-ups/").get_data(as_text=True)
    assert "Amira Carlsen" in page and "Omar Olgasson" not in page
    assert "Outpatient examination (1 of 8)" in page and "Outpatient examination (5 of 8)" in page
    assert "Outpatient examination (6 of 8)" in page and "(7 of 8)" not in page  # due within 14 days by default
    assert page.count('badge-overdue">Overdue') == 4


def test_the_due_list_can_show_everyones_follow_ups(as_role, team):
    page = as_role("coordinator").get("/follow-ups/?who=all").get_data(as_text=True)
    assert "Amira Carlsen" in page and "Omar Olgasson" in page and "Olga Other" in page


def test_an_administrator_sees_everyones_follow_ups_by_default(as_role, team):
    page = as_role("admin").get("/follow-ups/").get_data(as_text=True)
    assert "Amira Carlsen" in page and "Omar Olgasson" in page


def test_the_due_list_filters_by_days_ahead_and_overdue(as_role, team):
    client = as_role("coordinator")
    within_a_day = client.get("/follow-ups/?within=1").get_data(as_text=True)
    assert "Outpatient examination (4 of 8)" in within_a_day and "(5 of 8)" not in within_a_day
    overdue = client.get("/follow-ups/?within=30&overdue=1").get_data(as_text=True)
    assert overdue.count("<tr>") == 1 + 4 and "(5 of 8)" not in overdue
    later = client.get("/follow-ups/?within=400").get_data(as_text=True)
    assert "Follow-up check (1 of 5)" in later


@pytest.mark.parametrize("query", ["who=everyone", "within=abc", "within=-1", "within=99999", "within=²"])
def test_a_filter_that_means_nothing_is_refused_with_a_message(as_role, team, query):
    response = as_role("coordinator").get(f"/follow-ups/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "“mine” or “all”" in page or "whole number of days" in page


def test_the_due_list_runs_the_same_number_of_statements_for_few_and_many_follow_ups(as_role, team, count_queries):
    client = as_role("coordinator")
    views = ("/follow-ups/", "/follow-ups/?who=all&within=3650", "/follow-ups/?overdue=1")
    few = []
    for view in views:
        with count_queries() as statements:
            assert client.get(view).status_code == 200
        few.append(len(statements))
    for n in range(6):
        discharged_case(team["carl"] if n % 2 else make_user("coordinator"), days_ago=40 + n, patient_name=f"P {n}")
    db.session.commit()
    for view, expected in zip(views, few, strict=True):
        with count_queries() as statements:
            assert client.get(view).status_code == 200
        assert len(statements) == expected, view


# ---------------------------------------------------------------------------------------------- changing a follow-up


def test_marking_done_from_the_list_records_the_result_and_returns_to_the_list(as_role, team):
    client = as_role("coordinator")
    first = team["rows"][0]
    response = client.post(
        f"/follow-ups/{first.id}/done",
        data={
            "result": "HbA1c 6.1 %, no complaints",
            "done_on": today().isoformat(),
            "back_to": "/follow-ups/?who=all",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/follow-ups/?who=all"
    first = reload(first.id)
    assert first.status == "done" and first.result == "HbA1c 6.1 %, no complaints"
    assert first.done_by_id == team["carl"].id
    page = client.get("/follow-ups/?who=all").get_data(as_text=True)
    assert "Outpatient examination (1 of 8) is done" in page
    detail = client.get(f"/follow-ups/{first.id}").get_data(as_text=True)
    assert "HbA1c 6.1 %, no complaints" in detail and "Carl Coordinator" in detail


@pytest.mark.parametrize("back_to", ["", "https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_after_a_change_the_coordinator_returns_to_the_case_unless_told_a_path_of_this_site(as_role, team, back_to):
    first = team["rows"][0]
    response = as_role("coordinator").post(
        f"/follow-ups/{first.id}/cancel", data={"reason": "Seen by the family doctor", "back_to": back_to}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{team['mine'].id}#follow-ups"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"done_on": "TODAY"}, "Write down the result."),
        ({"result": "ok", "done_on": "TODAY"}, "Write the result in 3 to 2000 characters."),
        ({"result": "x" * 2001, "done_on": "TODAY"}, "Write the result in 3 to 2000 characters."),
        ({"result": "Normal findings"}, "Enter the date as YYYY-MM-DD."),
        ({"result": "Normal findings", "done_on": "2026-13-45"}, "Enter the date as YYYY-MM-DD."),
        ({"result": "Normal findings", "done_on": "TOMORROW"}, "cannot be in the future"),
    ],
)
def test_bad_input_when_marking_done_is_refused_with_a_message_and_nothing_stored(as_role, team, data, message):
    days = {
        "TODAY": today().isoformat(),
        "TOMORROW": (today() + timedelta(days=2)).isoformat(),
    }  # the future in any zone
    data = {key: days.get(value, value) for key, value in data.items()}
    first = team["rows"][0]
    before = changes_recorded()
    response = as_role("coordinator").post(f"/follow-ups/{first.id}/done", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Outpatient examination (1 of 8)" in page
    assert reload(first.id).status == "due" and changes_recorded() == before


def test_a_follow_up_already_done_cannot_be_marked_done_again(as_role, team):
    first = team["rows"][0]
    client = as_role("coordinator")
    data = {"result": "Normal findings", "done_on": today().isoformat()}
    assert client.post(f"/follow-ups/{first.id}/done", data=data).status_code == 302
    response = client.post(f"/follow-ups/{first.id}/done", data={**data, "result": "Overwritten"})
    assert response.status_code == 422 and "already done" in response.get_data(as_text=True)
    assert reload(first.id).result == "Normal findings"


def test_rescheduling_through_the_page_moves_the_follow_up(as_role, team):
    fifth = team["rows"][4]
    new_day = today() + timedelta(days=5)
    response = as_role("coordinator").post(
        f"/follow-ups/{fifth.id}/reschedule", data={"due_on": new_day.isoformat(), "reason": "Patient travelling"}
    )
    assert response.status_code == 302
    assert reload(fifth.id).due_on == new_day


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"due_on": "YESTERDAY", "reason": "Patient ill"}, "cannot be in the past"),
        ({"due_on": "", "reason": "Patient ill"}, "Enter the date as YYYY-MM-DD."),
        ({"due_on": "NEXT_WEEK", "reason": ""}, "Give the reason for moving it."),
        ({"due_on": "NEXT_WEEK", "reason": "x" * 501}, "500"),
    ],
)
def test_bad_input_when_rescheduling_is_refused_with_a_message_and_nothing_stored(as_role, team, data, message):
    days = {"YESTERDAY": today() - timedelta(days=1), "NEXT_WEEK": today() + timedelta(days=7)}
    data = {key: days[value].isoformat() if value in days else value for key, value in data.items()}
    fifth = team["rows"][4]
    before = changes_recorded()
    response = as_role("coordinator").post(f"/follow-ups/{fifth.id}/reschedule", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert reload(fifth.id).due_on == fifth.due_on and changes_recorded() == before


def test_cancelling_needs_a_reason(as_role, team):
    first = team["rows"][0]
    client = as_role("coordinator")
    response = client.post(f"/follow-ups/{first.id}/cancel", data={"reason": "  "})
    assert response.status_code == 422 and "Give the reason for cancelling it." in response.get_data(as_text=True)
    assert reload(first.id).status == "due"
    assert client.post(f"/follow-ups/{first.id}/cancel", data={"reason": "Declined"}).status_code == 302
    assert reload(first.id).status == "cancelled"


def test_a_form_without_its_security_token_is_refused_and_changes_nothing(as_role, team):
    first = team["rows"][0]
    response = as_role("coordinator").post(f"/follow-ups/{first.id}/cancel", data={"reason": "Declined"}, csrf=False)
    assert response.status_code == 400 and reload(first.id).status == "due"


def test_an_unknown_follow_up_is_not_found(as_role, team):
    client = as_role("coordinator")
    assert client.get("/follow-ups/424242").status_code == 404
    for action, data in (
        ("done", {"result": "Normal findings", "done_on": today().isoformat()}),
        ("done", {}),
        ("reschedule", {"due_on": (today() + timedelta(days=3)).isoformat(), "reason": "x"}),
        ("cancel", {"reason": "Declined"}),
    ):
        assert client.post(f"/follow-ups/424242/{action}", data=data).status_code == 404, action


# ---------------------------------------------------------------------------------------------- who may


@pytest.mark.parametrize("role", ["finance", "patient"])
def test_finance_and_patients_may_not_reach_follow_ups(app, users, team, role):
    client = app.test_client()
    login_as(client, users[role])
    first = team["rows"][0]
    assert client.get("/follow-ups/").status_code == 403
    assert client.get(f"/follow-ups/{first.id}").status_code == 403
    for action, data in (
        ("done", {"result": "Normal findings", "done_on": today().isoformat()}),
        ("reschedule", {"due_on": (today() + timedelta(days=3)).isoformat(), "reason": "x"}),
        ("cancel", {"reason": "Declined"}),
    ):
        assert client.post(f"/follow-ups/{first.id}/{action}", data=data).status_code == 403
    assert reload(first.id).status == "due"


def test_signed_out_visitors_are_sent_to_sign_in(client, team):
    response = client.get("/follow-ups/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---------------------------------------------------------------------------------------------- the case page's partial


def render_partial(app, user, case_id):
    with app.test_request_context("/"):
        login_user(user)
        case = case_operations.get_case(case_id)
        return render_template(
            "logistics/_case_follow_ups.html", case=case, follow_ups=follow_ups.case_follow_ups(case_id)
        )


def test_the_case_page_partial_lists_the_follow_ups_with_results_and_actions_for_coordinators(app, users, team):
    follow_up_operations.mark_done(team["rows"][0].id, "Normal blood count", today(), team["carl"].id)
    db.session.commit()
    html = render_partial(app, users["coordinator"], team["mine"].id)
    assert "Outpatient examination (1 of 8)" in html and "Normal blood count" in html
    assert html.count('badge-overdue">Overdue') == 3
    assert f"/follow-ups/{team['rows'][1].id}/done" in html and f"/follow-ups/{team['rows'][0].id}/done" not in html
    assert f'name="back_to" value="/cases/{team["mine"].id}#follow-ups"' in html
    assert 'name="csrf_token"' in html


def test_finance_sees_how_many_follow_ups_there_are_but_no_health_data(app, users, team):
    follow_up_operations.mark_done(team["rows"][0].id, "Normal blood count", today(), team["carl"].id)
    db.session.commit()
    html = render_partial(app, users["finance"], team["mine"].id)
    assert "13 follow-ups planned after discharge: 1 done, 0 cancelled" in html
    assert "Outpatient examination" not in html and "Normal blood count" not in html and "<form" not in html


def test_the_partial_says_why_a_case_has_no_follow_ups(app, users):
    programme = make_programme()
    planned_later = make_case(state="confirmed", programme_id=programme.id, hospital_id=programme.hospital_id)
    programme.follow_up_schedule = STEM_CELL_SCHEDULE
    without_programme = make_case()
    db.session.commit()
    assert "planned when the case is discharged" in render_partial(app, users["coordinator"], planned_later.id)
    assert "has no programme yet" in render_partial(app, users["coordinator"], without_programme.id)


# ---------------------------------------------------------------------------------------------- the dashboard


def test_a_coordinator_sees_the_overdue_follow_ups_of_their_cases_on_the_dashboard(as_role, team):
    page = as_role("coordinator").get("/dashboard").get_data(as_text=True)
    panel = page[page.index("Overdue follow-ups on my cases") :]
    assert 'badge-overdue">4</span>' in panel
    assert "Amira Carlsen" in panel and "Omar Olgasson" not in panel
    assert panel.index("Outpatient examination (1 of 8)") < panel.index("Outpatient examination (4 of 8)")
    assert team["mine"].number in panel and "/follow-ups/?who=mine&amp;overdue=1" in panel


def test_an_administrator_sees_everyones_overdue_follow_ups_on_the_dashboard(as_role, team):
    page = as_role("admin").get("/dashboard").get_data(as_text=True)
    panel = page[page.index("Overdue follow-ups") :]
    assert 'badge-overdue">5</span>' in panel and "Omar Olgasson" in panel and "Olga Other" in panel
    assert "/follow-ups/?who=all&amp;overdue=1" in panel


def test_finance_sees_no_follow_ups_on_the_dashboard(app, users, team):
    client = app.test_client()
    login_as(client, users["finance"])
    assert "Overdue follow-ups" not in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_the_dashboard_runs_the_same_number_of_statements_however_many_follow_ups(as_role, users, count_queries, role):
    client = as_role(role)
    make_case(state="contacted", coordinator=users["coordinator"])
    db.session.commit()
    with count_queries() as few:
        assert client.get("/dashboard").status_code == 200
    for n in range(12):
        coordinator = users["coordinator"] if n % 2 else make_user("coordinator")
        discharged_case(coordinator, days_ago=60 + n, patient_name=f"Patient {n}")
    db.session.commit()
    with count_queries() as many:
        page = client.get("/dashboard").get_data(as_text=True)
    assert "Outpatient examination (1 of 8)" in page
    assert len(few) == len(many)
