"""Importing resident tariffs: all-or-nothing, the latest import is current, earlier ones stay; searching them."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice.billing.models import TariffImport, TariffItem
from backoffice.billing.tariffs import current as current_tariffs
from backoffice.billing.tariffs import importing
from backoffice.billing.tariffs.csv_file import HEADER
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import make_hospital
from tests.helpers import change_settings

SAMPLE = Path(__file__).parent / "samples" / "tariffs.csv"


def tariff_file(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


def stored() -> tuple[int, int]:
    """(imports, items) in the database."""
    return (
        db.session.scalar(select(func.count()).select_from(TariffImport)),
        db.session.scalar(select(func.count()).select_from(TariffItem)),
    )


@pytest.fixture
def hospital():
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    db.session.commit()
    return hospital


def test_the_sample_tariff_imports_as_the_hospitals_current_tariff(hospital, finance):
    data = SAMPLE.read_bytes()
    tariff_import = importing.import_tariff(hospital.id, data, "tariffs.csv", finance.id)
    db.session.commit()

    assert stored() == (1, 340)
    assert (tariff_import.item_count, tariff_import.filename, tariff_import.imported_by_id) == (
        340,
        "tariffs.csv",
        finance.id,
    )
    items = current_tariffs.current_tariff(hospital.id)
    assert len(items) == 340
    first = items[0]
    assert (first.code, first.description, first.resident_price, first.currency) == (
        "T00000",
        "anaesthesia 0",
        Decimal("1596.76"),
        "EUR",
    )
    assert (first.valid_from, first.valid_to) == (date(2024, 1, 1), date(2025, 6, 30))
    assert [(item.valid_from, item.valid_to) for item in items if item.code == "T00002"] == [
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), None),
    ]


def test_an_import_leaves_an_audit_row_with_counts_and_checksum(hospital, finance):
    import hashlib

    data = tariff_file(
        "T1,ECG,10.5,EUR,2025-01-01,2025-12-31", "T1,ECG,11,EUR,2026-01-01,", "T2,CT,300,EUR,2025-01-01,"
    )
    tariff_import = importing.import_tariff(hospital.id, data, "C:\\exports\\abm.csv", finance.id)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tariff_imported"))
    assert (event.actor_id, event.object_type, event.object_id) == (finance.id, "hospital", str(hospital.id))
    assert event.details == {
        "hospital": "FRA-ABM",
        "kind": "resident",
        "import_id": tariff_import.id,
        "filename": "abm.csv",
        "items": 3,
        "codes": 2,
        "currencies": "EUR",
        "sha256": hashlib.sha256(data).hexdigest(),
        "replaces_import_id": None,
        "previous_items": 0,
    }
    assert tariff_import.sha256 == hashlib.sha256(data).hexdigest()


def test_prices_with_four_decimals_are_stored_exactly(hospital):
    importing.import_tariff(hospital.id, tariff_file("S1,Syringe,0.1234,EUR,2025-01-01,"), "t.csv", None)
    db.session.commit()
    db.session.expire_all()
    assert current_tariffs.current_tariff(hospital.id)[0].resident_price == Decimal("0.1234")


BAD_FILES = {
    "overlapping versions": (
        tariff_file("T00002,Pump check,2266.27,EUR,2025-01-01,2025-12-31", "T00002,Pump check,1,EUR,2025-06-01,"),
        "rows 2 and 3: versions of T00002 overlap (2025-01-01..2025-12-31 and 2025-06-01..open)",
    ),
    "a wrong header": (
        tariff_file("T1,ECG,1,EUR,2025-01-01,", header="code,description,price,currency,valid_from,valid_to"),
        "row 1: the header must be",
    ),
    "a price with a comma": (tariff_file('T1,ECG,"12,50",EUR,2025-01-01,'), "row 2, resident_price: '12,50'"),
    "an impossible date": (tariff_file("T1,ECG,1,EUR,2026-13-45,"), "row 2, valid_from: '2026-13-45' is not a date"),
    "an empty file": (b"", "The file is empty"),
    "good rows before a bad one": (
        tariff_file(*(f"T{n},Item {n},{n}.00,EUR,2025-01-01," for n in range(1, 500)), "T999,Bad,1,EUR,2025-02-30,"),
        "row 501, valid_from: '2025-02-30' is not a date",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_with_every_problem_and_nothing_is_stored(hospital, case):
    data, expected = BAD_FILES[case]
    before = stored()
    with pytest.raises(importing.TariffImportRefused) as refused:
        importing.import_tariff(hospital.id, data, "bad.csv", None)
    db.session.rollback()
    assert refused.value.status_code == 422
    assert refused.value.message.startswith("Nothing was imported from “bad.csv”")
    assert any(problem.startswith(expected) for problem in refused.value.problems), refused.value.problems
    assert stored() == before == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_50_mb_file_is_refused_as_too_large(hospital):
    with pytest.raises(importing.TariffTooLarge) as refused:
        importing.import_tariff(hospital.id, HEADER.encode() + b"\n" + b"x" * (50 * 1024 * 1024), "huge.csv", None)
    assert refused.value.status_code == 413
    assert "a tariff file may have at most 20 MB" in refused.value.message
    assert stored() == (0, 0)


def test_the_size_limit_comes_from_the_configuration(app, hospital, monkeypatch):
    change_settings(monkeypatch, app, tariff_max_mb=1)
    data = tariff_file(*(f"T{n},Item number {n},{n}.00,EUR,2025-01-01," for n in range(40_000)))
    assert len(data) > 1024 * 1024
    with pytest.raises(importing.TariffTooLarge, match="at most 1 MB"):
        importing.import_tariff(hospital.id, data, "t.csv", None)
    assert stored() == (0, 0)


def test_a_refused_import_leaves_the_current_tariff_in_place(hospital):
    first = importing.import_tariff(hospital.id, tariff_file("T1,ECG,10,EUR,2025-01-01,"), "v1.csv", None)
    db.session.commit()
    with pytest.raises(importing.TariffImportRefused):
        importing.import_tariff(
            hospital.id, tariff_file("T1,ECG,11,EUR,2025-01-01,", "T2,CT,1;5,EUR,2025-01-01,"), "v2.csv", None
        )
    db.session.rollback()
    assert stored() == (1, 1)
    assert current_tariffs.latest_import(hospital.id).id == first.id
    assert [item.resident_price for item in current_tariffs.current_tariff(hospital.id)] == [Decimal("10")]


def test_a_second_import_becomes_current_and_the_first_stays_in_history(hospital, finance):
    first = importing.import_tariff(
        hospital.id, tariff_file("T1,ECG,10,EUR,2025-01-01,", "T2,CT,5,EUR,2025-01-01,"), "2025.csv", finance.id
    )
    db.session.commit()
    second = importing.import_tariff(hospital.id, tariff_file("T1,ECG,12,EUR,2026-01-01,"), "2026.csv", finance.id)
    db.session.commit()

    assert stored() == (2, 3)
    assert [(item.code, item.resident_price) for item in current_tariffs.current_tariff(hospital.id)] == [
        ("T1", Decimal("12"))
    ]
    assert [tariff_import.id for tariff_import in current_tariffs.tariff_imports(hospital.id)] == [second.id, first.id]
    assert db.session.scalars(
        select(TariffItem.code).where(TariffItem.import_id == first.id).order_by(TariffItem.code)
    ).all() == ["T1", "T2"]
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.details["replaces_import_id"], event.details["previous_items"]) == (first.id, 2)


def test_tariffs_are_kept_per_hospital(hospital):
    other = make_hospital("IST-ACB")
    db.session.commit()
    importing.import_tariff(hospital.id, tariff_file("T1,ECG,10,EUR,2025-01-01,"), "abm.csv", None)
    importing.import_tariff(other.id, tariff_file("X1,MRI,900,TRY,2025-01-01,"), "acb.csv", None)
    db.session.commit()
    assert [item.code for item in current_tariffs.current_tariff(hospital.id)] == ["T1"]
    assert [item.code for item in current_tariffs.current_tariff(other.id)] == ["X1"]
    page, current = current_tariffs.hospitals_with_tariffs()
    assert page.total == 2
    assert {hospital_id: kinds["resident"].filename for hospital_id, kinds in current.items()} == {
        hospital.id: "abm.csv",
        other.id: "acb.csv",
    }


def test_a_hospital_without_tariff_has_no_current_items(hospital):
    assert current_tariffs.current_tariff(hospital.id) == []
    assert current_tariffs.latest_import(hospital.id) is None
    assert current_tariffs.search_tariff(hospital.id, "").total == 0


def test_importing_for_an_unknown_hospital_is_not_found():
    with pytest.raises(NotFound):
        importing.import_tariff(999_999, tariff_file("T1,ECG,10,EUR,2025-01-01,"), "t.csv", None)
    with pytest.raises(NotFound, match="no hospital with the code NOPE-1"):
        current_tariffs.hospital_by_code("nope-1")


@pytest.fixture
def searchable(hospital):
    importing.import_tariff(
        hospital.id,
        tariff_file(
            "T00012,Cryopreservation of stem cells,5220.28,EUR,2025-01-01,",
            "T00013,Anaesthesia general,4897.18,EUR,2025-01-01,2025-12-31",
            "T00013,Anaesthesia general,5000,EUR,2026-01-01,",
            "T00140,Stem cell infusion,873.31,EUR,2025-01-01,2025-06-30",
            "X100%,Discount 100% item,0,EUR,2025-01-01,",
        ),
        "t.csv",
        None,
    )
    db.session.commit()
    return hospital


def codes(page) -> list[tuple[str, str]]:
    return [(item.code, item.valid_from.isoformat()) for item in page.items]


def test_search_matches_a_code_prefix_case_insensitively(searchable):
    assert codes(current_tariffs.search_tariff(searchable.id, "t0001")) == [
        ("T00012", "2025-01-01"),
        ("T00013", "2025-01-01"),
        ("T00013", "2026-01-01"),
    ]


def test_search_matches_every_word_of_the_description(searchable):
    assert codes(current_tariffs.search_tariff(searchable.id, "stem CELL")) == [
        ("T00012", "2025-01-01"),
        ("T00140", "2025-01-01"),
    ]
    assert codes(current_tariffs.search_tariff(searchable.id, "stem infusion")) == [("T00140", "2025-01-01")]
    assert codes(current_tariffs.search_tariff(searchable.id, "stem dialysis")) == []


def test_search_takes_wildcards_literally(searchable):
    assert codes(current_tariffs.search_tariff(searchable.id, "100%")) == [("X100%", "2025-01-01")]
    assert codes(current_tariffs.search_tariff(searchable.id, "_")) == []


def test_the_date_filter_keeps_versions_valid_that_day_valid_to_inclusive(searchable):
    on_new_years_eve = current_tariffs.search_tariff(searchable.id, "T00013", on_date=date(2025, 12, 31))
    assert [item.resident_price for item in on_new_years_eve.items] == [Decimal("4897.18")]
    on_new_year = current_tariffs.search_tariff(searchable.id, "", on_date=date(2026, 1, 1))
    assert codes(on_new_year) == [("T00012", "2025-01-01"), ("T00013", "2026-01-01"), ("X100%", "2025-01-01")]
    assert current_tariffs.search_tariff(searchable.id, "", on_date=date(2024, 12, 31)).total == 0


def test_search_pages_through_the_tariff(hospital):
    rows = [f"T{n:05d},Item {n},{n}.00,EUR,2025-01-01," for n in range(120)]
    importing.import_tariff(hospital.id, tariff_file(*rows), "t.csv", None)
    db.session.commit()
    third = current_tariffs.search_tariff(hospital.id, "", page=3)
    assert (third.total, third.pages, third.page) == (120, 3, 3)
    assert [item.code for item in third.items] == [f"T{n:05d}" for n in range(100, 120)]


def test_a_large_tariff_is_inserted_in_bulk_not_row_by_row(hospital, count_queries):
    rows = [f"T{n:06d},Item {n},{n % 5000}.{n % 100:02d},EUR,2025-01-01," for n in range(12_000)]
    with count_queries() as statements:
        tariff_import = importing.import_tariff(hospital.id, tariff_file(*rows), "big.csv", None)
        db.session.commit()
    inserts = [
        statement for statement in statements if statement.lstrip().upper().startswith("INSERT INTO TARIFF_ITEMS")
    ]
    assert len(inserts) <= 12  # chunks of rows, never one statement per item
    assert tariff_import.item_count == 12_000
    assert stored() == (1, 12_000)
