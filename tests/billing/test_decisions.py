"""Finance's decisions on bill lines: every line without a price comparison is decided before approval, and only
accepted lines reach the patient's invoice or are called accepted in the dispute letter."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import select

from backoffice.billing.bills import listing, receiving, review, states
from backoffice.billing.bills.csv_file import HEADER
from backoffice.billing.disputes.letters import dispute_letter, dispute_letter_pdf
from backoffice.billing.models import BillLine
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.extensions import db
from backoffice.invoicing import sources
from tests.factories import make_case, make_hospital

SAMPLES = Path(__file__).parent / "samples"
TODAY = date.today()
PRICED_OK = "1,2026-03-01,T00056,Cryopreservation,1,7276.61,EUR"
UNPRICED = {
    "currency_mismatch": "2,2026-03-01,T00053,Lab in dollars,1,9999.00,USD",
    "unknown_code": "2,2026-03-01,X00002,Not in the tariff,2,164.17,EUR",
    "no_valid_tariff": "2,2026-03-01,T00000,Expired price,1,1596.76,EUR",
    "duplicate": PRICED_OK.replace("1,", "2,", 1),
    "invalid": "2,2026-13-45,T00056,Bad date,1,100.00,EUR",
}


def pdf_text(pdf: bytes) -> str:
    """The PDF's words separated by single spaces (lines wrap where the layout wants)."""
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def case():
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    import_tariff(hospital.id, (SAMPLES / "tariffs.csv").read_bytes(), "tariffs.csv", None)
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    return case


def reviewed(case, finance, *rows: str, reference: str = "INV-1"):
    data = "\n".join([HEADER, *rows]).encode()
    bill = receiving.receive_bill(case.id, data, "bill.csv", reference, TODAY, finance.id)
    review.start_review(bill.id, actor_id=finance.id)
    db.session.commit()
    return bill


def line(bill_id: int, line_no: int) -> BillLine:
    return db.session.scalar(select(BillLine).where(BillLine.bill_id == bill_id, BillLine.line_no == line_no))


@pytest.mark.parametrize("status", sorted(UNPRICED))
def test_unpriced_line_needs_a_decision_before_approval(case, finance, status):
    bill = reviewed(case, finance, PRICED_OK, UNPRICED[status])
    assert line(bill.id, 2).status == status
    label = states.LINE_STATUS_LABELS[status].lower()

    with pytest.raises(states.BillError, match=rf"undecided findings \(1 {label}\)"):
        review.approve_bill(bill.id, actor_id=finance.id)
    db.session.rollback()
    with pytest.raises(states.BillError, match="Say why line 2 is accepted"):
        review.decide_line(line(bill.id, 2).id, "accepted", "", actor_id=finance.id)
    db.session.rollback()

    review.decide_line(line(bill.id, 2).id, "accepted", "Agreed with the hospital by phone", actor_id=finance.id)
    review.approve_bill(bill.id, actor_id=finance.id)
    db.session.commit()
    assert listing.get_bill(bill.id).status == "approved"


def test_the_bill_page_counts_an_unpriced_line_as_undecided(case, finance, as_role):
    bill = reviewed(case, finance, PRICED_OK, UNPRICED["currency_mismatch"])
    client = as_role("finance")
    page = client.get(f"/billing/bills/{bill.id}").get_data(as_text=True)
    assert "Undecided findings: 1 currency mismatch." in page
    assert "Approve with override" in page
    refused = client.post(f"/billing/bills/{bill.id}/approve", data={"version": bill.version, "override_note": ""})
    assert refused.status_code == 422
    assert "still has undecided findings (1 currency mismatch)" in refused.get_data(as_text=True)
    assert listing.get_bill(bill.id).status == "under_review"


def test_an_invoice_never_charges_a_line_finance_did_not_accept(case, finance):
    bill = reviewed(
        case,
        finance,
        PRICED_OK,
        UNPRICED["currency_mismatch"],
        "3,2026-03-01,X00002,Accepted extra,1,50.00,EUR",
        "4,2026-03-02,T00053,Overcharged and overridden,1,9000.00,EUR",
    )
    review.decide_line(line(bill.id, 3).id, "accepted", "Consumable agreed in the offer", actor_id=finance.id)
    review.approve_bill(bill.id, actor_id=finance.id, override_note="Paid to keep the hospital's goodwill")
    db.session.commit()

    drafts = sources.treatment_lines(listing.get_bill(bill.id))
    # The USD 9,999.00 nobody accepted and the overcharged line approved past by the override stay off the invoice.
    assert [(draft.description, draft.unit_price, draft.currency) for draft in drafts] == [
        ("T00056 Cryopreservation", line(bill.id, 1).unit_price, "EUR"),
        ("X00002 Accepted extra", line(bill.id, 3).unit_price, "EUR"),
    ]


def test_the_dispute_letter_does_not_call_undecided_lines_accepted(app, case, finance):
    bill = reviewed(
        case, finance, PRICED_OK, UNPRICED["currency_mismatch"], UNPRICED["unknown_code"].replace("2,", "3,", 1)
    )
    review.decide_line(line(bill.id, 3).id, "disputed", "Not agreed", actor_id=finance.id)
    db.session.commit()

    letter = dispute_letter(bill.id)
    assert letter.undecided == [2]
    with app.test_request_context():
        text = pdf_text(dispute_letter_pdf(letter))
    assert "We are still reviewing line 2: this letter neither accepts nor disputes it" in text
    assert "The other lines not listed above are accepted" in text

    review.decide_line(line(bill.id, 2).id, "accepted", "Paid in dollars as agreed", actor_id=finance.id)
    db.session.commit()
    with app.test_request_context():
        text = pdf_text(dispute_letter_pdf(dispute_letter(bill.id)))
    assert "still reviewing" not in text
    assert "The lines not listed above are accepted and need no change." in text
