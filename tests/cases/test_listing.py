"""The case list: filters, search, sort, bad input, access, and a fixed number of statements per page."""

from datetime import date, timedelta

import pytest

from backoffice.cases.listing import CaseFilters, FilterError, search_cases
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.patients.models import Patient
from tests.factories import make_case, make_hospital, make_patient, make_user
from tests.helpers import login_as


def numbers(page):
    return [case.number for case in page.items]


def listed(args, user_id=0):
    return numbers(search_cases(CaseFilters.from_args(args, user_id=user_id)))


@pytest.fixture
def world(users):
    """A small team and cases with known states, coordinators, hospitals, patients and dates."""
    now = utcnow()
    other = make_user("coordinator", name="Olga Other")
    berlin = make_hospital("BER-T", name="Berlin Test Clinic", city="Berlin")
    frankfurt = make_hospital("FRA-T", name="Frankfurt Test Clinic")
    cases = {
        "overdue": make_case(
            patient=make_patient(name="Amira Haddad", email="amira@mail.example", country="JO"),
            requested_at=now - timedelta(hours=30),
        ),
        "fresh": make_case(
            patient=make_patient(name="Bob 100% Sure_Thing", email="bob@mail.example", country="GB"),
            requested_at=now - timedelta(hours=2),
        ),
        "mine": make_case(
            patient=make_patient(name="Chen Wei", email="chen.wei@mail.example", country="CN"),
            state="contacted",
            coordinator=users["coordinator"],
            hospital_id=berlin.id,
            requested_at=now - timedelta(days=5),
            next_action_on=date.today() + timedelta(days=3),
            next_action="Call",
        ),
        "theirs": make_case(
            patient=make_patient(name="Dmitry Ivanov", email="DIMA@Mail.Example", country="RU"),
            state="confirmed",
            coordinator=other,
            hospital_id=frankfurt.id,
            requested_at=now - timedelta(days=20),
            next_action_on=date.today() - timedelta(days=1),
            next_action="Chase",
        ),
        "closed": make_case(
            patient=make_patient(name="Eva Novak", email="eva@mail.example", country="PL"),
            state="closed",
            coordinator=other,
            hospital_id=frankfurt.id,
            requested_at=now - timedelta(days=90),
        ),
    }
    db.session.commit()
    return {"cases": cases, "other": other, "berlin": berlin, "frankfurt": frankfurt}


def test_the_default_view_lists_every_case_newest_first(world):
    c = world["cases"]
    assert listed({}) == [c[key].number for key in ("fresh", "overdue", "mine", "theirs", "closed")]


def test_each_filter_narrows_the_list_to_the_right_cases(world, users):
    c = world["cases"]
    assert listed({"state": "contacted"}) == [c["mine"].number]
    assert "closed" not in {
        case.state for case in search_cases(CaseFilters.from_args({"state": "open"}, user_id=0)).items
    }
    assert set(listed({"state": "open"})) == {c[k].number for k in ("fresh", "overdue", "mine", "theirs")}
    assert listed({"coordinator": "mine"}, user_id=users["coordinator"].id) == [c["mine"].number]
    assert listed({"coordinator": str(world["other"].id)}) == [c["theirs"].number, c["closed"].number]
    assert listed({"coordinator": "unassigned"}) == [c["fresh"].number, c["overdue"].number]
    assert listed({"hospital": str(world["frankfurt"].id)}) == [c["theirs"].number, c["closed"].number]
    assert listed({"country": "jo"}) == [c["overdue"].number]
    assert listed({"overdue": "1"}) == [c["overdue"].number]
    assert listed({"state": "new", "overdue": "1", "coordinator": "unassigned"}) == [c["overdue"].number]


def test_search_finds_a_case_by_number_exactly_or_by_its_beginning(world):
    case = world["cases"]["theirs"]
    assert listed({"q": case.number.lower()}) == [case.number]
    assert set(listed({"q": case.number[:8]})) == {c.number for c in world["cases"].values()}
    assert listed({"q": "C-1999-"}) == []


def test_search_finds_patients_by_name_or_email_ignoring_case(world):
    c = world["cases"]
    assert listed({"q": "IVANOV"}) == [c["theirs"].number]
    assert listed({"q": "dima@mail"}) == [c["theirs"].number]
    assert listed({"q": "  chen   wei "}) == [c["mine"].number]


def test_punctuation_in_a_search_is_ignored_and_never_a_wildcard(world):
    assert listed({"q": "100%"}) == [world["cases"]["fresh"].number]
    assert listed({"q": "e_t"}) == [world["cases"]["fresh"].number]  # "Sure_Thing": e and t, "_" is no wildcard
    assert listed({"q": "%"}) == [] and listed({"q": "_"}) == [] and listed({"q": "- . ,"}) == []


def test_sorting_uses_only_the_offered_columns(world):
    c = world["cases"]
    by_patient = listed({"sort": "patient"})
    assert by_patient == [c[k].number for k in ("overdue", "fresh", "mine", "theirs", "closed")]
    assert listed({"sort": "patient", "dir": "desc"}) == by_patient[::-1]
    assert listed({"sort": "requested_at", "dir": "asc"}) == listed({})[::-1]
    assert listed({"sort": "number", "dir": "asc"}) == sorted(listed({}))
    # Pipeline order, not alphabetical: new before contacted before confirmed before closed.
    assert [c.state for c in search_cases(CaseFilters.from_args({"sort": "state"}, user_id=0)).items] == [
        "new",
        "new",
        "contacted",
        "confirmed",
        "closed",
    ]
    # The earliest due first (yesterday's reminder, the overdue first contact, ...); cases with nothing due last.
    assert listed({"sort": "due"}) == [c[k].number for k in ("theirs", "overdue", "fresh", "mine", "closed")]
    for unknown in ("id", "id;drop table cases", "patients.name", ""):
        assert listed({"sort": unknown, "dir": "sideways"}) == listed({})


def test_filters_from_the_url_are_checked_in_one_place():
    filters = CaseFilters.from_args({"page": "-1", "q": "x" * 500, "sort": "bogus"}, user_id=7)
    assert filters.page == 1 and len(filters.q) == 100 and filters.sort == "requested_at"
    assert CaseFilters.from_args({"coordinator": "mine"}, user_id=7).coordinator_id == 7
    for bad in (
        {"state": "bogus"},
        {"coordinator": "abc"},
        {"coordinator": "-3"},
        {"hospital": "1 OR 1=1"},
        {"country": "XX"},
    ):
        with pytest.raises(FilterError):
            CaseFilters.from_args(bad, user_id=7)


def test_bad_query_parameters_give_a_page_or_a_400_never_a_500(as_role, world):
    client = as_role("coordinator")
    for query in (
        "sort=id;drop",
        "page=-1",
        "page=abc",
        "page=²",
        "page=99999999999",
        "dir=up",
        "overdue=maybe",
        "q=%25",
        "q=_",
    ):
        assert client.get(f"/cases/?{query}").status_code == 200, query
    refusals = {
        "state=bogus": "There is no case state &#39;bogus&#39;.",
        "coordinator=abc": "is not a coordinator of the list",
        "coordinator=²": "is not a coordinator of the list",
        "hospital=x": "is not a hospital of the list",
        "country=Narnia": "is not a two-letter country code",
    }
    for query, message in refusals.items():
        response = client.get(f"/cases/?{query}")
        assert response.status_code == 400, query
        assert message in response.get_data(as_text=True), query
    page = client.get("/cases/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_list_shows_what_a_coordinator_needs(as_role, world, users):
    c = world["cases"]
    page = as_role("coordinator").get("/cases/").get_data(as_text=True)
    assert "1 overdue" in page
    assert f'href="/cases/{c["theirs"].id}"' in page and c["theirs"].number in page
    assert "Dmitry Ivanov" in page and "Russia" in page and "Frankfurt Test Clinic" in page
    assert "Olga Other" in page and "Queue" in page and "Confirmed" in page and "Overdue" in page
    filtered = as_role("coordinator").get("/cases/?coordinator=unassigned&state=new").get_data(as_text=True)
    assert c["fresh"].number in filtered and c["theirs"].number not in filtered


def test_finance_and_admin_read_the_list_patients_may_not(app, client, users, world):
    assert client.get("/cases/").status_code == 302  # signed out: to the login page
    for role, status in (("finance", 200), ("admin", 200), ("coordinator", 200), ("patient", 403)):
        signed_in = app.test_client()
        login_as(signed_in, users[role])
        assert signed_in.get("/cases/").status_code == status, role


def test_the_list_pages_through_many_cases(as_role, users):
    for _ in range(55):
        make_case()
    db.session.commit()
    client = as_role("coordinator")
    first = client.get("/cases/").get_data(as_text=True)
    assert "Page 1 of 2" in first and "55 in all" in first
    assert "Page 2 of 2" in client.get("/cases/?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in client.get("/cases/?page=7").get_data(as_text=True)


def test_a_page_of_cases_runs_the_same_number_of_statements_for_5_and_60_cases(as_role, users, count_queries):
    def add_cases(count):
        for i in range(count):
            make_case(
                patient=make_patient(country=("DE", "AE", "RU")[i % 3]),
                state=("new", "contacted", "confirmed")[i % 3],
                coordinator=make_user("coordinator") if i % 2 else None,
                hospital_id=make_hospital().id,
            )
        db.session.commit()

    client = as_role("coordinator")
    views = ("/cases/", "/cases/?q=patient&sort=patient", "/cases/?state=open&country=AE&sort=due")
    add_cases(5)
    few = []
    for view in views:
        with count_queries() as statements:
            assert client.get(view).status_code == 200
        few.append(len(statements))
    add_cases(55)
    for view, expected in zip(views, few, strict=True):
        with count_queries() as statements:
            assert client.get(view).status_code == 200
        assert len(statements) == expected, view


def test_sorting_by_due_puts_the_earliest_first_contact_deadline_first_and_desc_reverses_it(users):
    now = utcnow()
    overdue = make_case(requested_at=now - timedelta(hours=30), coordinator=users["coordinator"])  # due 6 h ago
    later = make_case(requested_at=now - timedelta(hours=1), coordinator=users["coordinator"])  # due in 23 h
    middle = make_case(requested_at=now - timedelta(hours=10), coordinator=users["coordinator"])  # due in 14 h
    db.session.commit()
    args = {"state": "new", "coordinator": "mine", "sort": "due"}
    mine = users["coordinator"].id
    ascending = [overdue.number, middle.number, later.number]
    assert listed({**args, "dir": "asc"}, user_id=mine) == ascending
    assert listed({**args, "dir": "desc"}, user_id=mine) == ascending[::-1]
    assert listed(args, user_id=mine) == ascending  # the default direction of "due" is the earliest first


def test_sorting_by_due_interleaves_first_contact_deadlines_and_reminder_dates(users):
    now = utcnow()
    new_overdue = make_case(requested_at=now - timedelta(hours=30))  # first contact was due 6 h ago
    in_2_days = make_case(state="contacted", next_action_on=(now + timedelta(days=2)).date(), next_action="x")
    new_later = make_case(requested_at=now - timedelta(hours=1))  # first contact due within 23 h
    in_4_days = make_case(state="contacted", next_action_on=(now + timedelta(days=4)).date(), next_action="y")
    nothing_due = make_case(state="contacted")
    db.session.commit()
    due_order = [new_overdue.number, new_later.number, in_2_days.number, in_4_days.number]
    assert listed({"sort": "due", "dir": "asc"}) == [*due_order, nothing_due.number]
    # Cases with nothing due stay last whichever way the dates run.
    assert listed({"sort": "due", "dir": "desc"}) == [*due_order[::-1], nothing_due.number]


@pytest.fixture
def people():
    """Patients whose names, numbers and phones were typed the way real people type them."""

    def case_of(name, email=None, phone="", treatment="Knee replacement"):
        patient = make_patient(name=name, email=email)
        patient.phone = phone
        return make_case(patient=patient, requested_treatment=treatment)

    cases = {
        "lukasz": case_of("Łukasz Kowalczyk", phone="+48 601 234 567"),
        "irina": case_of("Ирина Петрова", email="irina@mail.example"),
        "mansouri": case_of("Khalid Al-Mansouri", phone="+49 (69) 123-45"),
        "nunez": case_of("José Núñez", treatment="Hüftgelenkersatz (hip replacement)"),
        "jensen": case_of("Søren Jensen", email="SOREN.J@Mail.Example"),
    }
    db.session.commit()
    return cases


def test_search_folds_case_and_diacritics_in_every_script(people):
    lukasz, irina, mansouri = people["lukasz"].number, people["irina"].number, people["mansouri"].number
    for query in ("Łukasz", "lukasz", "ŁUKASZ", "LUKASZ kowalczyk", "Kowalczyk, Łukasz"):
        assert listed({"q": query}) == [lukasz], query
    for query in ("Ирина", "ирина", "ИРИНА", "Петрова Ирина"):
        assert listed({"q": query}) == [irina], query
    for query in ("Al Mansouri", "al-mansouri", "AlMansouri", "khalid al mansouri"):
        assert listed({"q": query}) == [mansouri], query
    assert listed({"q": "jose nunez"}) == [people["nunez"].number]
    assert listed({"q": "soren"}) == listed({"q": "Søren"}) == [people["jensen"].number]
    assert listed({"q": "soren.j@mail"}) == [people["jensen"].number]


def test_search_finds_a_case_by_part_of_its_number(people):
    case = people["irina"]
    serial = case.number.rsplit("-", 1)[1]  # "00002" of C-2026-00002
    assert listed({"q": serial}) == [case.number]
    assert listed({"q": case.number[2:]}) == [case.number]  # "2026-00002"
    assert listed({"q": case.number.lower()}) == [case.number]


def test_search_finds_a_phone_number_whatever_its_punctuation(people):
    assert listed({"q": "4969123"}) == [people["mansouri"].number]
    assert listed({"q": "+49 (69) 123-45"}) == [people["mansouri"].number]
    assert listed({"q": "601-234"}) == [people["lukasz"].number]


def test_search_finds_the_treatment_only_for_roles_that_read_health_data(app, people, users):
    hip = people["nunez"].number
    assert listed({"q": "hip replacement"}) == []  # without health data
    assert numbers(search_cases(CaseFilters.from_args({"q": "hip replacement"}, user_id=0), health_data=True)) == [hip]
    for role, found in (("coordinator", True), ("admin", True), ("finance", False)):
        client = app.test_client()
        login_as(client, users[role])
        page = client.get("/cases/?q=huftgelenk").get_data(as_text=True)
        assert (hip in page) is found, role


def test_search_keys_follow_a_change_of_the_patients_name_and_phone(people):
    case = people["irina"]
    patient = db.session.get(Patient, case.patient_id)
    patient.name, patient.phone = "Irina Smirnova-Lee", "+7 (495) 555-01-02"
    db.session.commit()
    assert listed({"q": "smirnova lee"}) == [case.number]
    assert listed({"q": "74955550102"}) == [case.number]
    assert listed({"q": "Ирина"}) == []


def test_the_list_finds_a_search_and_offers_a_new_case_to_those_who_open_cases(app, people, users):
    pages = {}
    for role in ("coordinator", "admin", "finance"):
        client = app.test_client()
        login_as(client, users[role])
        pages[role] = client.get("/cases/?q=lukasz").get_data(as_text=True)
    page = pages["coordinator"]
    assert people["lukasz"].number in page and "Łukasz Kowalczyk" in page and "Ирина" not in page
    assert 'href="/cases/new"' in page and 'href="/cases/new"' in pages["admin"]
    assert 'href="/cases/new"' not in pages["finance"]


def test_a_search_runs_the_same_number_of_statements_for_5_and_60_cases(as_role, users, count_queries):
    views = ("/cases/?q=lukasz", "/cases/?q=4969123+kowalczyk+00", "/cases/?q=knee&sort=due", "/cases/?q=C-2026")
    client = as_role("coordinator")

    def counts():
        result = []
        for view in views:
            with count_queries() as statements:
                assert client.get(view).status_code == 200
            result.append(len(statements))
        return result

    for _ in range(5):
        make_case(patient=make_patient(name="Łukasz Kowalczyk"))
    db.session.commit()
    few = counts()
    for _ in range(55):
        make_case(patient=make_patient(name="Łukasz Kowalczyk"))
    db.session.commit()
    assert counts() == few
    # the session's user, the count, the page's rows, the filter options, the overdue count, the contraindication
    # flags of the page's cases, the health-data read's audit row, the menu's unread notifications and its count of
    # unmatched mail
    assert max(few) <= 10


def test_a_search_can_use_the_trigram_index_on_postgresql(people):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL index")
    from sqlalchemy import text

    from backoffice.cases.listing import case_query

    query, order_by, _ = case_query(CaseFilters.from_args({"q": "kowalczyk"}, user_id=0), health_data=True)
    compiled = query.order_by(*order_by).limit(50).compile(db.engine)
    # Five rows are cheaper to scan than to look up: forbid the scans, to see that the trigram indexes answer.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars()
    plan = "\n".join(rows)
    assert "ix_cases_search_key" in plan and "ix_cases_treatment_key" in plan, plan
