"""A hospital's international price list (what a foreign patient would pay) beside its resident tariff: the optional
`kind` column, one kind per file, each kind its own current list; bills are audited against the resident one only."""

from __future__ import annotations

import html
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.billing.bills import receiving
from backoffice.billing.bills.csv_file import HEADER as BILL_HEADER
from backoffice.billing.models import BillLine
from backoffice.billing.tariffs import current, importing
from backoffice.billing.tariffs.cli import tariffs_cli
from backoffice.billing.tariffs.csv_file import HEADER
from backoffice.extensions import db
from tests.billing.test_tariffs import stored, tariff_file
from tests.factories import make_case, make_hospital

KIND_HEADER = f"{HEADER},kind"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def hospital():
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    db.session.commit()
    return hospital


def import_rows(hospital, *rows: str, header: str = HEADER, kind: str | None = None, filename: str = "t.csv"):
    tariff_import = importing.import_tariff(hospital.id, tariff_file(*rows, header=header), filename, None, kind=kind)
    db.session.commit()
    return tariff_import


def refusal(hospital, *rows: str, header: str = KIND_HEADER, kind: str | None = None) -> importing.TariffImportRefused:
    with pytest.raises(importing.TariffImportRefused) as refused:
        importing.import_tariff(hospital.id, tariff_file(*rows, header=header), "mixed.csv", None, kind=kind)
    db.session.rollback()
    return refused.value


# ---------------------------------------------------------------------------------------------- importing


def test_an_international_list_is_imported_and_is_not_the_resident_tariff(hospital):
    resident = import_rows(hospital, "T1,ECG,100,EUR,2025-01-01,", filename="resident.csv")
    international = import_rows(
        hospital,
        "T1,ECG,180,EUR,2025-01-01,,international",
        "T2,MRI,900,EUR,2025-01-01,,International",
        header=KIND_HEADER,
        filename="foreign.csv",
    )
    assert (resident.kind, international.kind) == ("resident", "international")
    assert current.latest_import(hospital.id).id == resident.id
    assert current.latest_import(hospital.id, "international").id == international.id
    assert [(i.code, i.resident_price) for i in current.current_tariff(hospital.id)] == [("T1", Decimal("100"))]
    assert [i.code for i in current.current_tariff(hospital.id, "international")] == ["T1", "T2"]
    assert current.search_tariff(hospital.id, "MRI").total == 0
    assert current.search_tariff(hospital.id, "MRI", kind="international").total == 1
    assert [t.id for t in current.tariff_imports(hospital.id)] == [resident.id]
    assert [t.id for t in current.tariff_imports(hospital.id, kind="international")] == [international.id]
    assert current.prices_on(hospital.id, ["T1"], date(2026, 1, 1))["T1"].resident_price == Decimal("100")


def test_a_file_without_kind_column_is_resident_unless_imported_as_international(hospital):
    assert import_rows(hospital, "T1,ECG,100,EUR,2025-01-01,").kind == "resident"
    assert import_rows(hospital, "T1,ECG,180,EUR,2025-01-01,", kind="international").kind == "international"
    assert import_rows(hospital, "T1,ECG,180,EUR,2025-01-01,,international", header=KIND_HEADER, kind="international")


def test_a_file_mixing_kinds_is_refused_with_the_line(hospital):
    error = refusal(
        hospital,
        "T1,ECG,100,EUR,2025-01-01,,resident",
        "T2,MRI,900,EUR,2025-01-01,,resident",
        "T3,CT,400,EUR,2025-01-01,,international",
    )
    assert error.problems == [
        "row 4, kind: international, but row 2 is resident; every row of one file is of the same kind: import the "
        "resident and the international prices as two files."
    ]
    assert error.message == "Nothing was imported from “mixed.csv” for FRA-ABM: 1 problem to correct in the file."
    assert stored() == (0, 0)


def test_a_kind_other_than_resident_or_international_is_refused(hospital):
    error = refusal(hospital, "T1,ECG,100,EUR,2025-01-01,,foreign", "T2,MRI,900,EUR,2025-01-01,,")
    assert error.problems == [
        "row 2, kind: 'foreign' is not a kind; write resident or international.",
        "row 3, kind: empty; write resident or international (or leave the kind column out for a resident tariff).",
    ]
    assert stored() == (0, 0)


def test_a_kind_column_disagreeing_with_the_chosen_kind_is_refused(hospital):
    error = refusal(hospital, "T1,ECG,180,EUR,2025-01-01,,international", kind="resident")
    assert error.problems == [
        "the file's kind column says international, but it is imported as resident; correct the column or choose "
        "international."
    ]
    assert stored() == (0, 0)


def test_the_audit_of_a_bill_still_uses_the_resident_list_after_an_international_import(hospital):
    resident = import_rows(hospital, "T1,ECG,100,EUR,2025-01-01,")
    import_rows(hospital, "T1,ECG,180,EUR,2025-01-01,", kind="international")
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    bill_csv = "\n".join([BILL_HEADER, "1,2026-03-01,T1,ECG,1,180.00,EUR"]).encode()
    bill = receiving.receive_bill(case.id, bill_csv, "bill.csv", "INV-1", date.today(), None)
    db.session.commit()
    line = db.session.scalar(select(BillLine).where(BillLine.bill_id == bill.id))
    assert bill.tariff_import_id == resident.id
    assert (line.status, line.expected) == ("overcharged", Decimal("100.00"))


# ---------------------------------------------------------------------------------------------- the pages


def upload(client, hospital_id: int, data: bytes, **fields):
    return client.post(
        f"/billing/tariffs/{hospital_id}/import", data={"file": (io.BytesIO(data), "foreign.csv"), **fields}
    )


def test_finance_imports_an_international_list_and_finds_it_on_its_own_page(as_role, hospital):
    import_rows(hospital, "T1,ECG,100,EUR,2025-01-01,")
    client = as_role("finance")
    response = upload(client, hospital.id, tariff_file("T2,MRI,900.5,EUR,2025-01-01,"), kind="international")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/billing/tariffs/{hospital.id}?kind=international")
    page = text(client.get(response.headers["Location"]))
    assert "Imported 1 item from “foreign.csv”: this is now the hospital's international price list." in page
    assert "Foreign-patient price" in page and "<code>T2</code>" in page and "<code>T1</code>" not in page
    resident_page = text(client.get(f"/billing/tariffs/{hospital.id}"))
    assert "<code>T1</code>" in resident_page and "MRI" not in resident_page


def test_the_tariffs_list_shows_each_hospitals_resident_and_international_list(as_role, hospital):
    other = make_hospital("IST-ACB", name="Acibadem Istanbul")
    db.session.commit()
    import_rows(hospital, "T1,ECG,100,EUR,2025-01-01,")
    import_rows(hospital, "T1,ECG,180,EUR,2025-01-01,", "T2,MRI,900,EUR,2025-01-01,", kind="international")
    page = text(as_role("coordinator").get("/billing/tariffs"))
    rows = {name: page.split(name, 1)[1].split("</tr>", 1)[0] for name in ("Asklepios Bad Homburg", other.name)}
    assert "1 item" in rows["Asklepios Bad Homburg"] and "2 items" in rows["Asklepios Bad Homburg"]
    assert "No tariff yet" in rows[other.name] and "none" in rows[other.name]


def test_a_file_disagreeing_with_the_chosen_kind_shows_the_page_again(as_role, hospital):
    data = tariff_file("T1,ECG,180,EUR,2025-01-01,,international", header=KIND_HEADER)
    response = upload(as_role("finance"), hospital.id, data, kind="resident")
    assert response.status_code == 422
    assert "the file's kind column says international, but it is imported as resident" in text(response)
    assert stored() == (0, 0)


def test_an_unknown_kind_of_page_is_a_400(as_role, hospital):
    response = as_role("coordinator").get(f"/billing/tariffs/{hospital.id}?kind=foreign")
    assert response.status_code == 400
    assert "'foreign' is not a kind of price list: choose resident or international." in text(response)


def test_the_command_line_imports_an_international_list(app, hospital, tmp_path):
    if "tariffs" not in app.cli.commands:
        app.cli.add_command(tariffs_cli)
    path = tmp_path / "foreign.csv"
    path.write_text("\n".join([HEADER, "T1,ECG,180,EUR,2025-01-01,"]))
    result = app.test_cli_runner().invoke(args=["tariffs", "import", "FRA-ABM", str(path), "--kind", "international"])
    assert result.exit_code == 0, result.output
    assert "Imported 1 item for FRA-ABM (international price list) from foreign.csv." in result.output
    assert current.latest_import(hospital.id) is None
    assert current.latest_import(hospital.id, "international").item_count == 1


def test_the_tariffs_list_takes_as_many_statements_for_many_price_lists_as_for_one(as_role, hospital, count_queries):
    client = as_role("finance")
    import_rows(hospital, "T1,ECG,100,EUR,2025-01-01,")
    with count_queries() as few:
        client.get("/billing/tariffs")
    for number in range(10):
        other = make_hospital(f"TST-{number}")
        db.session.commit()
        import_rows(other, "T1,ECG,100,EUR,2025-01-01,")
        import_rows(other, "T1,ECG,150,EUR,2025-01-01,", kind="international")
        import_rows(other, "T1,ECG,160,EUR,2025-01-01,", kind="international")
    with count_queries() as many:
        page = text(client.get("/billing/tariffs"))
    assert len(few) == len(many)
    assert page.count("?kind=international") == 10
