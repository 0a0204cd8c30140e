"""`flask bills audit HOSPITAL FILE.csv [--json]`: the sample reproduced exactly, and clear refusals (exit 2)."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from backoffice.billing.bills import findings
from backoffice.billing.bills.cli import bills_cli
from backoffice.billing.models import TariffImport, TariffItem
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from tests.factories import make_hospital
from tests.helpers import change_settings

SAMPLES = Path(__file__).parent / "samples"
HEADER = "line,date,code,description,quantity,unit_price,currency"


@pytest.fixture
def runner(app):
    # The lead registers the group in backoffice/cli.py; until then the tests add it themselves.
    if "bills" not in app.cli.commands:
        app.cli.add_command(bills_cli)
    return app.test_cli_runner()


def make_tariff(hospital, rows, *, imported_at: datetime | None = None) -> TariffImport:
    """An import of `rows` (code, price, currency, valid_from, valid_to|None) as the hospital's tariff."""
    tariff_import = TariffImport(
        hospital_id=hospital.id,
        filename="tariff.csv",
        sha256="0" * 64,
        item_count=len(rows),
        imported_at=imported_at or utcnow(),
    )
    db.session.add(tariff_import)
    db.session.flush()
    db.session.add_all(
        TariffItem(
            import_id=tariff_import.id,
            hospital_id=hospital.id,
            code=code,
            description=f"item {code}",
            resident_price=Decimal(price),
            currency=currency,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        for code, price, currency, valid_from, valid_to in rows
    )
    db.session.flush()
    return tariff_import


def sample_tariff_rows():
    with (SAMPLES / "tariffs.csv").open(newline="") as file:
        return [
            (
                row["code"],
                row["resident_price"],
                row["currency"],
                date.fromisoformat(row["valid_from"]),
                date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
            )
            for row in csv.DictReader(file)
        ]


@pytest.fixture
def sample_hospital():
    hospital = make_hospital("FRA-ABM")
    make_tariff(hospital, sample_tariff_rows())
    db.session.commit()
    return hospital


def write_bill(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows, ""]), encoding="utf-8")
    return path


def audit_json(runner, *args: str) -> dict:
    result = runner.invoke(args=["bills", "audit", *args, "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------------------------- the sample


def test_the_sample_bill_reproduces_expected_json(runner, sample_hospital):
    expected = json.loads((SAMPLES / "expected.json").read_text())
    report = audit_json(runner, "FRA-ABM", str(SAMPLES / "bill.csv"))

    assert list(report) == ["hospital", "lines", "totals", "surcharge_coefficient"]
    assert report["hospital"] == "FRA-ABM"
    # expected.json has no `difference`; everything it has must match exactly, and nothing else may appear.
    assert len(report["lines"]) == len(expected["lines"])
    pairs = zip(report["lines"], expected["lines"], strict=True)
    assert [{key: line.get(key) for key in want} for line, want in pairs] == expected["lines"]
    for line in report["lines"]:
        extra = set(line) - {"line", "status"}
        if line["status"] in {"ok", "overcharged", "below_tariff"}:
            assert extra == {"charged", "expected", "difference"}
            assert Decimal(line["difference"]) == Decimal(line["charged"]) - Decimal(line["expected"])
        elif line["status"] == "invalid":
            assert extra == {"reason"}
        else:
            assert extra == set()
    assert report["totals"] == expected["totals"]
    assert report["surcharge_coefficient"] is expected["surcharge_coefficient"] is None
    counts = {}
    for line in report["lines"]:
        counts[line["status"]] = counts.get(line["status"], 0) + 1
    assert counts == expected["counts"]


def test_the_sample_invalid_lines_give_their_reasons(runner, sample_hospital):
    lines = audit_json(runner, "FRA-ABM", str(SAMPLES / "bill.csv"))["lines"]
    assert [line for line in lines if line["status"] == "invalid"] == [
        {"line": 82, "status": "invalid", "reason": "date '2026-13-45' is not a date (use YYYY-MM-DD)"},
        {"line": 83, "status": "invalid", "reason": "quantity '-2' is not a positive number"},
        {
            "line": 84,
            "status": "invalid",
            "reason": "unit_price '12,0x' is not a number (use digits and a dot, such as 1234.50)",
        },
    ]


def test_without_json_the_audit_is_a_readable_table(runner, sample_hospital):
    result = runner.invoke(args=["bills", "audit", "fra-abm", str(SAMPLES / "bill.csv")])
    assert result.exit_code == 0, result.output
    table = result.stdout.splitlines()
    assert table[0] == f"Bill {SAMPLES / 'bill.csv'} of FRA-ABM: 84 lines"
    assert table[2].split() == ["line", "date", "code", "status", "charged", "expected", "difference"]
    assert table[3].split() == ["1", "2026-03-29", "T00188", "ok", "12,155.02", "EUR", "12,155.02", "0.00"]
    assert table[7].split() == [
        "5",
        "2026-03-25",
        "T00226",
        "overcharged",
        "30,578.37",
        "EUR",
        "23,521.83",
        "+7,056.54",
    ]
    assert table[4].split() == ["2", "2026-03-13", "X00002", "unknown_code", "328.34", "EUR"]
    assert "  EUR: charged 712,835.82, expected 668,978.77, overcharge 49,071.55, unpriced 22,216.12" in table
    assert "  USD: no priced line, unpriced 54,298.50" in table
    assert table[-7].split()[:4] == ["84", "2026-03-10", "T00002", "invalid"]
    assert table[-7].endswith("unit_price '12,0x' is not a number (use digits and a dot, such as 1234.50)")
    assert "Lines: invalid 3, duplicate 1, unknown_code 8, no_valid_tariff 7, currency_mismatch 3, " in table[-2]
    assert table[-1] == "Surcharge coefficient: none (median charged/expected 1.00, below 1.05)"


def test_the_table_shows_a_surcharge_and_no_terminal_control_characters(runner, sample_hospital, tmp_path):
    path = write_bill(tmp_path / "bill.csv", "1,2026-03-29,T00188,x,1,7901.76,EUR", "2,2026-03-29,\x1b[2J,x,1,1.00,EUR")
    result = runner.invoke(args=["bills", "audit", "FRA-ABM", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert " [2J " in result.stdout  # the escape character is stripped as the file is read
    assert result.stdout.splitlines()[-1].startswith("Surcharge coefficient: 1.30 (median of charged/expected")


# ---------------------------------------------------------------------------------------------- generated bills


@pytest.fixture
def hospital_with_versions():
    hospital = make_hospital("TST-GEN")
    rows = [(f"G{n:03d}", f"{40 + 17 * n}.{n % 100:02d}", "EUR", date(2025, 1, 1), None) for n in range(30)]
    rows += [
        ("V1", "100.00", "EUR", date(2025, 1, 1), date(2025, 12, 31)),
        ("V1", "104.00", "EUR", date(2026, 1, 1), None),
        ("HALF", "0.125", "EUR", date(2025, 1, 1), None),
        ("HALF2", "2.675", "EUR", date(2025, 1, 1), None),
    ]
    make_tariff(hospital, rows)
    db.session.commit()
    return hospital, rows


def test_every_price_times_1_30_shows_a_surcharge_coefficient_of_1_30(runner, hospital_with_versions, tmp_path):
    _, rows = hospital_with_versions
    surcharged = {code: (Decimal(price) * Decimal("1.3")).quantize(Decimal("0.0001")) for code, price, *_ in rows[:30]}
    bill = [
        f"{n},2026-03-{1 + n % 28:02d},{code},x,{1 + n % 4},{price},EUR"
        for n, (code, price) in enumerate(surcharged.items(), start=1)
    ]
    report = audit_json(runner, "TST-GEN", str(write_bill(tmp_path / "bill.csv", *bill)))
    assert report["surcharge_coefficient"] == "1.30"
    assert {line["status"] for line in report["lines"]} == {"overcharged"}
    totals = report["totals"]["EUR"]
    assert Decimal(totals["overcharge"]) == Decimal(totals["charged"]) - Decimal(totals["expected"])
    assert totals["unpriced"] == "0.00"


def test_versions_at_a_boundary_date_price_each_side(runner, hospital_with_versions, tmp_path):
    path = write_bill(
        tmp_path / "bill.csv",
        "1,2025-12-31,V1,last day of the old price,1,100.00,EUR",
        "2,2026-01-01,V1,first day of the new price,1,100.00,EUR",
        "3,2024-12-31,V1,before any version,1,100.00,EUR",
    )
    lines = audit_json(runner, "TST-GEN", str(path))["lines"]
    assert lines == [
        {"line": 1, "status": "ok", "charged": "100.00", "expected": "100.00", "difference": "0.00"},
        {"line": 2, "status": "below_tariff", "charged": "100.00", "expected": "104.00", "difference": "-4.00"},
        {"line": 3, "status": "no_valid_tariff"},
    ]


def test_half_cents_round_up_exactly(runner, hospital_with_versions, tmp_path):
    path = write_bill(tmp_path / "bill.csv", "1,2026-03-01,HALF,x,1,0.125,EUR", "2,2026-03-01,HALF2,x,1,2.675,EUR")
    report = audit_json(runner, "TST-GEN", str(path))
    assert [(line["charged"], line["expected"], line["status"]) for line in report["lines"]] == [
        ("0.13", "0.13", "ok"),
        ("2.68", "2.68", "ok"),
    ]
    assert report["totals"] == {
        "EUR": {"charged": "2.81", "expected": "2.81", "overcharge": "0.00", "unpriced": "0.00"}
    }


def test_the_current_tariff_is_the_latest_import(runner, tmp_path):
    hospital = make_hospital("TST-NEW")
    make_tariff(hospital, [("A1", "90.00", "EUR", date(2025, 1, 1), None)], imported_at=utcnow() - timedelta(days=3))
    make_tariff(hospital, [("A1", "100.00", "EUR", date(2025, 1, 1), None)])
    make_tariff(make_hospital("TST-OTHER"), [("A1", "50.00", "EUR", date(2025, 1, 1), None)])
    db.session.commit()
    path = write_bill(tmp_path / "bill.csv", "1,2026-03-01,A1,x,1,100.00,EUR")
    assert audit_json(runner, "TST-NEW", str(path))["lines"][0]["expected"] == "100.00"


def test_the_audit_reads_only_the_bills_codes_one_select_per_chunk(
    runner, hospital_with_versions, tmp_path, count_queries, monkeypatch
):
    monkeypatch.setattr(findings, "CODE_CHUNK", 10)
    sent = []
    for size in (3, 300):
        rows = [f"{n},2026-03-01,G{n % 30:03d},x,{n},1.00,EUR" for n in range(1, size + 1)]
        path = write_bill(tmp_path / f"bill{size}.csv", *rows)
        with count_queries() as statements:
            audit_json(runner, "TST-GEN", str(path))
        sent.append(len(statements))
    # the hospital, its current import, then the items of the bill's codes: 3 codes in one SELECT, 30 in three
    assert sent == [3, 5]


def test_a_bill_with_many_codes_gives_the_same_findings_read_in_chunks(runner, sample_hospital, monkeypatch):
    whole = audit_json(runner, "FRA-ABM", str(SAMPLES / "bill.csv"))
    monkeypatch.setattr(findings, "CODE_CHUNK", 7)
    assert audit_json(runner, "FRA-ABM", str(SAMPLES / "bill.csv")) == whole


def test_the_audit_stores_nothing(runner, sample_hospital):
    before = db.session.query(TariffItem).count()
    audit_json(runner, "FRA-ABM", str(SAMPLES / "bill.csv"))
    assert db.session.query(TariffItem).count() == before


# ---------------------------------------------------------------------------------------------- refusals (exit 2)


def refused(runner, *args: str) -> str:
    result = runner.invoke(args=["bills", "audit", *args, "--json"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    return result.stderr.strip()


def test_an_unknown_hospital_is_refused(runner, tmp_path):
    path = write_bill(tmp_path / "bill.csv", "1,2026-03-01,A1,x,1,100.00,EUR")
    assert refused(runner, "NOPE-1", str(path)) == (
        "Error: there is no hospital with the code NOPE-1 (see `flask hospitals list`)"
    )


def test_a_hospital_without_a_tariff_is_refused(runner, tmp_path):
    make_hospital("TST-BARE")
    db.session.commit()
    path = write_bill(tmp_path / "bill.csv", "1,2026-03-01,A1,x,1,100.00,EUR")
    assert refused(runner, "TST-BARE", str(path)) == (
        "Error: TST-BARE has no resident tariff yet: import its price list before auditing a bill"
    )


def test_a_wrong_header_is_refused_naming_row_and_column(runner, sample_hospital, tmp_path):
    path = write_bill(
        tmp_path / "bill.csv", "1,2026-03-01,A1,x,1,100.00,EUR", header=HEADER.replace("unit_price", "price")
    )
    assert refused(runner, "FRA-ABM", str(path)) == (
        f"Error: {path}, row 1, column 6: 'price' is not a bill column; the header must be {HEADER}"
    )


def test_an_empty_file_is_refused(runner, sample_hospital, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert refused(runner, "FRA-ABM", str(path)) == (
        f"Error: {path}, row 1: the file is empty; a bill starts with the header {HEADER}"
    )


def test_a_50_mb_file_is_refused(runner, sample_hospital, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024)
    assert refused(runner, "FRA-ABM", str(path)) == f"Error: {path}: the file is larger than 10 MB; split the bill"


def test_the_size_limit_is_configurable(runner, sample_hospital, tmp_path, app, monkeypatch):
    rows = [f"{n},2026-03-29,T00188,item,2,6077.51,EUR" for n in range(1, 30_000)]
    path = write_bill(tmp_path / "bill.csv", *rows)
    assert path.stat().st_size > 1024 * 1024
    audit_json(runner, "FRA-ABM", str(path))
    change_settings(monkeypatch, app, bill_max_mb=1)
    assert refused(runner, "FRA-ABM", str(path)) == f"Error: {path}: the file is larger than 1 MB; split the bill"


def test_bytes_that_are_not_utf8_are_refused(runner, sample_hospital, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\n1,2026-03-01,T00188,Geb\xfchr,1,100.00,EUR\n".encode("latin-1"))
    assert refused(runner, "FRA-ABM", str(path)) == (
        f"Error: {path}, row 2, column description: the text is not UTF-8; save the file as CSV UTF-8"
    )


def test_a_missing_file_is_refused(runner, sample_hospital, tmp_path):
    path = tmp_path / "nowhere.csv"
    assert refused(runner, "FRA-ABM", str(path)) == f"Error: {path}: no such file"


def test_a_bill_can_come_from_standard_input(runner, sample_hospital):
    data = f"{HEADER}\n1,2026-03-29,T00188,item,2,6077.51,EUR\n".encode()
    result = runner.invoke(args=["bills", "audit", "FRA-ABM", "-", "--json"], input=data)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["lines"] == [
        {"line": 1, "status": "ok", "charged": "12155.02", "expected": "12155.02", "difference": "0.00"}
    ]
