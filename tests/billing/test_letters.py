"""The dispute letter: the disputed lines of a bill with the resident tariff as evidence, as data and as a PDF."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.billing.disputes.letters import dispute_letter, dispute_letter_pdf
from backoffice.billing.models import BillLine, HospitalBill, TariffImport, TariffItem
from backoffice.config import settings
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_hospital, make_patient


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())  # lines wrap where the layout wants: compare words


def make_item(hospital, code, price, *, currency="EUR", valid_from=date(2026, 1, 1), valid_to=None, description=""):
    tariff_import = TariffImport(hospital_id=hospital.id, filename="tariff.csv", sha256="0" * 64, item_count=1)
    db.session.add(tariff_import)
    db.session.flush()
    item = TariffItem(
        import_id=tariff_import.id,
        hospital_id=hospital.id,
        code=code,
        description=description or f"item {code}",
        resident_price=Decimal(price),
        currency=currency,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    db.session.add(item)
    db.session.flush()
    return item


def make_line(bill, position, status, *, charged=None, expected=None, currency="EUR", decision=None, **fields):
    line = BillLine(
        bill_id=bill.id,
        position=position,
        line_no=fields.pop("line_no", position),
        status=status,
        charged=None if charged is None else Decimal(charged),
        expected=None if expected is None else Decimal(expected),
        currency=currency,
        decision=decision,
        **fields,
    )
    db.session.add(line)
    db.session.flush()
    return line


@dataclass
class DisputedBill:
    bill: HospitalBill
    case: object
    hospital: object


def make_disputed_bill(*, reference="INV-2026-0815") -> DisputedBill:
    """A bill with an overcharged line, an accepted line, a duplicate, a line in another currency and an unreadable
    line; all but the accepted one disputed."""
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    hospital.address, hospital.contact_name = "Zeppelinstraße 20, 61352 Bad Homburg", "Billing office"
    patient = make_patient(name="Amal Haddad")
    case = make_case(patient=patient, state="in_treatment", hospital_id=hospital.id)
    mri = make_item(
        hospital, "MRI-204", "12.3456", valid_from=date(2026, 2, 1), valid_to=date(2026, 12, 31), description="MRI"
    )
    room = make_item(hospital, "ROOM-1", "250.0000", description="Single room, per day")
    bill = HospitalBill(
        case_id=case.id, hospital_id=hospital.id, reference=reference, received_on=date(2026, 3, 14), status="disputed"
    )
    db.session.add(bill)
    db.session.flush()
    make_line(
        bill, 1, "overcharged", charged="150.00", expected="123.46", tariff_item_id=mri.id, code="MRI-204",
        description="MRI head", service_on=date(2026, 3, 2), quantity=Decimal("10"), unit_price=Decimal("15.00"),
        reason="21.5 % above the resident price", decision="disputed", decision_reason="Charge the resident price.",
    )  # fmt: skip
    make_line(
        bill, 2, "ok", charged="500.00", expected="500.00", tariff_item_id=room.id, code="ROOM-1",
        service_on=date(2026, 3, 2), quantity=Decimal("2"), unit_price=Decimal("250"), decision="accepted",
    )  # fmt: skip
    make_line(
        bill, 3, "duplicate", charged="80.00", code="LAB-7", description="Blood count", service_on=date(2026, 3, 3),
        quantity=Decimal("1"), unit_price=Decimal("80"), decision="disputed", decision_reason="Billed twice.",
    )  # fmt: skip
    make_line(
        bill, 4, "currency_mismatch", charged="49.99", currency="USD", code="PHARM-3", service_on=date(2026, 3, 4),
        quantity=Decimal("1"), unit_price=Decimal("49.99"), decision="disputed",
    )  # fmt: skip
    make_line(
        bill, 5, "invalid", currency=None, code="X", raw_date="32.03.2026", raw_quantity="two",
        reason="date '32.03.2026' is not a date", decision="disputed",
    )  # fmt: skip
    return DisputedBill(bill, case, hospital)


# ---------------------------------------------------------------------------------------------- the data


def test_the_letter_lists_each_disputed_line_with_its_tariff_evidence(app):
    disputed = make_disputed_bill()
    letter = dispute_letter(disputed.bill.id, signatory="Frida Finance")
    assert letter.subject == f"Correction requested: bill INV-2026-0815 (case {disputed.case.number})"
    assert letter.patient_name == "Amal Haddad" and letter.case_number == disputed.case.number
    assert letter.hospital.name == "Asklepios Bad Homburg" and letter.hospital.contact_name == "Billing office"
    assert letter.received_on == date(2026, 3, 14) and letter.operator.name == settings(app).operator_name
    assert [line.line_no for line in letter.lines] == [1, 3, 4, 5]  # the accepted line is not in the letter

    overcharged = letter.lines[0]
    assert (overcharged.charged, overcharged.expected, overcharged.difference) == (
        Decimal("150.00"),
        Decimal("123.46"),
        Decimal("26.54"),
    )
    assert overcharged.to_correct == Decimal("26.54") and overcharged.reason == "Charge the resident price."
    evidence = overcharged.evidence
    assert (evidence.code, evidence.valid_from, evidence.valid_to) == ("MRI-204", date(2026, 2, 1), date(2026, 12, 31))
    assert evidence.resident_price == Decimal("12.3456") and evidence.currency == "EUR"

    duplicate, other_currency, unreadable = letter.lines[1:]
    assert duplicate.to_correct == Decimal("80.00") and duplicate.evidence is None  # the whole line is contested
    assert other_currency.to_correct == Decimal("49.99") and other_currency.currency == "USD"
    assert unreadable.to_correct is None and letter.unpriced_lines == 1


def test_the_amount_to_correct_is_totalled_per_currency_never_across(app):
    letter = dispute_letter(make_disputed_bill().bill.id)
    assert letter.totals == {"EUR": Decimal("106.54"), "USD": Decimal("49.99")}


def test_a_bill_without_a_disputed_line_gets_no_letter(app):
    disputed = make_disputed_bill()
    for line in db.session.scalars(select(BillLine).where(BillLine.bill_id == disputed.bill.id)):
        line.decision = "accepted"
    db.session.flush()
    with pytest.raises(DomainError, match="no disputed line") as refused:
        dispute_letter(disputed.bill.id)
    assert refused.value.status_code == 422


def test_an_unknown_bill_is_not_found(app):
    with pytest.raises(NotFound):
        dispute_letter(999_999)


def test_the_letter_takes_a_fixed_number_of_statements(app, count_queries):
    bill_id = make_disputed_bill().bill.id
    db.session.commit()
    db.session.expire_all()
    with count_queries() as statements:
        dispute_letter(bill_id)
    assert (
        len(statements) == 5
    )  # the bill and hospital, its lines, its findings, the case and patient, the tariff items


# ---------------------------------------------------------------------------------------------- the PDF


def test_the_pdf_shows_the_subject_the_evidence_and_the_totals(app):
    disputed = make_disputed_bill()
    with app.test_request_context():
        pdf = dispute_letter_pdf(dispute_letter(disputed.bill.id, signatory="Frida Finance"))
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert f"Correction requested: bill INV-2026-0815 (case {disputed.case.number})" in text
    assert "Asklepios Bad Homburg" in text and "Amal Haddad" in text and "Zeppelinstraße 20" in text
    assert "MRI-204" in text and "valid from 01 Feb 2026 to 31 Dec 2026" in text
    assert "EUR 12.3456 per unit" in text  # the resident price with all its decimals
    assert "Difference EUR 26.54" in text
    assert "Total to correct in EUR EUR 106.54" in text and "Total to correct in USD USD 49.99" in text
    assert "Charge the resident price." in text and "to be restated" in text
    assert "ROOM-1" not in text  # accepted lines are not disputed
    assert "Frida Finance" in text and settings(app).operator_name in text


def test_finance_downloads_the_letter_and_the_download_is_audited(users, as_role):
    disputed = make_disputed_bill(reference="INV/2026 0815")
    db.session.commit()
    response = as_role("finance").get(f"/billing/bills/{disputed.bill.id}/dispute-letter.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert 'filename="dispute-INV-2026-0815.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "INV/2026 0815" in text and "MRI-204" in text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bill_dispute_letter_downloaded"))
    assert event.actor_id == users["finance"].id and event.object_type == "hospital_bill"
    assert event.object_id == str(disputed.bill.id)
    assert event.details["to_correct"] == {"EUR": "106.54", "USD": "49.99"}


def test_admin_downloads_the_letter(as_role):
    disputed = make_disputed_bill()
    db.session.commit()
    response = as_role("admin").get(f"/billing/bills/{disputed.bill.id}/dispute-letter.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert 'filename="dispute-INV-2026-0815.pdf"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("role", ["coordinator", "patient"])
def test_coordinators_and_patients_do_not_get_the_letter(as_role, role):
    disputed = make_disputed_bill()
    db.session.commit()
    assert as_role(role).get(f"/billing/bills/{disputed.bill.id}/dispute-letter.pdf").status_code == 403


def test_the_letter_of_a_bill_without_disputed_lines_is_refused_and_nothing_is_audited(as_role):
    disputed = make_disputed_bill()
    for line in db.session.scalars(select(BillLine).where(BillLine.bill_id == disputed.bill.id)):
        line.decision = None
    db.session.commit()
    response = as_role("finance").get(f"/billing/bills/{disputed.bill.id}/dispute-letter.pdf")
    assert response.status_code == 422 and "no disputed line" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("bill_%"))) == 0


def test_the_letter_of_an_unknown_bill_is_a_404(as_role):
    assert as_role("finance").get("/billing/bills/999999/dispute-letter.pdf").status_code == 404


def test_a_bill_reference_in_any_script_names_the_letter_download(as_role):
    """The reference is the hospital's: Cyrillic, Arabic or a quote must not break the download's header."""
    disputed = make_disputed_bill(reference='СЧЁТ-2026-77 "ф"')
    db.session.commit()
    response = as_role("finance").get(f"/billing/bills/{disputed.bill.id}/dispute-letter.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    header = response.headers["Content-Disposition"]
    header.encode("latin-1")  # what a WSGI server must be able to write (PEP 3333)
    assert header.startswith('attachment; filename="dispute-') and header.endswith(".pdf")
    assert "filename*=UTF-8''dispute-%D0%A1%D0%A7%D0%81%D0%A2-2026-77" in header
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
