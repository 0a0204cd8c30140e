"""An administrator sets the language of a staff member's pages (English, German, or none: the browser's), from the
account's page, by POST only; each change is in the audit log, and the person's next page is in that language."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.helpers import login_as


def language_of(user) -> str | None:
    db.session.expire_all()
    return db.session.get(type(user), user.id).language


def language_events(user) -> list[dict]:
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "user_language_changed", AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.id)
    )
    return [event.details for event in rows]


def test_an_administrator_sets_a_staff_members_page_language_and_each_change_is_audited(as_role, client, users):
    admin, finance = as_role("admin"), users["finance"]
    page = admin.get(f"/admin/users/{finance.id}").get_data(as_text=True)
    assert 'id="language-form"' in page and "The browser&#39;s" in page

    response = admin.post(f"/admin/users/{finance.id}/language", data={"language": "de"}, follow_redirects=True)
    assert response.status_code == 200 and "pages are now in German." in response.get_data(as_text=True)
    assert language_of(finance) == "de"

    admin.post(f"/admin/users/{finance.id}/language", data={"language": ""})
    assert language_of(finance) is None
    assert language_events(finance) == [{"from": None, "to": "de"}, {"from": "de", "to": None}]


def test_the_language_an_administrator_saved_is_the_language_of_the_persons_pages(app, users):
    finance = users["finance"]
    admin_client, finance_client = app.test_client(), app.test_client()
    login_as(admin_client, users["admin"])
    admin_client.post(f"/admin/users/{finance.id}/language", data={"language": "de"})
    login_as(finance_client, finance)
    assert '<html lang="de"' in finance_client.get("/dashboard").get_data(as_text=True)


def test_a_language_no_staff_page_speaks_is_refused_and_nothing_changes(as_role, users):
    admin, finance = as_role("admin"), users["finance"]
    for language in ("ru", "xx", "de" * 50):
        response = admin.post(f"/admin/users/{finance.id}/language", data={"language": language})
        assert response.status_code == 422 and "Choose one of the listed languages." in response.get_data(as_text=True)
    assert admin.post(f"/admin/users/{users['patient'].id}/language", data={"language": "de"}).status_code == 422
    assert admin.post("/admin/users/999999/language", data={"language": "de"}).status_code == 404
    assert language_of(finance) is None and language_events(finance) == []


def test_the_page_language_is_changed_by_post_only_and_only_by_administrators(app, as_role, users):
    finance = users["finance"]
    assert (
        as_role("coordinator").post(f"/admin/users/{finance.id}/language", data={"language": "de"}).status_code == 403
    )
    admin = app.test_client()
    login_as(admin, users["admin"])
    assert admin.get(f"/admin/users/{finance.id}/language").status_code == 405
    assert language_of(finance) is None
