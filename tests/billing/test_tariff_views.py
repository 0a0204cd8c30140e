"""Tariff pages: finance and administrators import, coordinators read, patients see nothing."""

import html
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice.billing.models import TariffImport, TariffItem
from backoffice.billing.tariffs import importing
from backoffice.billing.tariffs.csv_file import HEADER
from backoffice.config import settings
from backoffice.extensions import db
from tests.factories import make_hospital
from tests.helpers import change_settings

SAMPLE = Path(__file__).parent / "samples" / "tariffs.csv"


def tariff_file(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def stored() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(TariffImport)),
        db.session.scalar(select(func.count()).select_from(TariffItem)),
    )


def upload(client, hospital_id: int, data: bytes, filename: str = "tariffs.csv", **kwargs):
    return client.post(f"/billing/tariffs/{hospital_id}/import", data={"file": (io.BytesIO(data), filename)}, **kwargs)


@pytest.fixture
def hospital():
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    db.session.commit()
    return hospital


def import_rows(hospital, *rows: str, filename: str = "t.csv"):
    tariff_import = importing.import_tariff(hospital.id, tariff_file(*rows), filename, None)
    db.session.commit()
    return tariff_import


# ---------------------------------------------------------------------------------------------- who may do what


@pytest.mark.parametrize("role", ["admin", "finance", "coordinator"])
def test_staff_read_the_tariffs(as_role, hospital, role):
    client = as_role(role)
    assert client.get("/billing/tariffs").status_code == 200
    assert client.get(f"/billing/tariffs/{hospital.id}").status_code == 200


def test_patients_see_no_tariff(as_role, hospital):
    client = as_role("patient")
    assert client.get("/billing/tariffs").status_code == 403
    assert client.get(f"/billing/tariffs/{hospital.id}").status_code == 403
    assert upload(client, hospital.id, SAMPLE.read_bytes()).status_code == 403
    assert stored() == (0, 0)


def test_signed_out_visitors_are_sent_to_sign_in(client, hospital):
    response = client.get(f"/billing/tariffs/{hospital.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_coordinators_read_but_cannot_import(as_role, hospital):
    client = as_role("coordinator")
    page = text(client.get(f"/billing/tariffs/{hospital.id}"))
    assert "Import a new price list" not in page
    assert upload(client, hospital.id, SAMPLE.read_bytes()).status_code == 403
    assert stored() == (0, 0)


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admins_import_a_tariff(as_role, users, hospital, role):
    client = as_role(role)
    assert "Import a new price list" in text(client.get(f"/billing/tariffs/{hospital.id}"))
    response = upload(client, hospital.id, SAMPLE.read_bytes())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/billing/tariffs/{hospital.id}")
    page = text(client.get(response.headers["Location"]))
    assert "Imported 340 items from “tariffs.csv”" in page
    assert "T00000" in page and "anaesthesia 0" in page and "€1,596.76" in page
    assert stored() == (1, 340)
    assert db.session.scalar(select(TariffImport.imported_by_id)) == users[role].id


# ---------------------------------------------------------------------------------------------- refusals


def test_a_refused_file_shows_the_page_again_with_every_problem(as_role, hospital):
    client = as_role("finance")
    response = upload(
        client,
        hospital.id,
        tariff_file(
            "T00002,Pump check,2266.27,EUR,2025-01-01,2025-12-31",
            'T00003,ECG,"12,50",EUR,2026-13-45,',
            "T00002,Pump check,2356.92,EUR,2025-06-01,",
        ),
        filename="abm.csv",
    )
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was imported from “abm.csv” for FRA-ABM: 3 problems to correct in the file." in page
    assert "row 3, resident_price: '12,50' has a comma" in page
    assert "row 3, valid_from: '2026-13-45' is not a date" in page
    assert "rows 2 and 4: versions of T00002 overlap (2025-01-01..2025-12-31 and 2025-06-01..open)" in page
    assert stored() == (0, 0)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty"),
        (tariff_file("T1,ECG,1,EUR,2025-01-01,", header="code,price"), "row 1: the header must be"),
        (
            b"code,description,resident_price,currency,valid_from,valid_to\nT1,Caf\xe9,1,EUR,2025-01-01,",
            "row 2: the file is not UTF-8",
        ),
        (tariff_file("T1,EC\x00G,1,EUR,2025-01-01,"), "row 2, description: contains a line break or control character"),
    ],
)
def test_bad_files_are_refused_with_422_and_nothing_stored(as_role, hospital, data, expected):
    client = as_role("admin")
    response = upload(client, hospital.id, data)
    assert response.status_code == 422
    assert expected in text(response)
    assert stored() == (0, 0)


def test_a_refused_file_leaves_the_current_tariff_shown(as_role, hospital):
    import_rows(hospital, "T1,ECG,10,EUR,2025-01-01,", filename="current.csv")
    client = as_role("finance")
    response = upload(client, hospital.id, tariff_file("T1,ECG,abc,EUR,2025-01-01,"))
    assert response.status_code == 422
    page = text(response)
    assert "current.csv" in page and "€10.00" in page
    assert stored() == (1, 1)


def test_importing_without_a_file_is_refused(as_role, hospital):
    client = as_role("finance")
    response = client.post(f"/billing/tariffs/{hospital.id}/import", data={})
    assert response.status_code == 422
    assert "Choose a CSV file to import." in text(response)
    assert stored() == (0, 0)


def test_an_import_without_the_form_token_is_refused(as_role, hospital):
    client = as_role("finance")
    assert upload(client, hospital.id, SAMPLE.read_bytes(), csrf=False).status_code == 400
    assert stored() == (0, 0)


def test_a_50_mb_file_is_refused_as_too_large(as_role, hospital):
    client = as_role("finance")
    response = upload(client, hospital.id, HEADER.encode() + b"\n" + b"x" * (50 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than allowed" in text(response)
    assert stored() == (0, 0)


def test_a_file_above_the_tariff_limit_names_the_limit(app, as_role, hospital, monkeypatch):
    change_settings(monkeypatch, app, tariff_max_mb=1)
    client = as_role("finance")
    rows = [f"T{n},Item number {n},{n}.00,EUR,2025-01-01," for n in range(40_000)]
    response = upload(client, hospital.id, tariff_file(*rows))
    assert response.status_code == 413
    assert "a tariff file may have at most 1 MB" in text(response)
    assert stored() == (0, 0)


def test_unknown_hospitals_are_not_found(as_role):
    client = as_role("finance")
    assert client.get("/billing/tariffs/999999").status_code == 404
    assert upload(client, 999999, SAMPLE.read_bytes()).status_code == 404
    assert client.get("/billing/tariffs/99999999999").status_code == 404
    assert stored() == (0, 0)


# ---------------------------------------------------------------------------------------------- browsing


def test_the_list_shows_each_hospitals_tariff_size_and_last_import(as_role, hospital):
    make_hospital("IST-ACB", name="Acibadem Maslak")
    db.session.commit()
    import_rows(hospital, "T1,ECG,10,EUR,2025-01-01,", "T2,CT,5,EUR,2025-01-01,", filename="old.csv")
    import_rows(hospital, "T1,ECG,12,EUR,2026-01-01,", filename="abm-2026.csv")
    page = text(as_role("coordinator").get("/billing/tariffs"))
    assert "Asklepios Bad Homburg" in page and "abm-2026.csv" in page and "old.csv" not in page
    assert "Acibadem Maslak" in page and "No tariff yet" in page


def test_the_tariff_page_shows_the_current_items_and_the_import_history(as_role, hospital):
    import_rows(hospital, "T1,ECG,10,EUR,2025-01-01,", "OLD1,Gone,5,EUR,2025-01-01,", filename="2025.csv")
    import_rows(hospital, "T1,ECG,12.3456,EUR,2026-01-01,", filename="2026.csv")
    page = text(as_role("finance").get(f"/billing/tariffs/{hospital.id}"))
    assert "€12.3456" in page and "2026-01-01" in page and "open" in page
    assert "OLD1" not in page  # only the current tariff's items
    assert page.index("2026.csv") < page.index("2025.csv")  # history, newest first
    assert "command line" in page


def test_the_tariff_page_searches_and_filters_by_date(as_role, hospital):
    import_rows(
        hospital,
        "T00013,Anaesthesia general,4897.18,EUR,2025-01-01,2025-12-31",
        "T00013,Anaesthesia general,5000,EUR,2026-01-01,",
        "T00140,Stem cell infusion,873.31,EUR,2025-01-01,",
    )
    client = as_role("coordinator")
    page = text(client.get(f"/billing/tariffs/{hospital.id}?q=stem+cell"))
    assert "T00140" in page and "T00013" not in page
    page = text(client.get(f"/billing/tariffs/{hospital.id}?q=T000&valid_on=2025-12-31"))
    assert "€4,897.18" in page and "€5,000.00" not in page and "T00140" not in page


def test_a_bad_date_filter_is_a_400_naming_the_value(as_role, hospital):
    import_rows(hospital, "T1,ECG,10,EUR,2025-01-01,")
    response = as_role("finance").get(f"/billing/tariffs/{hospital.id}?valid_on=2026-13-45")
    assert response.status_code == 400
    page = text(response)
    assert "“2026-13-45” is not a date; write it as YYYY-MM-DD." in page
    assert "T1" in page


def test_the_tariff_page_pages_through_the_items_keeping_the_search(as_role, hospital):
    import_rows(hospital, *(f"T{n:05d},Item {n},{n}.00,EUR,2025-01-01," for n in range(120)))
    raw = as_role("finance").get(f"/billing/tariffs/{hospital.id}?q=T&page=3").get_data(as_text=True)
    assert "Page 3 of 3" in raw and "T00119" in raw and "T00000" not in raw
    assert f'href="/billing/tariffs/{hospital.id}?q=T&amp;page=2"' in raw


def test_the_tariff_page_runs_a_fixed_number_of_statements(as_role, hospital, count_queries):
    client = as_role("finance")
    import_rows(hospital, *(f"T{n:05d},Item {n},{n}.00,EUR,2025-01-01," for n in range(30)))
    with count_queries() as few:
        assert client.get(f"/billing/tariffs/{hospital.id}").status_code == 200
    import_rows(hospital, *(f"T{n:05d},Item {n},{n}.00,EUR,2025-01-01," for n in range(300)))
    with count_queries() as many:
        page = text(client.get(f"/billing/tariffs/{hospital.id}"))
    assert "300 in all" in page
    assert len(few) == len(many)


def test_the_tariff_list_runs_a_fixed_number_of_statements(as_role, hospital, count_queries):
    client = as_role("coordinator")
    import_rows(hospital, "T1,ECG,10,EUR,2025-01-01,")
    with count_queries() as few:
        assert client.get("/billing/tariffs").status_code == 200
    for n in range(20):
        other = make_hospital(f"TST-{n}")
        db.session.commit()
        import_rows(other, "T1,ECG,10,EUR,2025-01-01,")
        import_rows(other, "T1,ECG,11,EUR,2025-01-01,")
    with count_queries() as many:
        assert text(client.get("/billing/tariffs")).count("/billing/tariffs/") >= 21
    assert len(few) == len(many)


def test_the_import_history_header_names_the_zone_its_times_are_shown_in(app, as_role, hospital):
    tariff_import = import_rows(hospital, "T1,ECG,10,EUR,2026-01-01,")
    tariff_import.imported_at = datetime(2026, 12, 6, 8, 28, 58, tzinfo=UTC)
    db.session.commit()
    page = as_role("finance").get(f"/billing/tariffs/{hospital.id}").get_data(as_text=True)
    history = page[page.index("Import history") :]
    assert "(UTC)" not in history
    assert f"<th>Imported ({settings(app).operator_timezone} time)</th>" in history
    assert "2026-12-06 09:28:58 CET" in history
