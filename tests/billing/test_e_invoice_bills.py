"""Hospital bills as e-invoices: UBL, CII and a ZUGFeRD PDF give exactly the sample's expected audit through
`flask bills audit --json`, and the app's upload the same findings as the CSV; what the e-invoice states of itself is
checked against the hospital and its own lines; what is hostile or broken is refused with exit 2 or a 4xx, and nothing
is stored; the original file downloads byte for byte."""

from __future__ import annotations

import html
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.billing.bills import receiving
from backoffice.billing.bills.states import BillError
from backoffice.billing.models import BillLine, HospitalBill
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.directory.models import Hospital
from backoffice.extensions import db
from backoffice.storage.archive import archive_root
from tests.billing.einvoice_files import HOSPITAL_VAT_ID, SAMPLES, CiiLine, cii_bill, hostile_files
from tests.billing.test_cli_audit import runner  # noqa: F401 - the runner fixture
from tests.factories import make_case, make_hospital

E_INVOICES = ("bill-ubl.xml", "bill-cii.xml", "bill-zugferd.pdf")
TODAY = date.today()


@pytest.fixture
def clinic():
    hospital = make_hospital("FRA-SCF", name="Sample Clinic Frankfurt")
    hospital.vat_id = HOSPITAL_VAT_ID
    import_tariff(hospital.id, (SAMPLES / "tariffs.csv").read_bytes(), "tariffs.csv", None)
    db.session.commit()
    return hospital


def audit(runner, path, *, code: str = "FRA-SCF"):  # noqa: F811 - the runner fixture
    return runner.invoke(args=["bills", "audit", code, str(path), "--json"])


def report_of(runner, path) -> dict:  # noqa: F811
    result = audit(runner, path)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refusal_of(runner, path, *, code: str = "FRA-SCF") -> str:  # noqa: F811
    result = audit(runner, path, code=code)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    return result.stderr.strip()


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------- the samples


@pytest.mark.parametrize("name", E_INVOICES)
def test_each_e_invoice_form_of_the_sample_gives_exactly_the_expected_audit(runner, clinic, name):  # noqa: F811
    expected = json.loads((SAMPLES / "e-invoice-expected.json").read_text())
    report = report_of(runner, SAMPLES / name)
    assert list(report) == ["hospital", "lines", "totals", "surcharge_coefficient"]
    pairs = zip(report["lines"], expected["lines"], strict=True)
    assert [{key: line.get(key) for key in want} for line, want in pairs] == expected["lines"]
    for line in report["lines"]:
        if "charged" in line:
            assert Decimal(line["difference"]) == Decimal(line["charged"]) - Decimal(line["expected"])
    assert report["totals"] == expected["totals"]
    assert report["surcharge_coefficient"] is expected["surcharge_coefficient"] is None
    counts: dict[str, int] = {}
    for line in report["lines"]:
        counts[line["status"]] = counts.get(line["status"], 0) + 1
    assert counts == expected["counts"]


def test_the_three_forms_give_the_same_report(runner, clinic):  # noqa: F811
    reports = [report_of(runner, SAMPLES / name) for name in E_INVOICES]
    assert reports[0] == reports[1] == reports[2]


# ---------------------------------------------------------------------------------------------- what it states


def test_a_seller_vat_id_other_than_the_hospitals_is_refused(runner, clinic, tmp_path):  # noqa: F811
    data = (SAMPLES / "bill-ubl.xml").read_bytes().replace(b"DE811234567", b"DE999999999")
    path = write(tmp_path, "bill.xml", data)
    assert refusal_of(runner, path) == (
        f"Error: {path}: the e-invoice's seller Sample Clinic Frankfurt has the VAT ID DE999999999, but FRA-SCF has "
        "DE811234567 on record: it is not this hospital's bill"
    )


def test_an_e_invoice_for_a_hospital_without_a_vat_id_on_record_is_refused(runner, clinic):  # noqa: F811
    clinic.vat_id = ""
    db.session.commit()
    assert "no VAT ID is on record for FRA-SCF" in refusal_of(runner, SAMPLES / "bill-cii.xml")


def test_a_vat_id_written_with_spaces_or_in_small_letters_is_the_same(runner, clinic):  # noqa: F811
    clinic.vat_id = "de 811 234 567"
    db.session.commit()
    assert report_of(runner, SAMPLES / "bill-cii.xml")["totals"]


def test_a_stated_line_total_other_than_the_sum_of_the_lines_is_refused(runner, clinic, tmp_path):  # noqa: F811
    data = (SAMPLES / "bill-cii.xml").read_bytes()
    header = b"<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>661710.20"
    assert header in data
    path = write(tmp_path, "bill.xml", data.replace(header, header[:-9] + b"661300.00"))
    assert refusal_of(runner, path) == (
        f"Error: {path}: the e-invoice states a sum of line net amounts (BT-106) of 661300.00 EUR, but its lines add "
        "up to 661710.20 EUR"
    )


def test_a_line_net_amount_other_than_quantity_times_price_is_an_invalid_line(runner, clinic, tmp_path):  # noqa: F811
    lines = [
        CiiLine("1", "T00188", "2", "6077.51", "12155.50"),  # 2 x 6077.51 = 12155.02
        CiiLine("2", "T00188", "1", "6077.51", "6077.52", day="20260330"),  # within a cent
    ]
    report = report_of(runner, write(tmp_path, "bill.xml", cii_bill(lines)))
    assert report["lines"] == [
        {
            "line": 1,
            "status": "invalid",
            "reason": "the line net amount (BT-131) 12155.50 differs from quantity x net price after the line's "
            "allowances and charges (12155.02)",
        },
        {"line": 2, "status": "ok_rounding", "charged": "6077.52", "expected": "6077.51", "difference": "0.01"},
    ]


def test_the_unit_price_is_the_net_price_per_base_quantity(runner, clinic, tmp_path):  # noqa: F811
    lines = [CiiLine("1", "T00188", "2", "607751", "12155.02", base_quantity="100")]
    report = report_of(runner, write(tmp_path, "bill.xml", cii_bill(lines)))
    assert report["lines"] == [
        {"line": 1, "status": "ok", "charged": "12155.02", "expected": "12155.02", "difference": "0.00"}
    ]


def test_line_allowances_and_charges_make_the_charged_amount(runner, clinic, tmp_path):  # noqa: F811
    lines = [
        CiiLine("1", "T00188", "1", "6077.51", "6000.00", allowance="77.51"),
        CiiLine("2", "T00188", "1", "6077.51", "6100.00", day="20260330", allowance="7.51", charge="30.00"),
    ]
    report = report_of(runner, write(tmp_path, "bill.xml", cii_bill(lines)))
    assert [(line["status"], line["charged"]) for line in report["lines"]] == [
        ("below_tariff", "6000.00"),
        ("overcharged", "6100.00"),
    ]


def test_a_line_identifier_that_is_no_positive_number_gives_the_position(runner, clinic, tmp_path):  # noqa: F811
    lines = [CiiLine("A-1", "T00188", "1", "6077.51", "6077.51"), CiiLine("0", "X1", "1", "1.00", "1.00")]
    report = report_of(runner, write(tmp_path, "bill.xml", cii_bill(lines)))
    assert [(line["line"], line["status"]) for line in report["lines"]] == [(1, "ok"), (2, "unknown_code")]


def test_a_credit_note_gives_money_back(runner, clinic, tmp_path):  # noqa: F811
    lines = [CiiLine("1", "T00188", "1", "100.00", "100.00")]
    report = report_of(runner, write(tmp_path, "credit.xml", cii_bill(lines, type_code="381")))
    assert report["lines"] == [{"line": 1, "status": "credit"}]
    assert report["totals"]["EUR"]["credit"] == "-100.00"


# ---------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("name", sorted(hostile_files()))
def test_hostile_or_broken_files_are_refused_by_the_command(runner, clinic, tmp_path, name):  # noqa: F811
    data, words = hostile_files()[name]
    message = refusal_of(runner, write(tmp_path, "bill.bin", data))
    assert words in message
    assert "root:" not in message  # no /etc/passwd content


def hospital_case(hospital):
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    return case


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(HospitalBill)),
        db.session.scalar(select(func.count()).select_from(BillLine)),
    )


def archived_files() -> set:
    root = archive_root()
    return set(root.rglob("bill-*")) if root.exists() else set()


def upload(client, case_id: int, data: bytes, name: str, reference: str = "", received_on: str = ""):
    form = {"reference": reference, "received_on": received_on, "file": (io.BytesIO(data), name)}
    return client.post(f"/billing/cases/{case_id}/bills/new", data=form)


@pytest.fixture
def clinic_case():
    hospital = make_hospital("FRA-SCF", name="Sample Clinic Frankfurt")
    hospital.vat_id = HOSPITAL_VAT_ID
    import_tariff(hospital.id, (SAMPLES / "tariffs.csv").read_bytes(), "tariffs.csv", None)
    db.session.commit()
    return hospital_case(hospital)


@pytest.mark.parametrize("name", sorted(hostile_files()))
def test_hostile_or_broken_uploads_are_refused_with_a_4xx_and_nothing_stored(as_role, clinic_case, name):
    data, words = hostile_files()[name]
    before = archived_files()
    response = upload(as_role("finance"), clinic_case.id, data, "bill.xml", reference="X-1")
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Nothing was stored from “bill.xml”" in page and html.escape(words, quote=False) in page
    assert counts() == (0, 0)
    assert archived_files() == before


# ---------------------------------------------------------------------------------------------- the app


def findings_of(bill_id: int) -> dict[int, tuple]:
    db.session.expire_all()
    lines = db.session.scalars(select(BillLine).where(BillLine.bill_id == bill_id)).all()
    return {line.line_no: (line.status, line.charged, line.expected) for line in lines}


def test_the_zugferd_pdf_upload_gives_the_same_findings_as_the_csv(as_role, clinic_case):
    client = as_role("finance")
    pdf = (SAMPLES / "bill-zugferd.pdf").read_bytes()
    response = upload(client, clinic_case.id, pdf, "rechnung.pdf")  # no reference, no date: the e-invoice's, today
    assert response.status_code == 302, response.get_data(as_text=True)
    bill = db.session.scalars(select(HospitalBill)).one()
    assert (bill.reference, bill.received_on, bill.original_format) == ("SCF-2026-0815", TODAY, "facturx")
    assert (bill.issued_on, bill.seller_name, bill.seller_vat_id) == (
        date(2026, 4, 11),
        "Sample Clinic Frankfurt",
        "DE811234567",
    )
    assert (bill.stated_total, bill.stated_currency, bill.original_size) == (Decimal("661710.20"), "EUR", len(pdf))
    from_pdf = findings_of(bill.id)

    csv_case = hospital_case(db.session.get(Hospital, clinic_case.hospital_id))
    response = upload(client, csv_case.id, (SAMPLES / "bill.csv").read_bytes(), "bill.csv", "CSV-1", str(TODAY))
    assert response.status_code == 302
    csv_bill = db.session.scalar(select(HospitalBill).where(HospitalBill.reference == "CSV-1"))
    assert csv_bill.original_format == "csv"
    from_csv = findings_of(csv_bill.id)
    assert len(from_pdf) == 71
    assert {number: from_pdf[number] for number in from_pdf if number != 1073} == {
        number: from_csv[number] for number in from_pdf if number != 1073
    }
    assert from_pdf[1073][0] == "duplicate"
    expected = json.loads((SAMPLES / "e-invoice-expected.json").read_text())
    assert {line["line"]: line["status"] for line in expected["lines"]} == {n: f[0] for n, f in from_pdf.items()}


@pytest.mark.parametrize("name", (*E_INVOICES, "bill.csv"))
def test_the_original_downloads_byte_for_byte(as_role, clinic_case, name):
    client = as_role("finance")
    data = (SAMPLES / name).read_bytes()
    response = upload(client, clinic_case.id, data, name, "" if name != "bill.csv" else "CSV-1", str(TODAY))
    assert response.status_code == 302
    bill = db.session.scalars(select(HospitalBill)).one()
    page = client.get(f"/billing/bills/{bill.id}").get_data(as_text=True)
    assert f"/billing/bills/{bill.id}/original" in page
    download = client.get(f"/billing/bills/{bill.id}/original")  # who may: tests/auth/access_table.py
    assert download.status_code == 200
    assert download.data == data
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_an_entered_invoice_number_other_than_the_e_invoices_is_refused(clinic_case, finance):
    with pytest.raises(BillError, match="The e-invoice's number is SCF-2026-0815, not SCF-2026-0816"):
        receiving.receive_bill(
            clinic_case.id, (SAMPLES / "bill-cii.xml").read_bytes(), "b.xml", "SCF-2026-0816", None, finance.id
        )
    db.session.rollback()
    assert counts() == (0, 0)


def test_a_csv_still_needs_its_invoice_number_and_date(clinic_case, finance):
    with pytest.raises(BillError, match="Enter the hospital's invoice number"):
        receiving.receive_bill(clinic_case.id, (SAMPLES / "bill.csv").read_bytes(), "b.csv", "", TODAY, finance.id)
    db.session.rollback()
    with pytest.raises(BillError, match="Enter the date the bill was received"):
        receiving.receive_bill(clinic_case.id, (SAMPLES / "bill.csv").read_bytes(), "b.csv", "C-1", None, finance.id)
