"""A staff member picks English or German for their pages beside their name; it is saved on the account, audited,
and the page they were on comes back in it. Patients choose theirs in the portal, not here."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.extensions import db
from backoffice.trail import AuditEvent


def test_a_coordinator_switches_to_german_and_back_and_stays_on_the_page(as_role, users):
    client = as_role("coordinator")
    page = client.get("/cases/").get_data(as_text=True)
    assert 'name="language" value="de"' in page and "Deutsch" in page

    response = client.post(
        "/account/language", data={"language": "de"}, headers={"Referer": "http://localhost/cases/?state=new"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/cases/?state=new"
    db.session.expire_all()
    assert db.session.get(User, users["coordinator"].id).language == "de"
    german = client.get("/cases/").get_data(as_text=True)
    assert '<html lang="de"' in german and "Ihre Seiten sind jetzt auf Deutsch" in german

    client.post("/account/language", data={"language": ""}, headers={"Referer": "http://localhost/cases/"})
    db.session.expire_all()
    assert db.session.get(User, users["coordinator"].id).language is None
    assert '<html lang="en"' in client.get("/cases/").get_data(as_text=True)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_language_changed")).all()
    assert [(e.details["from"], e.details["to"]) for e in events] == [(None, "de"), ("de", None)]


def test_a_language_staff_pages_do_not_speak_is_refused_and_nothing_changes(as_role, users):
    client = as_role("finance")
    response = client.post("/account/language", data={"language": "ru"})
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, users["finance"].id).language is None


def test_the_way_back_is_the_page_it_was_sent_from_and_never_leaves_the_site(as_role):
    client = as_role("admin")
    response = client.post(
        "/account/language", data={"language": "de"}, headers={"Referer": "https://evil.example/cases/"}
    )
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_patients_choose_their_language_in_the_portal_not_here(as_role, users):
    client = as_role("patient")
    assert client.post("/account/language", data={"language": "de"}).status_code == 403
    assert 'name="language" value="de"' not in client.get("/portal/").get_data(as_text=True)
