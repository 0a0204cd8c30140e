"""Times on staff pages: in the operator's time zone (OPERATOR_TIMEZONE), labelled with the zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backoffice.cases import history
from backoffice.extensions import db
from backoffice.templating import format_datetime, format_day
from tests.factories import make_case, make_patient
from tests.helpers import change_settings


def test_an_instant_is_written_in_the_operators_zone_with_its_abbreviation(app):
    summer, winter = datetime(2026, 7, 1, 10, 0, tzinfo=UTC), datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with app.app_context():
        assert format_datetime(summer) == "2026-07-01 12:00 CEST"
        assert format_datetime(winter) == "2026-12-01 11:00 CET"
        assert format_datetime(winter, "%H:%M:%S") == "11:00:00 CET"
        assert format_datetime(None) == "—"
        # 23:30 UTC on 31 December is already New Year in Berlin: the day moves with the zone.
        assert format_datetime(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2027-01-01 00:30 CET"


def test_the_day_of_an_instant_is_the_operators_day(app):
    """An offer accepted at 00:30 in Frankfurt (23:30 UTC the day before) is shown as accepted that day."""
    with app.test_request_context():
        assert format_day(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == "December 7, 2026"
        assert format_day(datetime(2026, 12, 6, 23, 30)) == "December 7, 2026"  # naive: one of ours, in UTC
        assert format_day(datetime(2026, 12, 6, 22, 30, tzinfo=UTC), "medium") == "Dec 6, 2026"


@pytest.fixture
def dubai_operator(app, monkeypatch):
    change_settings(monkeypatch, app, operator_timezone="Asia/Dubai")


def test_staff_pages_show_requested_at_due_at_and_the_timeline_in_the_operators_zone(as_role, users):
    requested = datetime(2026, 7, 1, 6, 15, tzinfo=UTC)
    case = make_case(patient=make_patient(name="Omar Haddad"), requested_at=requested, coordinator=users["coordinator"])
    history.add_note(case.id, body="Called back", actor_id=users["coordinator"].id)
    db.session.commit()
    client = as_role("coordinator")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Requested 2026-07-01 08:15 CEST" in page
    assert " UTC" not in page.replace("times in", "")  # nothing left in UTC
    listing = client.get("/cases/?state=new").get_data(as_text=True)
    assert "2026-07-01 08:15 CEST" in listing
    assert "times in Europe/Berlin unless marked local" in listing


def test_the_zone_is_a_setting(as_role, users, dubai_operator):
    case = make_case(requested_at=datetime(2026, 7, 1, 6, 15, tzinfo=UTC), coordinator=users["coordinator"])
    db.session.commit()
    page = as_role("coordinator").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Requested 2026-07-01 10:15 +04" in page


def test_the_audit_log_and_the_jobs_page_are_in_the_operators_zone(as_role, users):
    client = as_role("admin")  # signing in writes the first line of the audit log
    for path in ("/admin/audit/", "/admin/jobs"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert " UTC</td>" not in page and " UTC<" not in page, path
    assert " CET</td>" in client.get("/admin/audit/").get_data(as_text=True).replace("CEST", "CET")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "Berlin"])
def test_an_operator_time_zone_that_does_not_exist_is_refused_at_start(monkeypatch, zone):
    from backoffice.config import ConfigurationError, load_settings

    monkeypatch.setenv("OPERATOR_TIMEZONE", zone)
    with pytest.raises(ConfigurationError, match="OPERATOR_TIMEZONE must be an IANA time zone"):
        load_settings({"APP_ENV": "development"})
