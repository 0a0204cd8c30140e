"""Every read of a patient's health data and every refused request leaves one audit row; admins see a case's
access history."""

from io import BytesIO

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import DatabaseError, OperationalError
from werkzeug.datastructures import FileStorage

from backoffice.auth import reads
from backoffice.auth.permissions import COORDINATOR
from backoffice.auth.reads import declared_reads
from backoffice.cases import documents
from backoffice.extensions import db
from backoffice.trail import ACCESS_REFUSED, HEALTH_DATA_READ, AuditEvent
from tests.factories import make_case, make_user
from tests.helpers import login_as

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# The features whose pages show health data: the case, its documents, screening and timeline (cases), its bookings,
# itinerary, interpreters and follow-ups (logistics), its medicine orders (shipments).
HEALTH_DATA_FEATURES = ("cases", "logistics", "shipments")
# Pages of those features that coordinators open and that show no patient's health data, each with the reason.
NO_HEALTH_DATA = {
    "cases.create_case": "an empty form for a new case",
    "logistics.list_interpreters": "the interpreter directory: names, languages, rates",
    "logistics.show_interpreter": "an interpreter's details and bookings (case numbers and times only)",
    "logistics.create_interpreter": "an empty form for an interpreter",
    "logistics.edit_interpreter": "an interpreter's own details",
    "logistics.calendar_feed": "the coordinator's feed settings; the feed's contents go to their own calendar",
    "logistics.calendar_feed_ics": "public: the calendar app of the feed's owner, who made the feed (audited)",
    "shipments.list_pharmacies": "the pharmacy directory",
}


def readers_of(app):
    """GET endpoints of the health-data features that a coordinator (or the public) may open."""
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if "GET" not in rule.methods or endpoint.split(".")[0] not in HEALTH_DATA_FEATURES:
            continue
        audience = getattr(app.view_functions[endpoint], "access", None)
        if audience == "public" or COORDINATOR in (audience or ()):
            yield endpoint


def test_every_page_of_a_health_data_feature_declares_its_reads(app):
    undeclared = sorted(
        endpoint
        for endpoint in readers_of(app)
        if endpoint not in NO_HEALTH_DATA and declared_reads(app.view_functions[endpoint]) is None
    )
    assert undeclared == [], (
        f"these pages may show health data but log no read: {undeclared}. Add @reads_health_data(...) below "
        "their audience, or list them in NO_HEALTH_DATA with the reason they show none."
    )
    assert set(NO_HEALTH_DATA) <= set(readers_of(app)), "NO_HEALTH_DATA names a page that no longer exists"
    for must_read in ("cases.show_case", "cases.list_cases", "cases.download_document", "logistics.show_itinerary"):
        assert declared_reads(app.view_functions[must_read]) is not None


def signed_in(app, user):
    """A browser of its own, signed in as `user`."""
    client = app.test_client()
    login_as(client, user)
    return client


def rows(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action.in_((HEALTH_DATA_READ, ACCESS_REFUSED)))
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def test_opening_a_case_page_logs_who_read_which_case_when_and_from_where(client, as_role, users):
    case = make_case(requested_treatment="Stem cell therapy")
    db.session.commit()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    as_role("coordinator")
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    [read] = rows()
    assert (read.action, read.actor_id, read.object_type, read.object_id) == (
        HEALTH_DATA_READ,
        users["coordinator"].id,
        "case",
        str(case.id),
    )
    assert read.remote_addr == "198.51.100.7" and read.occurred_at is not None
    assert read.details == {"endpoint": "cases.show_case", "method": "GET", "status": 200}


def test_the_itinerary_and_a_document_are_reads_of_their_case(as_role, users):
    case = make_case(coordinator=users["coordinator"])
    document = documents.store_document(
        case.id, FileStorage(BytesIO(PDF), "lab.pdf"), "Lab results", users["coordinator"].id
    )
    db.session.commit()
    client = as_role("coordinator")
    assert client.get(f"/cases/{case.id}/itinerary").status_code == 200
    assert client.get(f"/cases/{case.id}/documents/{document.id}").status_code == 200
    assert [(r.details["endpoint"], r.object_id) for r in rows(HEALTH_DATA_READ)] == [
        ("logistics.show_itinerary", str(case.id)),
        ("cases.download_document", str(case.id)),
    ]


def test_a_search_is_logged_with_what_was_searched(as_role, users):
    as_role("coordinator").get("/cases/?q=Kowalczyk&state=new")
    [search] = rows()
    assert search.action == HEALTH_DATA_READ and search.object_id is None
    assert search.details["endpoint"] == "cases.list_cases"
    assert search.details["query"] == {"q": "Kowalczyk", "state": "new"}


def test_a_read_of_a_record_names_its_case(as_role, users):
    from backoffice.logistics.models import FollowUp

    case = make_case(coordinator=users["coordinator"], state="aftercare")
    follow_up = FollowUp(case_id=case.id, position=1, due_on=case.requested_at.date(), label="Check-up")
    db.session.add(follow_up)
    db.session.commit()
    assert as_role("coordinator").get(f"/follow-ups/{follow_up.id}").status_code == 200
    [read] = rows()
    assert (read.object_type, read.object_id) == ("case", str(case.id))
    assert read.details["record"] == f"follow_ups:{follow_up.id}"


def test_a_read_is_logged_when_the_page_then_fails(as_role, users, monkeypatch):
    case = make_case()
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("the page broke after it started reading")

    monkeypatch.setattr("backoffice.cases.views.render_case_page", broken)
    assert as_role("coordinator").get(f"/cases/{case.id}").status_code == 500
    [read] = rows()
    assert (read.action, read.object_id, read.details["status"]) == (HEALTH_DATA_READ, str(case.id), 500)


def test_refusals_are_logged_with_who_and_what(app, users):
    case = make_case()
    document = documents.store_document(
        case.id, FileStorage(BytesIO(PDF), "lab.pdf"), "Lab results", users["coordinator"].id
    )
    db.session.commit()
    assert signed_in(app, users["finance"]).get(f"/cases/{case.id}/documents/{document.id}").status_code == 403
    assert signed_in(app, users["coordinator"]).get("/cases/999999").status_code == 404
    assert signed_in(app, users["patient"]).get("/portal/invoices/INV-1999-99999.pdf").status_code == 404
    refused = rows(ACCESS_REFUSED)
    assert [(r.actor_id, r.object_id, r.details["endpoint"], r.details["status"]) for r in refused] == [
        (users["finance"].id, str(case.id), "cases.download_document", 403),
        (users["coordinator"].id, "999999", "cases.show_case", 404),
        (users["patient"].id, None, "portal.download_invoice", 404),
    ]
    assert refused[2].details["args"] == {"number": "INV-1999-99999"}
    assert rows(HEALTH_DATA_READ) == []  # a refused read is a refusal, not a read


def test_unknown_addresses_and_the_anonymous_leave_no_refusal_rows(client, as_role, users):
    assert client.get("/cases/").status_code == 302  # to the sign-in page
    assert as_role("coordinator").get("/no-such-page").status_code == 404
    assert rows() == []


def test_a_read_costs_one_insert(as_role, users, count_queries):
    case = make_case()
    db.session.commit()
    client, url = as_role("coordinator"), f"/cases/{case.id}"
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS")


def test_a_read_that_cannot_be_logged_is_not_shown(as_role, users, monkeypatch):
    case = make_case(requested_treatment="Stem cell therapy")
    db.session.commit()

    def failing_clock():  # the database answers, but refuses the row
        raise DatabaseError("INSERT INTO audit_events", {}, Exception("audit_events refused the row"))

    monkeypatch.setattr(reads, "utcnow", failing_clock)
    response = as_role("coordinator").get(f"/cases/{case.id}")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "could not be recorded" in page and "Stem cell therapy" not in page
    assert response.headers["Cache-Control"] == "no-store"


def test_a_read_met_by_a_database_outage_is_a_503_page_that_needs_no_database(as_role, users, monkeypatch):
    """The database goes away between the page and its audit row: the answer is the 503 page (the visitor shown
    signed out, as on any outage), never an error raised past the error handlers."""
    case = make_case(requested_treatment="Stem cell therapy")
    db.session.commit()
    client = as_role("coordinator")

    def refuse(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    def database_gone():
        event.listen(db.engine, "before_cursor_execute", refuse)
        return real_clock()

    real_clock = reads.utcnow
    monkeypatch.setattr(reads, "utcnow", database_gone)
    try:
        response = client.get(f"/cases/{case.id}")
    finally:
        event.remove(db.engine, "before_cursor_execute", refuse)

    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "The database is not available right now" in page and "Stem cell therapy" not in page
    assert 'class="brand"' in page  # the app's layout


def test_an_admin_sees_a_cases_access_history_linked_from_the_case_page(app, users):
    case = make_case()
    db.session.commit()
    coordinator = signed_in(app, users["coordinator"])
    assert "Access history" not in coordinator.get(f"/cases/{case.id}").get_data(as_text=True)
    assert signed_in(app, users["finance"]).get(f"/cases/{case.id}/itinerary.pdf").status_code == 403
    assert coordinator.get(f"/admin/audit/cases/{case.id}").status_code == 403

    admin = signed_in(app, users["admin"])
    case_page = admin.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/admin/audit/cases/{case.id}"' in case_page
    history = admin.get(f"/admin/audit/cases/{case.id}").get_data(as_text=True)
    assert f"Access history of {case.number}" in history
    for name in ("Carl Coordinator", "Frida Finance", "Alice Admin"):
        assert name in history
    assert HEALTH_DATA_READ in history and ACCESS_REFUSED in history
    refusals = admin.get(f"/admin/audit/cases/{case.id}?kind=refusals").get_data(as_text=True)
    # finance's itinerary PDF and the coordinator's look at this very page; the admin's reads are not refusals
    assert "Frida Finance" in refusals and "Carl Coordinator" in refusals and "admin@test.example" not in refusals
    assert "logistics.itinerary_pdf" in refusals and "audit.case_access_history" in refusals
    assert admin.get("/admin/audit/cases/999999").status_code == 404


@pytest.mark.parametrize("extra", [3, 130])
def test_the_access_history_runs_a_fixed_number_of_statements(as_role, users, count_queries, extra):
    case = make_case()
    for _ in range(extra):
        actor = make_user("coordinator")
        db.session.add(
            AuditEvent(action=HEALTH_DATA_READ, actor_id=actor.id, object_type="case", object_id=str(case.id))
        )
    db.session.commit()
    client, url = as_role("admin"), f"/admin/audit/cases/{case.id}?page=2"
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    # the user, the case's number, the count, the page of rows with their actors, the menu's unread notifications
    # and its count of unmatched mail
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 6, [s[:90] for s in selects]


def test_the_admin_dashboard_shows_changes_not_the_rows_of_looking(app, users):
    case = make_case()
    db.session.commit()
    signed_in(app, users["coordinator"]).get(f"/cases/{case.id}")
    page = signed_in(app, users["admin"]).get("/dashboard").get_data(as_text=True)
    recent = page.split("Recent activity", 1)[1]
    assert "login" in recent and HEALTH_DATA_READ not in recent
