"""A patient sees and downloads their own issued invoices and credit notes, and nothing else."""

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.storage import archive
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_patient
from tests.portal.issued import make_draft_invoice, make_issued_invoice

SAME_404 = "There is no such invoice among yours."


@pytest.fixture
def paula_case(users):
    """The case of the patient whose portal account is users["patient"] (Paula)."""
    patient = make_patient(name="Paula Patient", email=users["patient"].email, preferred_language="en")
    patient.user_id = users["patient"].id
    return make_case(patient=patient)


@pytest.fixture
def peter_case(users):
    patient = make_patient(name="Peter Patient", email=users["patient2"].email, preferred_language="en")
    patient.user_id = users["patient2"].id
    return make_case(patient=patient)


def events(action):
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def main_of(response) -> str:
    return response.get_data(as_text=True).split("<main", 1)[1]


def test_the_portal_start_page_links_to_the_invoices(as_role):
    assert "/portal/invoices" in as_role("patient").get("/portal/").get_data(as_text=True)


def test_the_list_shows_only_the_patients_own_issued_documents(as_role, paula_case, peter_case):
    deposit = make_issued_invoice(paula_case, "INV-2026-00001", total="1500.00")
    make_issued_invoice(paula_case, "INV-2026-00002", kind="final", status="partially_paid", total="17650.50")
    make_issued_invoice(paula_case, "CN-2026-00001", kind="credit_note", total="-1500.00", credited_invoice=deposit)
    make_issued_invoice(peter_case, "INV-2026-00003", total="2500.00")
    make_draft_invoice(paula_case, total="9999.00")
    db.session.commit()

    response = as_role("patient").get("/portal/invoices")
    body = response.get_data(as_text=True)

    assert response.status_code == 200
    for text in (
        "INV-2026-00001",
        "Deposit invoice",
        "€1,500.00",
        "Awaiting payment",
        "INV-2026-00002",
        "Final invoice",
        "€17,650.50",
        "Partly paid",
        "CN-2026-00001",
        "Credit note",
        "Mar 2, 2026",  # the issue date as the page's language writes it
        "/portal/invoices/INV-2026-00001.pdf",
    ):
        assert text in body, text
    assert "INV-2026-00003" not in body and "2,500.00" not in body, "another patient's invoice"
    assert "9,999.00" not in body and "Draft" not in body


def test_an_account_without_a_patient_record_sees_an_empty_list(as_role, peter_case):
    make_issued_invoice(peter_case)
    db.session.commit()
    body = as_role("patient").get("/portal/invoices").get_data(as_text=True)
    assert "No invoice has been issued to you yet." in body and "INV-2026-00001" not in body


def test_the_list_runs_a_fixed_number_of_statements(as_role, paula_case, count_queries):
    make_issued_invoice(paula_case, "INV-2026-00001")
    db.session.commit()
    client = as_role("patient")
    with count_queries() as few:
        assert client.get("/portal/invoices").status_code == 200
    for n in range(2, 22):
        make_issued_invoice(paula_case, f"INV-2026-{n:05d}")
    db.session.commit()
    with count_queries() as many:
        body = client.get("/portal/invoices").get_data(as_text=True)
    assert "INV-2026-00021" in body
    assert len(few) == len(many)


def test_a_download_serves_the_archived_bytes_exactly(as_role, users, paula_case):
    pdf = b"%PDF-1.7\n\x00\xff binary body of INV-2026-00001\n%%EOF\n"
    invoice = make_issued_invoice(paula_case, pdf=pdf)
    db.session.commit()

    response = as_role("patient").get("/portal/invoices/INV-2026-00001.pdf")

    assert response.status_code == 200
    assert response.data == pdf
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="INV-2026-00001.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    [event] = events("portal.invoice_downloaded")
    assert event.actor_id == users["patient"].id and event.object_id == str(invoice.id)


@pytest.mark.parametrize(
    "asked",
    [
        "INV-2026-00002",  # Peter's
        "INV-2026-00009",  # a draft that carries a number
        "INV-2026-99999",  # unknown
        "not an invoice",
        "INV-2026-00001' OR '1'='1",
        "X" * 300,
    ],
)
def test_anything_but_an_own_issued_number_gets_the_same_not_found_page_and_is_audited(
    as_role, users, paula_case, peter_case, asked
):
    make_issued_invoice(paula_case, "INV-2026-00001")
    make_issued_invoice(peter_case, "INV-2026-00002")
    draft = make_draft_invoice(paula_case)
    draft.number = "INV-2026-00009"
    db.session.commit()
    client = as_role("patient")
    client.get("/portal/")  # shows the sign-in message
    reference = client.get("/portal/invoices/INV-2026-99998.pdf")

    response = client.get(f"/portal/invoices/{asked}.pdf")

    assert response.status_code == 404 and b"%PDF" not in response.data
    assert SAME_404 in response.get_data(as_text=True)
    assert main_of(response) == main_of(reference)
    refused = events("portal.invoice_refused")
    assert len(refused) == 2 and refused[-1].actor_id == users["patient"].id
    assert refused[-1].details["number"] == asked[:40]


def test_an_account_without_a_patient_record_downloads_nothing(as_role, peter_case):
    make_issued_invoice(peter_case)
    db.session.commit()
    response = as_role("patient").get("/portal/invoices/INV-2026-00001.pdf")
    assert response.status_code == 404 and SAME_404 in response.get_data(as_text=True)
    assert len(events("portal.invoice_refused")) == 1


@pytest.mark.parametrize("damage", ["tampered", "missing"])
def test_a_damaged_archive_file_gives_a_clear_page_not_the_bytes(as_role, paula_case, damage):
    invoice = make_issued_invoice(paula_case, pdf=b"%PDF-1.7 original\n%%EOF\n")
    db.session.commit()
    path = archive.archive_root() / invoice.pdf_filename
    if damage == "tampered":
        path.write_bytes(b"%PDF-1.7 altered\n%%EOF\n")
    else:
        path.unlink()

    response = as_role("patient").get("/portal/invoices/INV-2026-00001.pdf")

    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.mimetype == "text/html" and "%PDF" not in body
    assert "archived PDF of this document" in body
    assert events("portal.invoice_downloaded") == []


@pytest.mark.parametrize("role", ["admin", "coordinator", "finance"])
def test_staff_cannot_use_the_patients_invoice_pages(as_role, paula_case, role):
    make_issued_invoice(paula_case)
    db.session.commit()
    client = as_role(role)
    assert client.get("/portal/invoices").status_code == 403
    assert client.get("/portal/invoices/INV-2026-00001.pdf").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, paula_case):
    make_issued_invoice(paula_case)
    db.session.commit()
    response = client.get("/portal/invoices/INV-2026-00001.pdf")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
