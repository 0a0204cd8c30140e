import pytest
from sqlalchemy import select

from backoffice.directory import operations
from backoffice.directory.models import PausedDestination
from backoffice.directory.values import DirectoryError
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import make_hospital


def paused():
    db.session.expire_all()
    return set(db.session.scalars(select(PausedDestination.country)))


def test_a_paused_destination_is_not_open(users):
    make_hospital(country="DE")
    make_hospital(country="TR")
    make_hospital(country="CH", active=False)
    assert operations.open_destinations() == [("DE", "Germany"), ("TR", "Türkiye")]
    operations.pause_destination("tr", reason="Travel advice", actor_id=users["admin"].id)
    assert operations.is_paused("TR") and operations.is_paused("tr") and not operations.is_paused("DE")
    assert operations.open_destinations() == [("DE", "Germany")]
    assert set(operations.paused_countries()) == {"TR"}
    operations.resume_destination("TR", actor_id=users["admin"].id)
    assert operations.open_destinations() == [("DE", "Germany"), ("TR", "Türkiye")]
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["destination_paused", "destination_resumed"]


def test_pausing_twice_or_resuming_an_open_destination_is_refused(users):
    operations.pause_destination("IN", actor_id=users["admin"].id)
    with pytest.raises(DirectoryError, match="Intake to India is already paused"):
        operations.pause_destination("IN", actor_id=users["admin"].id)
    with pytest.raises(DirectoryError, match="Intake to South Korea is not paused"):
        operations.resume_destination("KR", actor_id=users["admin"].id)
    with pytest.raises(DirectoryError, match="not a two-letter country code"):
        operations.pause_destination("Narnia", actor_id=users["admin"].id)


def test_paused_destinations_list_names_who_paused(users):
    operations.pause_destination("TR", reason="Travel advice", actor_id=users["admin"].id)
    operations.pause_destination("CH", actor_id=None)
    rows = operations.list_paused_destinations()
    assert [(row.country, user.name if user else None) for row, user in rows] == [
        ("CH", None),
        ("TR", "Alice Admin"),
    ]


def test_admin_pauses_and_resumes_from_the_page(as_role):
    make_hospital(country="DE")
    make_hospital(country="TR")
    db.session.commit()
    client = as_role("admin")
    page = client.get("/directory/paused-destinations").get_data(as_text=True)
    assert "No destination is paused" in page and "Türkiye" in page and "Pause intake" in page
    response = client.post("/directory/paused-destinations", data={"country": "TR", "reason": "Travel advice"})
    assert response.status_code == 302 and paused() == {"TR"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Intake to Türkiye is paused" in page and "Travel advice" in page and "Resume intake" in page
    assert client.post("/directory/paused-destinations/TR/resume").status_code == 302
    assert paused() == set()


def test_bad_pause_requests_are_refused_and_change_nothing(as_role):
    client = as_role("admin")
    client.post("/directory/paused-destinations", data={"country": "IN"})
    for data in ({}, {"country": "XX"}, {"country": "IN"}, {"country": "KR", "reason": "r" * 301}):
        assert client.post("/directory/paused-destinations", data=data).status_code == 422, data
    again = client.post("/directory/paused-destinations", data={"country": "IN"})
    assert "already paused" in again.get_data(as_text=True)
    assert client.post("/directory/paused-destinations", data={"country": "KR"}, csrf=False).status_code == 400
    resume = client.post("/directory/paused-destinations/KR/resume")
    assert resume.status_code == 422 and "is not paused" in resume.get_data(as_text=True)
    assert paused() == {"IN"}


def test_coordinators_see_paused_destinations_but_only_admins_change_them(as_role, users):
    operations.pause_destination("IN", actor_id=users["admin"].id)
    db.session.commit()
    client = as_role("coordinator")
    page = client.get("/directory/paused-destinations")
    assert page.status_code == 200 and "India" in page.get_data(as_text=True)
    assert "Resume intake" not in page.get_data(as_text=True) and "Pause intake" not in page.get_data(as_text=True)
    assert "destination_paused" not in page.get_data(as_text=True)  # the audit trail is the admins'
    assert client.post("/directory/paused-destinations", data={"country": "TR"}).status_code == 403
    assert client.post("/directory/paused-destinations/IN/resume").status_code == 403
    assert paused() == {"IN"}
