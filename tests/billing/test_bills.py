"""Hospital bills: received from a CSV (or line by line), audited per line, worked by finance, approved or disputed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice.billing.bills import findings, listing, receiving, review, states
from backoffice.billing.bills.csv_file import HEADER
from backoffice.billing.models import BillLine, HospitalBill
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.cases.models import CaseEvent
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_hospital, make_programme
from tests.helpers import change_settings
from tests.logistics.factories import make_appointment

SAMPLES = Path(__file__).parent / "samples"
TODAY = date.today()


def bill_file(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def stored() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(HospitalBill)),
        db.session.scalar(select(func.count()).select_from(BillLine)),
    )


def lines_of(bill_id: int) -> list[BillLine]:
    return list(db.session.scalars(select(BillLine).where(BillLine.bill_id == bill_id).order_by(BillLine.position)))


def statuses(bill_id: int) -> dict[int, str]:
    return {line.line_no: line.status for line in lines_of(bill_id)}


@pytest.fixture
def hospital():
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    import_tariff(hospital.id, (SAMPLES / "tariffs.csv").read_bytes(), "tariffs.csv", None)
    db.session.commit()
    return hospital


@pytest.fixture
def case(hospital):
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    return case


def receive(case, data: bytes, reference: str = "INV-1", actor=None) -> HospitalBill:
    bill = receiving.receive_bill(case.id, data, "bill.csv", reference, TODAY, actor.id if actor else None)
    db.session.commit()
    return bill


def reviewed(case, data: bytes, actor, reference: str = "INV-1") -> HospitalBill:
    bill = receive(case, data, reference, actor)
    review.start_review(bill.id, actor_id=actor.id)
    db.session.commit()
    return bill


# ---------------------------------------------------------------------------------------------- receiving


def test_the_sample_bill_is_stored_with_the_statuses_the_audit_expects(case, finance):
    expected = json.loads((SAMPLES / "expected.json").read_text())
    bill = receive(case, (SAMPLES / "bill.csv").read_bytes(), actor=finance)

    assert bill.status == "received"
    assert bill.hospital_id == case.hospital_id
    assert bill.tariff_import_id is not None
    got = {line.line_no: line for line in lines_of(bill.id)}
    assert {n: line.status for n, line in got.items()} == {e["line"]: e["status"] for e in expected["lines"]}
    for entry in expected["lines"]:
        if "charged" in entry:
            line = got[entry["line"]]
            assert (line.charged, line.expected) == (Decimal(entry["charged"]), Decimal(entry["expected"]))
            assert line.tariff_item_id is not None

    summary = listing.bill_summary(listing.get_bill(bill.id, with_lines=True))
    for currency, totals in expected["totals"].items():
        for name, value in totals.items():
            assert getattr(summary.totals[currency], name) == Decimal(value), (currency, name)
    assert summary.surcharge_coefficient is None
    assert summary.counts == expected["counts"]


def test_the_raw_text_of_every_line_is_kept_and_unreadable_lines_say_why(case, finance):
    bill = receive(case, (SAMPLES / "bill.csv").read_bytes(), actor=finance)
    bad_price = next(line for line in lines_of(bill.id) if line.line_no == 84)
    assert (bad_price.status, bad_price.raw_unit_price, bad_price.unit_price) == ("invalid", "12,0x", None)
    assert "unit_price" in bad_price.reason
    duplicate = next(line for line in lines_of(bill.id) if line.status == "duplicate")
    assert "Same date, code, quantity, unit price and currency as line" in duplicate.reason


def test_a_bill_for_a_hospital_without_tariff_is_refused_and_nothing_is_stored(finance):
    hospital = make_hospital("FRA-XYZ")
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    with pytest.raises(states.BillError, match="FRA-XYZ has no resident tariff yet; import it first"):
        receiving.receive_bill(
            case.id, bill_file("1,2026-03-01,T00001,x,1,10.00,EUR"), "b.csv", "R1", TODAY, finance.id
        )
    db.session.rollback()
    assert stored() == (0, 0)


def test_a_case_without_hospital_cannot_receive_a_bill(finance):
    case = make_case(state="in_treatment")
    db.session.commit()
    with pytest.raises(states.BillError, match="has no hospital yet"):
        receiving.receive_bill(
            case.id, bill_file("1,2026-03-01,T00001,x,1,10.00,EUR"), "b.csv", "R1", TODAY, finance.id
        )


def test_a_file_that_cannot_be_read_is_refused_whole(case, finance):
    with pytest.raises(
        states.BillError,
        match=r"Nothing was stored from “bill\.csv”: row 1: the columns description, quantity, unit_price, currency "
        r"are missing; the header must be line,date,code,description,quantity,unit_price,currency "
        r"\(this file is separated by semicolons\)",
    ):
        receiving.receive_bill(case.id, b"line;date;code\n1;2;3", "bill.csv", "R1", TODAY, finance.id)
    db.session.rollback()
    assert stored() == (0, 0)
    assert states.BillError("x").status_code == 422


def test_the_same_invoice_number_of_a_hospital_is_not_received_twice(case, finance):
    receive(case, bill_file("1,2026-03-01,T00053,x,1,8467.34,EUR"), "INV-7", finance)
    with pytest.raises(states.BillError, match="already been received"):
        receive(case, bill_file("1,2026-03-01,T00053,x,1,8467.34,EUR"), "INV-7", finance)


def test_a_future_received_date_is_refused(case, finance):
    with pytest.raises(states.BillError, match="future"):
        receiving.receive_bill(case.id, None, "", "R1", TODAY + timedelta(days=1), finance.id)


# ---------------------------------------------------------------------------------------------- stay and programme


def test_lines_outside_the_stay_beyond_the_margin_are_flagged_with_their_price_comparison(app, case, finance):
    make_appointment(case, admission_on=date(2026, 3, 10), days=10)  # stay 2026-03-10 .. 2026-03-20
    db.session.commit()
    data = bill_file(
        "1,2026-02-23,T00053,before margin,1,8467.34,EUR",  # 15 days before admission
        "2,2026-02-24,T00053,within margin,1,8467.34,EUR",  # 14 days before
        "3,2026-04-03,T00053,within margin after,1,8467.34,EUR",  # 14 days after discharge
        "4,2026-04-04,T00053,after margin,1,9000.00,EUR",
    )
    bill = receive(case, data, actor=finance)
    assert statuses(bill.id) == {1: "outside_stay", 2: "ok", 3: "ok", 4: "outside_stay"}
    late = lines_of(bill.id)[3]
    assert (late.charged, late.expected) == (Decimal("9000.00"), Decimal("8467.34"))
    assert "outside the stay 2026-03-10 to 2026-03-20 (± 14 days)" in late.reason


def test_the_stay_margin_comes_from_the_configuration(app, case, finance, monkeypatch):
    make_appointment(case, admission_on=date(2026, 3, 10), days=10)
    db.session.commit()
    change_settings(monkeypatch, app, bill_stay_margin_days=0)
    bill = receive(case, bill_file("1,2026-03-09,T00053,x,1,8467.34,EUR", "2,2026-03-10,T00053,x,1,8467.34,EUR"))
    assert statuses(bill.id) == {1: "outside_stay", 2: "ok"}


def test_without_a_confirmed_appointment_the_stay_is_not_checked(case, finance):
    make_appointment(case, admission_on=date(2026, 3, 10), days=10, status="requested")
    db.session.commit()
    bill = receive(case, bill_file("1,2025-01-09,T00053,x,1,8467.34,EUR"))
    assert statuses(bill.id) == {1: "ok"}


def test_codes_outside_the_programme_are_flagged_when_the_programme_lists_its_codes(hospital, finance):
    programme = make_programme(hospital)
    programme.tariff_codes = "T00053, T00056\nT00067"
    case = make_case(state="in_treatment", hospital_id=hospital.id, programme_id=programme.id)
    db.session.commit()
    data = bill_file("1,2026-03-01,T00053,in,1,8467.34,EUR", "2,2026-03-01,T00069,out,1,9000.00,EUR")
    bill = receive(case, data)
    assert statuses(bill.id) == {1: "ok", 2: "not_in_programme"}
    out = lines_of(bill.id)[1]
    assert (out.charged, out.expected) == (Decimal("9000.00"), Decimal("8396.86"))


def test_a_programme_without_codes_skips_the_programme_check(hospital, finance):
    programme = make_programme(hospital)
    programme.tariff_codes = "  \n"
    case = make_case(state="in_treatment", hospital_id=hospital.id, programme_id=programme.id)
    db.session.commit()
    bill = receive(case, bill_file("1,2026-03-01,T00069,x,1,8396.86,EUR"))
    assert statuses(bill.id) == {1: "ok"}


def test_programme_codes_are_separated_by_commas_spaces_or_new_lines():
    assert findings.programme_codes("A1, B2\nC3  D4;E5") == {"A1", "B2", "C3", "D4", "E5"}
    assert findings.programme_codes("") is None


# ---------------------------------------------------------------------------------------------- line by line


def test_lines_entered_one_by_one_are_audited_with_the_whole_bill(case, finance):
    bill = receive(case, None, actor=finance)
    assert (bill.source_filename, stored()) == ("", (1, 0))
    for _ in range(2):
        receiving.add_line(
            bill.id,
            service_date="2026-03-01",
            code="T00053",
            description="cryopreservation",
            quantity="1",
            unit_price="8467.34",
            currency="eur",
            actor_id=finance.id,
        )
        db.session.commit()
    assert statuses(bill.id) == {1: "ok", 2: "duplicate"}
    receiving.add_line(
        bill.id,
        service_date="1.3.2026",
        code="T00053",
        description="",
        quantity="1",
        unit_price="1",
        currency="EUR",
        actor_id=finance.id,
    )
    db.session.commit()
    assert statuses(bill.id)[3] == "invalid"


def test_lines_cannot_be_added_once_the_bill_is_decided(case, finance):
    bill = reviewed(case, bill_file("1,2026-03-01,T00053,x,1,8467.34,EUR"), finance)
    review.approve_bill(bill.id, actor_id=finance.id)
    db.session.commit()
    with pytest.raises(states.BillError, match="approved: its lines cannot change"):
        receiving.add_line(
            bill.id,
            service_date="2026-03-01",
            code="T00053",
            description="",
            quantity="1",
            unit_price="1",
            currency="EUR",
            actor_id=finance.id,
        )


# ---------------------------------------------------------------------------------------------- decisions


OVERCHARGED_AND_OK = bill_file("1,2026-03-01,T00053,x,1,9000.00,EUR", "2,2026-03-01,T00056,y,1,7276.61,EUR")


def test_lines_are_decided_only_while_the_bill_is_under_review(case, finance):
    bill = receive(case, OVERCHARGED_AND_OK, actor=finance)
    line = lines_of(bill.id)[0]
    with pytest.raises(states.BillError, match="under review"):
        review.decide_line(line.id, "accepted", "", actor_id=finance.id)


def test_a_dispute_needs_a_reason(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    line = lines_of(bill.id)[0]
    with pytest.raises(states.BillError, match="Say why line 1 is disputed"):
        review.decide_line(line.id, "disputed", "  ", actor_id=finance.id)


def test_a_decision_can_be_changed_and_each_one_is_on_the_timeline(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    line = lines_of(bill.id)[0]
    review.decide_line(line.id, "disputed", "Resident price is 8467.34", actor_id=finance.id)
    db.session.commit()
    review.decide_line(line.id, "accepted", "", actor_id=finance.id)
    db.session.commit()
    line = lines_of(bill.id)[0]
    assert (line.decision, line.decided_by_id) == ("accepted", finance.id)
    notes = list(db.session.scalars(select(CaseEvent.note).where(CaseEvent.kind == "bill").order_by(CaseEvent.id)))
    assert notes[-2] == "Bill INV-1: line 1 (T00053, overcharged) disputed: Resident price is 8467.34"
    assert notes[-1] == "Bill INV-1: line 1 (T00053, overcharged) accepted (was disputed)"
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case_bill")).all()
    assert len(audited) == len(notes)
    assert audited[-1].details["previous_decision"] == "disputed"


def test_a_line_of_another_bill_is_not_found(case, finance):
    first = reviewed(case, OVERCHARGED_AND_OK, finance)
    second = reviewed(case, OVERCHARGED_AND_OK, finance, reference="INV-2")
    with pytest.raises(NotFound):
        review.decide_line(lines_of(first.id)[0].id, "accepted", "", actor_id=finance.id, bill_id=second.id)


# ---------------------------------------------------------------------------------------------- approval


def test_approval_is_refused_while_findings_are_undecided(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    with pytest.raises(states.BillError, match=r"undecided findings \(1 overcharged\)"):
        review.approve_bill(bill.id, actor_id=finance.id)


def test_an_override_needs_a_note_of_ten_characters(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    with pytest.raises(states.BillError, match="at least 10 characters"):
        review.approve_bill(bill.id, actor_id=finance.id, override_note="agreed")
    review.approve_bill(bill.id, actor_id=finance.id, override_note="Agreed by phone with the hospital")
    db.session.commit()
    bill = listing.get_bill(bill.id)
    assert (bill.status, bill.override_note, bill.decided_by_id) == (
        "approved",
        "Agreed by phone with the hospital",
        finance.id,
    )
    note = db.session.scalars(select(CaseEvent.note).order_by(CaseEvent.id.desc())).first()
    assert note == "Bill INV-1: approved despite 1 undecided finding (Agreed by phone with the hospital)"


def test_a_bill_whose_findings_are_accepted_is_approved_without_override(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    review.decide_line(lines_of(bill.id)[0].id, "accepted", "", actor_id=finance.id)
    review.approve_bill(bill.id, actor_id=finance.id)
    db.session.commit()
    assert (listing.get_bill(bill.id).status, listing.get_bill(bill.id).override_note) == ("approved", "")


def test_below_tariff_lines_do_not_block_approval_but_unreadable_ones_do(case, finance):
    # Issue 14: an unreadable line has no price comparison, so finance decides it like any other such line.
    data = bill_file("1,2026-03-01,T00053,x,1,8000.00,EUR", "2,2026-13-01,T00053,x,1,1.00,EUR")
    bill = reviewed(case, data, finance)
    with pytest.raises(states.BillError, match=r"undecided findings \(1 unreadable\)"):
        review.approve_bill(bill.id, actor_id=finance.id)
    review.decide_line(lines_of(bill.id)[1].id, "accepted", "Restated by phone: same as line 1", actor_id=finance.id)
    review.approve_bill(bill.id, actor_id=finance.id)
    db.session.commit()
    assert listing.get_bill(bill.id).status == "approved"


def test_a_bill_with_disputed_lines_is_disputed_not_approved(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    review.decide_line(lines_of(bill.id)[0].id, "disputed", "Above the resident price", actor_id=finance.id)
    db.session.commit()
    with pytest.raises(states.BillError, match="1 disputed line: dispute the bill instead"):
        review.approve_bill(bill.id, actor_id=finance.id, override_note="Approve it anyway please")


def test_a_bill_is_disputed_only_with_a_disputed_line(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    with pytest.raises(states.BillError, match="no disputed line"):
        review.dispute_bill(bill.id, actor_id=finance.id)


# ---------------------------------------------------------------------------------------------- the whole chain


def test_dispute_correction_approval_and_payment(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    review.decide_line(lines_of(bill.id)[0].id, "disputed", "Above the resident price", actor_id=finance.id)
    review.dispute_bill(bill.id, actor_id=finance.id, note="Please correct line 1")
    db.session.commit()
    assert listing.get_bill(bill.id).status == "disputed"
    with pytest.raises(states.BillError, match="only an approved bill is paid"):
        review.mark_paid(bill.id, TODAY, actor_id=finance.id)

    corrected = bill_file("1,2026-03-01,T00053,x,1,8467.34,EUR", "2,2026-03-01,T00056,y,1,7276.61,EUR")
    correction = receiving.receive_correction(bill.id, corrected, "fixed.csv", "INV-1-C", TODAY, finance.id)
    db.session.commit()
    assert (correction.status, correction.supersedes_id) == ("under_review", bill.id)
    assert statuses(correction.id) == {1: "ok", 2: "ok"}
    old = listing.get_bill(bill.id)
    assert old.status == "disputed"
    assert listing.corrections_of(old) == (None, correction)
    with pytest.raises(states.BillError, match="already been corrected by bill INV-1-C"):
        receiving.receive_correction(bill.id, corrected, "again.csv", "INV-1-D", TODAY, finance.id)
    db.session.rollback()
    with pytest.raises(states.BillError, match="disputed"):
        review.decide_line(lines_of(bill.id)[0].id, "accepted", "", actor_id=finance.id)

    review.approve_bill(correction.id, actor_id=finance.id)
    db.session.commit()
    with pytest.raises(states.BillError, match="before the bill was received"):
        review.mark_paid(correction.id, TODAY - timedelta(days=1), actor_id=finance.id)
    review.mark_paid(correction.id, TODAY, actor_id=finance.id)
    db.session.commit()
    paid = listing.get_bill(correction.id)
    assert (paid.status, paid.paid_on) == ("paid", TODAY)
    listed = {entry.bill.reference: entry.corrected_by for entry in listing.bills_of_case(case.id)}
    assert listed == {"INV-1": "INV-1-C", "INV-1-C": None}

    notes = list(db.session.scalars(select(CaseEvent.note).where(CaseEvent.kind == "bill").order_by(CaseEvent.id)))
    assert notes[-5:] == [
        "Bill INV-1: line 1 (T00053, overcharged) disputed: Above the resident price",
        "Bill INV-1: disputed (1 line): Please correct line 1",
        "Bill INV-1-C: corrected bill received for INV-1 from fixed.csv, 2 ok",
        "Bill INV-1-C: approved",
        f"Bill INV-1-C: paid on {TODAY.isoformat()}",
    ]


def test_a_correction_is_received_only_for_a_disputed_bill(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    with pytest.raises(states.BillError, match="only a disputed bill is corrected"):
        receiving.receive_correction(bill.id, OVERCHARGED_AND_OK, "c.csv", "INV-2", TODAY, finance.id)


# ---------------------------------------------------------------------------------------------- concurrency


def test_a_change_based_on_an_older_version_is_refused_with_409(case, finance):
    bill = reviewed(case, OVERCHARGED_AND_OK, finance)
    seen = bill.version
    review.decide_line(lines_of(bill.id)[0].id, "accepted", "", actor_id=finance.id, expected_version=seen)
    db.session.commit()
    assert listing.get_bill(bill.id).version == seen + 1
    with pytest.raises(states.BillChanged) as refused:
        review.approve_bill(bill.id, actor_id=finance.id, expected_version=seen)
    assert refused.value.status_code == 409
    assert "changed by someone else" in refused.value.message


# ---------------------------------------------------------------------------------------------- lists and volume


def test_the_case_and_the_bill_list_show_totals_without_loading_lines(case, finance, count_queries):
    receive(case, (SAMPLES / "bill.csv").read_bytes(), actor=finance)
    receive(case, OVERCHARGED_AND_OK, reference="INV-2", actor=finance)
    case_id, hospital_id = case.id, case.hospital_id
    db.session.expire_all()
    with count_queries() as statements:
        overviews = listing.bills_of_case(case_id)
    assert len(statements) == 4  # bills, totals, case numbers, corrections
    by_reference = {o.bill.reference: o for o in overviews}
    assert by_reference["INV-1"].totals["EUR"].overcharge == Decimal("49071.55")
    assert by_reference["INV-1"].totals["USD"].unpriced == Decimal("54298.50")
    assert by_reference["INV-2"].totals["EUR"].charged == Decimal("16276.61")

    db.session.expire_all()
    with count_queries() as few:
        page = listing.list_bills(needs_review=True)
    assert page.total == 2
    for n in range(3, 12):
        receive(case, OVERCHARGED_AND_OK, reference=f"INV-{n}", actor=finance)
    db.session.expire_all()
    with count_queries() as many:
        page = listing.list_bills(status="received", hospital_id=hospital_id)
    assert page.total == 11
    assert len(many) == len(few) == 5


def test_a_2000_line_bill_is_stored_in_a_bounded_number_of_statements(case, finance, count_queries):
    rows = [f"{n},2026-03-{1 + n % 28:02d},T{n % 300:05d},item,{1 + n % 5},{100 + n}.00,EUR" for n in range(1, 2001)]
    data = bill_file(*rows)
    case_id = case.id
    db.session.expire_all()
    with count_queries() as statements:
        bill = receiving.receive_bill(case_id, data, "big.csv", "BIG-1", TODAY, finance.id)
        db.session.flush()
    db.session.commit()
    assert len(lines_of(bill.id)) == 2000
    # 15 for the bill and its lines, 2 for its original file's record in the store (is the key known; the row)
    assert len(statements) <= 17, [s[:60] for s in statements[:40]]


def test_a_bill_is_received_only_once_the_programme_is_confirmed(finance):
    hospital = make_hospital()
    early = make_case(state="records_review", hospital_id=hospital.id)
    db.session.commit()
    with pytest.raises(states.BillError, match="once the patient has confirmed the programme"):
        receiving.receive_bill(early.id, None, "", "INV-EARLY", TODAY, finance.id)


def test_a_nul_byte_in_a_bill_file_is_refused_and_nothing_is_stored(case, finance):
    data = b"line,date,code,description,quantity,unit_price,currency\n1,2026-03-01,T00053,cryo\x00x,1,9000.00,EUR\n"
    with pytest.raises(states.BillError, match="NUL character"):
        receiving.receive_bill(case.id, data, "nul.csv", "INV-NUL", TODAY, finance.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HospitalBill)) == 0


def test_two_uploads_of_one_bill_at_once_store_it_once(case, finance, monkeypatch):
    """The reference check and the insert are not atomic; the unique index is what stops the second upload."""
    receiving.receive_bill(case.id, None, "", "INV-TWICE", TODAY, finance.id)
    db.session.commit()
    monkeypatch.setattr(receiving, "_check_reference", lambda reference, hospital_id, allowed=None: reference)
    with pytest.raises(states.BillError, match="received a moment ago"):
        receiving.receive_bill(case.id, None, "", "INV-TWICE", TODAY, finance.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HospitalBill)) == 1
