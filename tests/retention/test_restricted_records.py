"""The page of the erased patients' restricted records (finance and administrators): per erasure its pseudonym, its
deletion day and state, each record with kind, reference, dates and a link to its own page while it is there (a
letter only for those who read health data), the last refusal while something holds the group; a fixed number of
statements whatever the number of erasures."""

from __future__ import annotations

from datetime import timedelta

from backoffice.extensions import db
from backoffice.retention import operations
from tests.helpers import page_text
from tests.retention.factories import erased_patient, stored


def test_finance_sees_each_erasures_records_linked_to_their_pages(app, local_storage, as_role):
    erased = erased_patient()

    response = as_role("finance").get("/restricted-records")
    text = page_text(response)

    assert response.status_code == 200
    assert erased.pseudonym in text and "Anna Example" not in text
    assert f'href="/invoices/{erased.invoice_id}"' in text and erased.invoice_number in text
    assert f'href="/cases/{erased.case_id}/offers/{erased.offer_id}"' in text
    assert f'href="/billing/bills/{erased.bill_id}"' in text
    assert f"/messages/{erased.message_id}" not in text  # the letter's thread holds health data
    assert "Invoice: 1" in text and "Letter sent: 1" in text
    assert "Kept until their deletion day" in text


def test_an_administrator_is_linked_to_the_letter_too(app, local_storage, as_role):
    erased = erased_patient()

    text = page_text(as_role("admin").get("/restricted-records"))

    assert f'href="/cases/{erased.case_id}/messages/{erased.message_id}"' in text


def test_a_deleted_group_is_shown_deleted_without_links(app, local_storage, as_role):
    erased = erased_patient()
    operations.delete_due(erased.delete_on)

    text = page_text(as_role("finance").get("/restricted-records"))

    assert "Deleted." in text and erased.invoice_number in text
    assert f'href="/invoices/{erased.invoice_id}"' not in text


def test_a_refused_group_shows_why_it_waits(app, local_storage, as_role):
    erased = erased_patient()
    held = stored(erased.keys[0])
    held.retain_until = erased.delete_on + timedelta(days=30)
    db.session.commit()
    operations.delete_due(erased.delete_on)

    text = page_text(as_role("finance").get("/restricted-records"))

    assert "Deletion refused on" in text and "kept by law until" in text


def test_the_page_runs_a_fixed_number_of_statements(app, local_storage, as_role, count_queries):
    erased_patient()
    client = as_role("finance")
    with count_queries() as few:
        assert client.get("/restricted-records").status_code == 200
    erased_patient(name="Bea Example")
    erased_patient(name="Carla Example")
    with count_queries() as many:
        assert client.get("/restricted-records").status_code == 200

    assert len(many) == len(few)


def test_a_coordinator_is_refused(app, as_role):
    assert as_role("coordinator").get("/restricted-records").status_code == 403
    assert as_role("coordinator").get("/retention").status_code == 403
