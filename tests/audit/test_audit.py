import re
from datetime import UTC, datetime

import pytest

from backoffice.extensions import db
from backoffice.trail import AuditEvent, list_events, record_event
from tests.factories import make_case, make_user
from tests.helpers import change_settings


def test_record_event_stores_who_what_when_and_details(app):
    user = make_user("finance")
    db.session.commit()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.4"}):
        event = record_event(
            "bill_approved",
            actor_id=user.id,
            object_type="hospital_bill",
            object_id=17,
            details={"total": "1234.50 EUR"},
        )
        db.session.commit()
    stored = db.session.get(AuditEvent, event.id)
    assert stored.occurred_at.tzinfo is not None
    assert (stored.action, stored.object_type, stored.object_id) == ("bill_approved", "hospital_bill", "17")
    assert stored.details == {"total": "1234.50 EUR"} and stored.remote_addr == "192.0.2.4"


def test_events_are_listed_newest_first_and_filtered():
    user = make_user("admin")
    for action in ("login", "role_changed", "login"):
        record_event(action, actor_id=user.id, object_type="user", object_id=user.id)
    page = list_events()
    assert [e.action for e in page.items] == ["login", "role_changed", "login"]
    assert page.items[0].id > page.items[-1].id
    assert [e.action for e in list_events(action="role_changed").items] == ["role_changed"]


def test_admin_browses_the_audit_log(as_role, users):
    client = as_role("admin")
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "login" in page and users["admin"].email in page
    filtered = client.get("/admin/audit/?action=login_failed").get_data(as_text=True)
    assert "No events recorded" in filtered


def test_audit_log_page_runs_a_fixed_number_of_statements(as_role, users, count_queries):
    client = as_role("admin")
    with count_queries() as few:
        client.get("/admin/audit/")
    for n in range(60):
        actor = make_user("coordinator")
        record_event("login", actor_id=actor.id, details={"n": n})
    db.session.commit()
    with count_queries() as many:
        response = client.get("/admin/audit/?page=2")
    assert response.status_code == 200
    assert len(few) == len(many)


def test_a_nul_byte_in_a_filter_is_a_400(as_role, users):
    assert as_role("admin").get("/admin/audit/?object_type=%00%27").status_code == 400


def test_bad_audit_filters_do_not_break_the_page(as_role, users):
    client = as_role("admin")
    for query in ("page=-3", "page=abc", "actor=x", "action=" + "<script>" * 50, "object_type=%27%3B--"):
        response = client.get(f"/admin/audit/?{query}")
        assert response.status_code == 200, query
        assert "<script><script>" not in response.get_data(as_text=True)


@pytest.fixture
def dubai_operator(app, monkeypatch):
    change_settings(monkeypatch, app, operator_timezone="Asia/Dubai")


def _time_column(page: str) -> tuple[str, list[str]]:
    """The audit table's first header and its time cells, as a reader sees them."""
    header = re.search(r"<thead><tr><th>([^<]*)</th>", page).group(1)
    return header, re.findall(r'<td class="nowrap">([^<]*)</td>', page)


def test_audit_times_are_shown_in_the_zone_their_column_header_names(as_role, users, dubai_operator):
    case = make_case(coordinator=users["coordinator"])
    event = record_event("case_viewed", actor_id=users["coordinator"].id, object_type="case", object_id=case.id)
    event.occurred_at = datetime(2026, 12, 6, 8, 28, 58, tzinfo=UTC)
    db.session.commit()
    client = as_role("admin")
    for path in ("/admin/audit/?action=case_viewed", f"/admin/audit/cases/{case.id}"):
        header, cells = _time_column(client.get(path).get_data(as_text=True))
        assert "UTC" not in header, f"{path}: the header says UTC, the times are in Dubai's zone"
        assert header == "When (Asia/Dubai time)", path
        assert "2026-12-06 12:28:58 +04" in cells, path  # 08:28:58 UTC is 12:28:58 in Dubai (UTC+4)
        assert all(cell.endswith(" +04") for cell in cells), (path, cells)
