"""A German-speaking staff member reads the notification centre and chooses the email digest in German; the stored
notification texts stay as they were stored."""

from __future__ import annotations

from backoffice.extensions import db
from backoffice.notifications.operations import notify
from tests.factories import make_case
from tests.helpers import page_text


def test_a_german_speaking_coordinator_sees_the_notification_centre_in_german(as_german, users):
    client = as_german("coordinator")
    empty = page_text(client.get("/notifications/"))
    assert '<html lang="de"' in empty and "Noch nichts zu melden." in empty and "E-Mail-Zusammenfassung: aus" in empty
    case = make_case()
    notify("new_request", [users["coordinator"].id], text=f"{case.number}: New request in the queue", key="k1")
    db.session.commit()
    page = page_text(client.get("/notifications/"))
    assert "Alle als gelesen markieren" in page and "Neu" in page
    assert f"{case.number}: New request in the queue" in page  # stored, so shown as stored
    marked = page_text(client.post("/notifications/read", follow_redirects=True))
    assert "1 Benachrichtigung als gelesen markiert." in marked


def test_a_german_speaking_coordinator_chooses_the_digest_in_german(as_german):
    client = as_german("coordinator")
    account = page_text(client.get("/account/password"))
    assert "E-Mail-Zusammenfassung meiner Benachrichtigungen" in account and "Meine Wahl speichern" in account
    assert "Täglich: eine E-Mail am Tag mit dem, was ich nicht gelesen habe" in account
    refused = client.post("/notifications/digest", data={"digest": "hourly"})
    assert refused.status_code == 422
    assert "Wählen Sie, ob Ihre Benachrichtigungen auch per E-Mail kommen: aus oder täglich." in page_text(refused)
    chosen = page_text(client.post("/notifications/digest", data={"digest": "daily"}, follow_redirects=True))
    assert "E-Mail-Zusammenfassung Ihrer Benachrichtigungen: täglich." in chosen
