"""Follow-ups after discharge: reading a programme's schedule, planning the follow-ups, recording what happened."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backoffice.cases import operations as case_operations
from backoffice.cases import reminders, signals
from backoffice.cases.models import CaseDocument, CaseEvent, Reminder
from backoffice.dashboard import operations as dashboard
from backoffice.dbtypes import utcnow
from backoffice.directory.follow_up_schedule import (
    Rule,
    ScheduleError,
    check_schedule,
    parse_schedule,
    plan_follow_ups,
    rules_in_plan,
)
from backoffice.directory.models import Programme
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.logistics import follow_ups
from backoffice.logistics.follow_up_reminders import follow_up_reminders
from backoffice.logistics.follow_ups import lists as follow_up_lists
from backoffice.logistics.follow_ups import operations as follow_up_operations
from backoffice.logistics.follow_ups.operations import FollowUpError
from backoffice.trail import AuditEvent
from tests.factories import make_accepted_offer, make_case, make_patient, make_programme, make_user

STEM_CELL_SCHEDULE = "every 1 week x 8: Outpatient examination\nevery 1 year x 5: Follow-up check"


def stem_cell_case(*, schedule=STEM_CELL_SCHEDULE, state="in_treatment", coordinator=None, patient=None):
    programme = make_programme(name="Stem cell therapy")
    programme.follow_up_schedule = schedule
    return make_case(
        state=state,
        coordinator=coordinator,
        patient=patient,
        programme_id=programme.id,
        hospital_id=programme.hospital_id,
    )


def ready_for_discharge(case, coordinator, monkeypatch):
    """What a case in treatment has by then: records, an accepted offer, a confirmed appointment (the check stubbed)."""
    make_accepted_offer(case)
    db.session.add(
        CaseDocument(
            case_id=case.id,
            uploaded_by_id=coordinator.id,
            original_filename="records.pdf",
            stored_name=f"stored-{case.id}",
            content_type="application/pdf",
            size_bytes=1,
            sha256="0" * 64,
        )
    )
    monkeypatch.setitem(case_operations.GUARDS, "travel_booked", ())
    db.session.commit()


def stored(case_id):
    db.session.expire_all()
    return follow_ups.case_follow_ups(case_id)


def follow_up_events(case_id):
    return db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "follow_up").order_by(CaseEvent.id)
    ).all()


def today():
    return utcnow().date()


# ---------------------------------------------------------------------------------------------- reading the schedule


def test_the_stem_cell_schedule_reads_as_two_rules():
    assert parse_schedule(STEM_CELL_SCHEDULE) == [
        Rule(every=1, unit="week", count=8, label="Outpatient examination", line=1),
        Rule(every=1, unit="year", count=5, label="Follow-up check", line=2),
    ]


def test_a_schedule_accepts_plural_units_any_case_a_left_out_interval_and_blank_lines():
    rules = parse_schedule(
        "\n  Every 02 WEEKS x 3:  Wound   check \n\n"
        "every month \N{MULTIPLICATION SIGN} 12: Blood count\n"
        "every 10 days x 1: Call"
    )
    assert [(r.every, r.unit, r.count, r.label, r.line) for r in rules] == [
        (2, "week", 3, "Wound check", 2),
        (1, "month", 12, "Blood count", 4),
        (10, "day", 1, "Call", 5),
    ]


def test_an_empty_schedule_has_no_rules():
    assert parse_schedule("") == [] and parse_schedule(None) == [] and parse_schedule(" \n\n ") == []


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("weekly for 8 weeks", 1, "write each rule as"),
        ("every 1 week x 8: Fine\nevery 1 week for 8: Check", 2, "write each rule as"),
        ("every 1 week x 8 Outpatient examination", 1, "write each rule as"),
        ("every 1 week x 8: Fine\n\nevery 2 fortnights x 4: Check", 3, "“fortnights” is not a unit"),
        ("every 0 weeks x 8: Check", 1, "the interval must be between 1 and 99"),
        ("every 100 days x 1: Check", 1, "the interval must be between 1 and 99"),
        ("every 1 week x 0: Check", 1, "between 1 and 60 (it is 0)"),
        ("every 1 week x 8: Fine\nevery 1 week x 61: Check", 2, "between 1 and 60 (it is 61)"),
        ("every 1 week x " + "9" * 5000 + ": Check", 1, "between 1 and 60 (it is 999999999999…)"),
        ("every 0100 days x 001: Check", 1, "the interval must be between 1 and 99 days (it is 0100)"),
        ("every 1 week x 8:   ", 1, "name the follow-up after the colon"),
        ("every 1 week x 8: " + "x" * 201, 1, "the name has 201 characters; at most 200"),
        ("every 1 year x 8: Fine\nevery 2 years x 30: Check", 2, "more than 50 years after discharge"),
        ("\n".join(["every 1 day x 1: Call"] * 21), 21, "at most 20 rules"),
    ],
)
def test_a_line_that_cannot_be_read_is_refused_with_its_number(text, line, problem):
    with pytest.raises(ScheduleError) as refused:
        parse_schedule(text)
    assert refused.value.line == line
    assert refused.value.message.startswith(f"Follow-up schedule, line {line}: ")
    assert problem in refused.value.message


def test_check_schedule_returns_the_schedule_cleaned_for_the_programme_form():
    assert check_schedule("  every 1 week x 8: Outpatient examination  \n\n every 1 year x 5: Follow-up check\n") == (
        STEM_CELL_SCHEDULE
    )
    assert check_schedule("") == ""
    with pytest.raises(ScheduleError, match="line 2"):
        check_schedule("every 1 week x 8: Fine\nnonsense")


# ---------------------------------------------------------------------------------------------- planning


def test_the_stem_cell_schedule_plans_8_weekly_then_5_yearly_follow_ups_from_discharge():
    planned = plan_follow_ups(parse_schedule(STEM_CELL_SCHEDULE), date(2026, 3, 2))
    assert [p.position for p in planned] == list(range(1, 14))
    assert [p.due_on for p in planned[:8]] == [date(2026, 3, 2) + timedelta(weeks=k) for k in range(1, 9)]
    assert planned[7].due_on == date(2026, 4, 27)
    assert [p.due_on for p in planned[8:]] == [date(2027 + k, 3, 2) for k in range(5)]
    assert planned[2].label == "Outpatient examination (3 of 8)"
    assert planned[8].label == "Follow-up check (1 of 5)" and planned[12].label == "Follow-up check (5 of 5)"


def test_months_count_from_the_discharge_day_and_clamp_to_the_end_of_shorter_months():
    planned = plan_follow_ups(parse_schedule("every 1 month x 4: Blood count"), date(2024, 1, 31))
    assert [p.due_on for p in planned] == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]
    planned = plan_follow_ups(parse_schedule("every 1 month x 1: Blood count"), date(2025, 1, 31))
    assert planned[0].due_on == date(2025, 2, 28)


def test_years_from_29_february_fall_on_28_february_except_in_leap_years():
    planned = plan_follow_ups(parse_schedule("every 1 year x 5: Follow-up check"), date(2024, 2, 29))
    assert [p.due_on for p in planned] == [
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
        date(2029, 2, 28),
    ]


def test_follow_ups_of_several_rules_are_numbered_in_date_order():
    planned = plan_follow_ups(
        parse_schedule("every 1 month x 2: Monthly\nevery 3 weeks x 2: Three-weekly"), date(2026, 1, 1)
    )
    assert [(p.position, p.due_on, p.label) for p in planned] == [
        (1, date(2026, 1, 22), "Three-weekly (1 of 2)"),
        (2, date(2026, 2, 1), "Monthly (1 of 2)"),
        (3, date(2026, 2, 12), "Three-weekly (2 of 2)"),
        (4, date(2026, 3, 1), "Monthly (2 of 2)"),
    ]


def test_a_single_follow_up_has_no_number_and_a_long_name_is_shortened_to_keep_its_number():
    assert plan_follow_ups(parse_schedule("every 3 months x 1: Check-up"), date(2026, 1, 1))[0].label == "Check-up"
    label = plan_follow_ups(parse_schedule("every 1 week x 12: " + "y" * 200), date(2026, 1, 1))[9].label
    assert len(label) == 200 and label.endswith("… (10 of 12)")


# ---------------------------------------------------------------------------------------------- generating


def test_generating_stores_the_thirteen_stem_cell_follow_ups_and_notes_it_on_the_timeline(users):
    case = stem_cell_case()
    created = follow_up_operations.generate_follow_ups(case, users["coordinator"].id, discharged_on=date(2024, 2, 29))
    db.session.commit()
    rows = stored(case.id)
    assert len(created) == 13 and len(rows) == 13
    assert [(r.position, r.due_on, r.status) for r in rows[:2]] == [
        (1, date(2024, 3, 7), "due"),
        (2, date(2024, 3, 14), "due"),
    ]
    assert rows[7].due_on == date(2024, 4, 25) and rows[7].label == "Outpatient examination (8 of 8)"
    assert [r.due_on for r in rows[8:]] == [date(y, 2, 28 if y % 4 else 29) for y in range(2025, 2030)]
    (event,) = follow_up_events(case.id)
    assert event.actor_id == users["coordinator"].id
    assert "13 follow-ups planned after discharge on 2024-02-29" in event.note
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "case_follow_up")) == 1


def test_generating_twice_changes_nothing(users):
    case = stem_cell_case()
    follow_up_operations.generate_follow_ups(case, users["coordinator"].id, discharged_on=date(2026, 3, 2))
    assert follow_up_operations.generate_follow_ups(case, users["coordinator"].id, discharged_on=date(2026, 5, 1)) == []
    db.session.commit()
    rows = stored(case.id)
    assert len(rows) == 13 and rows[0].due_on == date(2026, 3, 9)
    assert len(follow_up_events(case.id)) == 1


@pytest.mark.parametrize("schedule", ["", "  \n "])
def test_a_programme_without_schedule_or_plan_plans_no_follow_ups(users, schedule):
    case = stem_cell_case(schedule=schedule)
    db.session.get(Programme, case.programme_id).follow_up_plan = ""
    assert follow_up_operations.generate_follow_ups(case, users["coordinator"].id) == []
    assert stored(case.id) == [] and follow_up_events(case.id) == []


def test_a_case_without_programme_plans_no_follow_ups(users):
    case = make_case(state="in_treatment")
    assert follow_up_operations.generate_follow_ups(case, users["coordinator"].id) == []
    assert stored(case.id) == [] and follow_up_events(case.id) == []


def test_a_schedule_that_cannot_be_read_is_refused_naming_the_line(users):
    case = stem_cell_case(schedule="every 1 week x 8: Fine\nevery 1 fortnight x 4: Check")
    with pytest.raises(FollowUpError, match="line 2") as refused:
        follow_up_operations.generate_follow_ups(case, users["coordinator"].id)
    assert "Stem cell therapy" in refused.value.message and "Correct the schedule in the directory" in str(
        refused.value
    )
    assert stored(case.id) == []


def test_discharge_plans_the_follow_ups_from_today(users):
    case = stem_cell_case()
    signals.state_entered.send("discharged", case=case, actor_id=users["coordinator"].id)
    rows = stored(case.id)
    assert len(rows) == 13 and rows[0].due_on == today() + timedelta(weeks=1)


def test_discharging_a_case_plans_its_follow_ups_through_the_state_hook(users, monkeypatch):
    case = stem_cell_case(coordinator=users["coordinator"])
    ready_for_discharge(case, users["coordinator"], monkeypatch)
    case_operations.transition(case.id, "discharged", actor_id=users["coordinator"].id)
    db.session.commit()
    rows = stored(case.id)
    assert len(rows) == 13 and rows[-1].due_on.year == today().year + 5
    kinds = [e.kind for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert kinds[-2:] == ["transition", "follow_up"]


def test_a_discharge_with_an_unreadable_schedule_is_refused_and_the_case_stays_in_treatment(users, monkeypatch):
    case = stem_cell_case(schedule="every 1 week x 99: Check", coordinator=users["coordinator"])
    ready_for_discharge(case, users["coordinator"], monkeypatch)
    with pytest.raises(FollowUpError, match="line 1"):
        case_operations.transition(case.id, "discharged", actor_id=users["coordinator"].id)
    db.session.rollback()
    assert case_operations.get_case(case.id).state == "in_treatment" and stored(case.id) == []


# ---------------------------------------------------------------------------------------------- marking done


@pytest.fixture
def planned(users):
    """A stem-cell case discharged five weeks ago: four weekly follow-ups overdue, the fifth due in two days."""
    case = stem_cell_case(state="discharged", coordinator=users["coordinator"])
    follow_up_operations.generate_follow_ups(case, users["coordinator"].id, discharged_on=today() - timedelta(days=33))
    db.session.commit()
    return {"case": case, "rows": stored(case.id), "actor": users["coordinator"].id}


def test_marking_done_records_the_result_the_day_and_who_but_keeps_the_result_off_the_timeline(planned):
    first = planned["rows"][0]
    follow_up_operations.mark_done(
        first.id, "  HbA1c 6.1 %, no complaints  ", today() - timedelta(days=1), planned["actor"]
    )
    db.session.commit()
    first = stored(planned["case"].id)[0]
    assert (first.status, first.result, first.done_on) == ("done", "HbA1c 6.1 %, no complaints", today() - timedelta(1))
    assert first.done_by_id == planned["actor"] and first.done_at is not None
    note = follow_up_events(planned["case"].id)[-1].note
    assert "Outpatient examination (1 of 8) done on" in note and "HbA1c" not in note


@pytest.mark.parametrize(
    ("result", "done_on", "message"),
    [
        ("", 0, "Write down the result"),
        ("ok", 0, "at least 3 characters"),
        ("x" * 2001, 0, "Keep the result to 2000 characters"),
        ("Normal findings", 2, "cannot be in the future"),  # 2: the future in UTC and in Berlin
        ("Normal findings", None, "Give the day"),
    ],
)
def test_marking_done_needs_a_short_result_and_a_day_not_in_the_future(planned, result, done_on, message):
    first = planned["rows"][0]
    day = None if done_on is None else today() + timedelta(days=done_on)
    with pytest.raises(FollowUpError, match=message):
        follow_up_operations.mark_done(first.id, result, day, planned["actor"])
    db.session.rollback()
    assert stored(planned["case"].id)[0].status == "due"


def test_only_a_due_follow_up_can_be_marked_done(planned):
    first, second = planned["rows"][:2]
    follow_up_operations.mark_done(first.id, "Normal findings", today(), planned["actor"])
    follow_up_operations.cancel(second.id, "Patient travelling", planned["actor"])
    for follow_up, state in ((first, "done"), (second, "cancelled")):
        with pytest.raises(FollowUpError, match=f"already {state}; only a due follow-up can be marked done"):
            follow_up_operations.mark_done(follow_up.id, "Again", today(), planned["actor"])


def test_an_unknown_follow_up_is_not_found(planned):
    for change in (
        lambda: follow_up_operations.mark_done(424242, "Normal findings", today(), planned["actor"]),
        lambda: follow_up_operations.reschedule(424242, today(), planned["actor"], "Why"),
        lambda: follow_up_operations.cancel(424242, "Why", planned["actor"]),
        lambda: follow_up_lists.follow_up_with_case(424242),
    ):
        with pytest.raises(NotFound):
            change()


# ---------------------------------------------------------------------------------------------- moving and cancelling


def test_rescheduling_moves_the_date_and_says_why_on_the_timeline(planned):
    first = planned["rows"][0]
    before = first.due_on
    follow_up_operations.reschedule(
        first.id, today() + timedelta(days=3), planned["actor"], "Patient back home on Friday"
    )
    db.session.commit()
    assert stored(planned["case"].id)[0].due_on == today() + timedelta(days=3)
    note = follow_up_events(planned["case"].id)[-1].note
    assert f"moved from {before.isoformat()} to" in note and "Patient back home on Friday" in note


@pytest.mark.parametrize(
    ("days", "reason", "message"),
    [
        (-1, "Patient ill", "cannot be in the past"),
        (None, "Patient ill", "Give the new date"),
        (3, "   ", "Give the reason"),
        (3, "x" * 501, "Keep the reason to 500 characters"),
        (365 * 52, "Far away", "more than 50 years away"),
    ],
)
def test_rescheduling_needs_a_date_from_today_and_a_reason(planned, days, reason, message):
    first = planned["rows"][0]
    day = None if days is None else today() + timedelta(days=days)
    with pytest.raises(FollowUpError, match=message):
        follow_up_operations.reschedule(first.id, day, planned["actor"], reason)
    db.session.rollback()
    assert stored(planned["case"].id)[0].due_on == first.due_on


def test_rescheduling_to_the_same_day_is_refused(planned):
    fifth = planned["rows"][4]
    with pytest.raises(FollowUpError, match="is already due on"):
        follow_up_operations.reschedule(fifth.id, fifth.due_on, planned["actor"], "No change")


def test_cancelling_needs_a_reason_and_is_final(planned):
    first = planned["rows"][0]
    with pytest.raises(FollowUpError, match="Give the reason for cancelling"):
        follow_up_operations.cancel(first.id, "", planned["actor"])
    follow_up_operations.cancel(first.id, "Examined by the family doctor instead", planned["actor"])
    db.session.commit()
    assert stored(planned["case"].id)[0].status == "cancelled"
    assert "cancelled: Examined by the family doctor instead" in follow_up_events(planned["case"].id)[-1].note
    for change in (
        lambda: follow_up_operations.cancel(first.id, "Again", planned["actor"]),
        lambda: follow_up_operations.reschedule(first.id, today() + timedelta(days=1), planned["actor"], "Again"),
    ):
        with pytest.raises(FollowUpError, match="already cancelled"):
            change()


# ---------------------------------------------------------------------------------------------- the due list


@pytest.fixture
def two_coordinators(users):
    """Carl's case discharged 33 days ago (4 overdue, 1 due in 2 days), Olga's 10 days ago (1 overdue)."""
    carl, olga = users["coordinator"], make_user("coordinator", name="Olga Other")
    mine = stem_cell_case(state="discharged", coordinator=carl, patient=make_patient(name="Carl's patient"))
    hers = stem_cell_case(state="discharged", coordinator=olga, patient=make_patient(name="Olga's patient"))
    follow_up_operations.generate_follow_ups(mine, carl.id, discharged_on=today() - timedelta(days=33))
    follow_up_operations.generate_follow_ups(hers, olga.id, discharged_on=today() - timedelta(days=10))
    db.session.commit()
    return {"carl": carl, "olga": olga, "mine": mine, "hers": hers}


def labels(page):
    return [(item.case.patient.name, item.follow_up.label) for item in page.items]


def test_the_due_list_shows_a_coordinators_follow_ups_up_to_a_date_earliest_first(two_coordinators):
    page = follow_up_lists.due_follow_ups(two_coordinators["carl"].id, until=today() + timedelta(days=7))
    assert labels(page) == [("Carl's patient", f"Outpatient examination ({k} of 8)") for k in range(1, 6)]
    assert page.items[0].case.coordinator.name == "Carl Coordinator"


def test_the_due_list_of_everyone_mixes_the_cases_by_date(two_coordinators):
    page = follow_up_lists.due_follow_ups(None, until=today() + timedelta(days=3))
    assert [item.follow_up.due_on for item in page.items] == sorted(item.follow_up.due_on for item in page.items)
    assert page.total == 6 and ("Olga's patient", "Outpatient examination (1 of 8)") in labels(page)


def test_the_due_list_leaves_out_done_and_cancelled_follow_ups_and_can_show_only_overdue_ones(two_coordinators):
    rows = stored(two_coordinators["mine"].id)
    follow_up_operations.mark_done(rows[0].id, "Normal findings", today(), two_coordinators["carl"].id)
    follow_up_operations.cancel(rows[1].id, "Declined", two_coordinators["carl"].id)
    db.session.commit()
    page = follow_up_lists.due_follow_ups(two_coordinators["carl"].id, until=today(), overdue_only=True)
    assert labels(page) == [
        ("Carl's patient", "Outpatient examination (3 of 8)"),
        ("Carl's patient", "Outpatient examination (4 of 8)"),
    ]


def test_the_due_list_runs_two_statements_whatever_the_number_of_follow_ups(two_coordinators, count_queries):
    with count_queries() as statements:
        page = follow_up_lists.due_follow_ups(None, until=today() + timedelta(days=3650))
        [(item.case.patient.name, item.case.coordinator) for item in page.items]
    assert page.total == 26 and len(statements) == 2


def test_the_dashboard_counts_overdue_follow_ups_per_coordinator_and_for_everyone(two_coordinators):
    carl = dashboard.overdue_follow_ups(two_coordinators["carl"].id, today())
    assert carl.total == 4 and [item.follow_up.position for item in carl.oldest] == [1, 2, 3, 4]
    everyone = dashboard.overdue_follow_ups(None, today())
    assert everyone.total == 5 and everyone.oldest[-1].case.patient.name == "Olga's patient"
    assert dashboard.overdue_follow_ups(None, today(), limit=2).total == 5
    assert len(dashboard.overdue_follow_ups(None, today(), limit=2).oldest) == 2


def test_at_most_ten_overdue_follow_ups_are_listed_for_the_dashboard(users):
    case = stem_cell_case(state="discharged", schedule="every 1 day x 30: Wound check")
    follow_up_operations.generate_follow_ups(case, users["admin"].id, discharged_on=today() - timedelta(days=40))
    db.session.commit()
    overdue = dashboard.overdue_follow_ups(None, today())
    assert overdue.total == 30 and len(overdue.oldest) == 10
    assert overdue.oldest[0].follow_up.label == "Wound check (1 of 30)"


# ---------------------------------------------------------------------------------------------- plans in words, by hand


def test_a_plan_in_words_reads_as_one_follow_up_per_time_it_names():
    rules = rules_in_plan("Stimulator adjustment after 4 weeks and 3 months. Written report within 5 working days.")
    planned = plan_follow_ups(rules, date(2026, 1, 31))
    assert [(p.due_on, p.label) for p in planned] == [
        (date(2026, 2, 28), "Stimulator adjustment (after 4 weeks)"),
        (date(2026, 4, 30), "Stimulator adjustment (after 3 months)"),
    ]
    assert len(plan_follow_ups(rules_in_plan("PSA checks every 3 months for 2 years."), date(2026, 1, 1))) == 8
    assert parse_schedule("Rhythm check after 3 months")[0].label == "Rhythm check (after 3 months)"


def test_a_programme_whose_plan_says_stimulator_adjustment_after_4_weeks_and_3_months_plans_both_at_discharge(
    users, monkeypatch
):
    case = stem_cell_case(schedule="", coordinator=users["coordinator"])
    db.session.get(Programme, case.programme_id).follow_up_plan = "Stimulator adjustment after 4 weeks and 3 months."
    ready_for_discharge(case, users["coordinator"], monkeypatch)
    case_operations.transition(case.id, "discharged", actor_id=users["coordinator"].id)
    db.session.commit()
    rows = stored(case.id)
    assert [(row.label, row.due_on) for row in rows] == [
        ("Stimulator adjustment (after 4 weeks)", today() + timedelta(weeks=4)),
        (
            "Stimulator adjustment (after 3 months)",
            plan_follow_ups(rules_in_plan("X after 3 months"), today())[0].due_on,
        ),
    ]


def test_a_plan_that_names_no_countable_follow_up_leaves_a_reminder_to_plan_them_by_hand(users):
    case = stem_cell_case(schedule="", state="discharged", coordinator=users["coordinator"])
    db.session.get(Programme, case.programme_id).follow_up_plan = "Written report within 5 working days."
    assert follow_up_operations.generate_follow_ups(case, users["coordinator"].id) == []
    db.session.commit()
    [reminder] = reminders.open_reminders(case.id)
    assert reminder.text == "Plan the follow-ups by hand: Written report within 5 working days."
    assert reminder.due_on == today() and reminder.owner_id is None
    assert "plan them by hand" in follow_up_events(case.id)[0].note


def test_a_coordinator_adds_a_follow_up_by_hand_on_the_case_page(as_role, users):
    case = stem_cell_case(schedule="", state="discharged", coordinator=users["coordinator"])
    db.session.commit()
    client = as_role("coordinator")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/follow-ups"' in page
    due = (today() + timedelta(days=28)).isoformat()
    response = client.post(f"/cases/{case.id}/follow-ups", data={"label": "Stimulator adjustment", "due_on": due})
    assert response.status_code == 302
    [row] = stored(case.id)
    assert (row.label, row.due_on.isoformat(), row.status) == ("Stimulator adjustment", due, "due")
    assert "added by hand" in follow_up_events(case.id)[-1].note
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Stimulator adjustment" in page

    past = (today() - timedelta(days=1)).isoformat()
    refused = client.post(f"/cases/{case.id}/follow-ups", data={"label": "Late one", "due_on": past})
    assert refused.status_code == 422 and "cannot be in the past" in refused.get_data(as_text=True)
    assert client.post(f"/cases/{case.id}/follow-ups", data={"label": "", "due_on": due}).status_code == 422
    assert len(stored(case.id)) == 1


def test_a_follow_up_is_added_by_hand_only_after_discharge(users):
    case = stem_cell_case(state="confirmed", coordinator=users["coordinator"])
    with pytest.raises(FollowUpError, match="once the patient is discharged"):
        follow_up_operations.add_follow_up(case.id, today(), "Check", users["coordinator"].id)


def test_completing_a_follow_up_closes_its_reminder_and_takes_it_off_due_today_leaving_the_coordinators_own(
    planned,
):
    case, actor = planned["case"], planned["actor"]
    own = reminders.add_reminder(case.id, due_on=today() + timedelta(days=1), text="Call the GP", actor_id=actor)
    db.session.commit()
    follow_up_reminders()  # the hourly job: a reminder about each follow-up due by tomorrow
    first = planned["rows"][0]
    about_first = reminders.open_reminder_about("follow_up", first.id)
    assert about_first is not None and about_first.text == f"Follow-up: {first.label}"
    assert [c.id for c in dashboard.due_today(actor)] == [case.id]

    follow_up_operations.mark_done(first.id, "All well", today(), actor)
    db.session.commit()
    assert reminders.open_reminder_about("follow_up", first.id) is None
    assert db.session.get(Reminder, own.id).state == "open"
    for row in planned["rows"][1:4]:  # the other overdue ones: done too, or cancelled
        if row.id % 2:
            follow_up_operations.mark_done(row.id, "All well", today(), actor)
        else:
            follow_up_operations.cancel(row.id, "Seen by the GP", actor)
    db.session.commit()
    db.session.expire_all()
    assert dashboard.due_today(actor) == []
    assert case_operations.get_case(case.id).next_action == "Call the GP"


def test_moving_a_follow_up_moves_its_reminder(planned):
    case, actor = planned["case"], planned["actor"]
    follow_up_reminders()
    first = planned["rows"][0]
    follow_up_operations.reschedule(first.id, today() + timedelta(days=9), actor, "Patient travelling")
    db.session.commit()
    assert reminders.open_reminder_about("follow_up", first.id).due_on == today() + timedelta(days=9)
    # The case's copy is now the earliest of the other overdue follow-ups' reminders.
    assert case_operations.get_case(case.id).next_action_on == planned["rows"][1].due_on
