"""A German-speaking coordinator or administrator reads the case's thread, writes, asks the physician, sorts the
unmatched mail and switches automatic messages in German; everybody else keeps English."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.messages.models import Message
from tests.helpers import page_text
from tests.messages.factories import make_received, make_writing_case
from tests.messages.inbound import receive, reply


def test_a_german_speaking_coordinator_sees_the_thread_writing_and_consultation_pages_in_german(as_german, users):
    world = make_writing_case(users["coordinator"])
    received = make_received(world.case.id, subject="Mein Flug")
    client = as_german("coordinator")
    case_id = world.case.id

    case_page = page_text(client.get(f"/cases/{case_id}"))
    assert '<html lang="de"' in case_page
    assert "Arzt / Ärztin vorab anfragen" in case_page and "Nachricht schreiben" in case_page
    assert "(Patient/in)" in case_page and "Eingegangen" in case_page

    thread = page_text(client.get(f"/cases/{case_id}/messages"))
    assert f"Nachrichten zu Fall {world.case.number}" in thread and '<html lang="de"' in thread

    message = page_text(client.get(f"/cases/{case_id}/messages/{received.id}"))
    assert "Zuerst gelesen" in message and "Antworten" in message and "Kein Textteil." not in message

    compose = page_text(client.get(f"/cases/{case_id}/messages/new?to=patient&template=travel_details"))
    assert "Neu beginnen mit einer Vorlage:" in compose and "Reisedetails" in compose
    assert "Gesundheitsdaten" in compose and "Eine hier eingegebene Adresse" in compose

    refused = page_text(
        client.post(
            f"/cases/{case_id}/messages/new",
            data={"to": "typed", "typed_address": "", "subject": "Hotel", "body": "Guten Tag", "language": "de"},
        )
    )
    assert "Geben Sie die Empfängeradresse ein oder wählen Sie eine Person des Falls." in refused

    consultation = page_text(client.get(f"/cases/{case_id}/consultation"))
    assert "1. Die Einwilligung des Patienten / der Patientin" in consultation
    assert "Noch keine Einwilligung erfasst." in consultation and "Schriftlich (unterschriebenes Formular, Brief)" in (
        consultation
    )


def test_a_german_speaking_coordinator_sorts_unmatched_mail_in_german(as_german, users):
    receive(reply(sender="new.address@example.test", subject="Scan für meinen Fall"))
    mail = db.session.scalar(select(Message).where(Message.direction == "inbound"))
    client = as_german("coordinator")

    listing = page_text(client.get("/messages/unmatched"))
    assert '<html lang="de"' in listing and "<h1>Nicht zugeordnete Mails</h1>" in listing and "Verworfen" in listing
    assert "Neu" in listing

    shown = page_text(client.get(f"/messages/unmatched/{mail.id}"))
    assert "Einem Fall zuordnen" in shown and "Verwerfen" in shown and "z. B. Werbung" in shown

    refused = client.post(f"/messages/unmatched/{mail.id}/assign", data={"case_number": "MT-1999-0001"})
    assert refused.status_code == 422
    assert "Es gibt keinen Fall MT-1999-0001." in page_text(refused)

    discarded = client.post(f"/messages/unmatched/{mail.id}/discard", data={"reason": "Werbung"}, follow_redirects=True)
    assert "Die Mail wurde verworfen; sie bleibt gespeichert." in page_text(discarded)
    assert "Verworfene Mails" in page_text(client.get("/messages/unmatched?show=discarded"))


def test_a_german_speaking_administrator_switches_automatic_messages_in_german(as_german):
    client = as_german("admin")
    kinds = page_text(client.get("/automatic-messages"))
    assert "Automatische Nachrichten" in kinds and "Nie umgeschaltet (ein)" in kinds and "Reiseplan fertig" in kinds

    switched = client.post(
        "/automatic-messages", data={"kind": "itinerary_ready", "enabled": "0"}, follow_redirects=True
    )
    text = page_text(switched)
    assert "„Reiseplan fertig“ ist ausgeschaltet" in text and "Ausgeschaltet von Alice Admin" in text

    again = client.post("/automatic-messages", data={"kind": "itinerary_ready", "enabled": "0"})
    assert again.status_code == 409 and "„Reiseplan fertig“ ist bereits ausgeschaltet." in page_text(again)


def test_a_staff_member_without_a_language_keeps_the_english_pages(as_role, users):
    world = make_writing_case(users["coordinator"])
    client = as_role("coordinator")
    case_page = page_text(client.get(f"/cases/{world.case.id}"))
    assert '<html lang="en"' in case_page and "Ask the physician in advance" in case_page and "(patient)" in case_page
