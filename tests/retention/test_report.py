"""The retention report on a known world: per kind of stored file how many, how many past their last day, falling
due this year and next; the medical records the operator's policy no longer keeps (listed, never deleted); the erased
patients' records in numbers; the settings at the top. The same figures on the page and from `flask retention
report`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from babel.dates import format_date

from backoffice.cases.models import CaseDocument, CaseEvent
from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.retention import report
from backoffice.storage import files
from tests.factories import make_case
from tests.helpers import change_settings, page_text
from tests.retention.factories import erased_patient

PDF = b"%PDF-1.4 a file\n"


@pytest.fixture
def world(app, local_storage):
    """Files of known days, cases closed at known times, one erased patient."""
    year = operator_today().year
    files.put("archive/r/past.pdf", PDF, kind="invoice", dated=date(year - 9, 5, 1))  # last day 31 Dec last year
    files.put("archive/r/this.pdf", PDF, kind="invoice", dated=date(year - 8, 5, 1))  # last day this 31 Dec
    files.put("archive/r/next.pdf", PDF, kind="invoice", dated=date(year - 7, 5, 1))
    files.put("archive/r/letter.pdf", PDF, kind="letter", dated=date(year - 5, 2, 1))  # 6 years: next year
    files.put("documents/" + "a" * 32, PDF, kind="case_document", dated=date(year, 1, 2))
    gone = files.put("archive/r/gone.pdf", PDF, kind="invoice", dated=date(year - 10, 5, 1))
    files.delete(gone.key, today=date(year, 1, 1))
    due = closed_case("closed", ended=datetime(year - 11, 6, 1, 12, tzinfo=UTC), documents=2)
    closed_case("cancelled", ended=datetime(year - 10, 6, 1, 12, tzinfo=UTC), documents=1)  # kept to 31 Dec
    closed_case("closed", ended=datetime(year - 20, 6, 1, 12, tzinfo=UTC), documents=0)  # nothing held
    make_case(state="in_treatment")
    db.session.commit()
    erased = erased_patient()
    return {"due_case": due, "erased": erased, "year": year}


def closed_case(state: str, *, ended: datetime, documents: int):
    case = make_case(state=state)
    db.session.add(CaseEvent(case_id=case.id, kind="transition", from_state="aftercare", to_state=state,
                             occurred_at=ended))  # fmt: skip
    for n in range(documents):
        db.session.add(
            CaseDocument(case_id=case.id, original_filename=f"scan {n}.pdf", stored_name=f"{case.id:08d}{n:024d}",
                         content_type="application/pdf", size_bytes=10, sha256="0" * 64)
        )  # fmt: skip
    db.session.flush()
    return case


def cells(page: str, marker: str) -> list[str]:
    row = re.search(rf"<tr {marker}>(.*?)</tr>", page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_the_figures_per_kind_of_file_count_the_files_kept_by_when_they_fall_due(world):
    figures = {kind.kind: kind for kind in report.files_by_kind(operator_today())}

    invoice, letter, record = figures["invoice"], figures["letter"], figures["case_document"]
    assert (invoice.files, invoice.past, invoice.this_year, invoice.next_year) == (4, 1, 1, 1)  # + the erased one's
    assert (letter.files, letter.next_year) == (2, 1) and letter.locked and letter.years == 6
    assert (record.files, record.past, record.this_year, record.next_year) == (1, 0, 0, 0) and not record.locked
    assert figures["datev_export"].files == 0  # every kind is listed


def test_medical_records_past_the_operators_policy_are_listed_and_not_deleted(world):
    page = report.medical_due(operator_today())

    assert [due.case.id for due in page.items] == [world["due_case"].id]
    [due] = page.items
    assert due.documents == 2 and due.due_since == date(world["year"], 1, 1)
    assert db.session.query(CaseDocument).filter_by(case_id=world["due_case"].id).count() == 2


def test_a_shorter_policy_brings_more_cases_due(world, app, monkeypatch):
    change_settings(monkeypatch, app, retention_medical_years=5)

    assert report.medical_due(operator_today()).total == 2


def test_the_report_page_shows_the_settings_the_figures_and_the_cases_due(world, as_role):
    response = as_role("finance").get("/retention")
    text = page_text(response)

    assert response.status_code == 200
    assert "8 years" in text and "10 years" in text and "6 years" in text
    assert cells(response.get_data(as_text=True), 'data-kind="invoice"')[3:] == ["4", "1", "1", "1"]
    assert world["due_case"].number in text
    assert format_date(date(world["year"], 1, 1), "long", locale="en") in text  # due since
    assert "Erasures waiting for their deletion day" in text
    assert format_date(world["erased"].delete_on, "long", locale="en") in text  # the next deletion day


def test_the_report_from_the_command_line_gives_the_same_figures(world, app):
    result = app.test_cli_runner().invoke(args=["retention", "report"])

    assert result.exit_code == 0, result.output
    assert re.search(r"^invoice\s+4\s+1\s+1\s+1\s+8 years, locked$", result.output, re.M), result.output
    assert "Medical records due for deletion by policy (report only): 1 case" in result.output
    assert world["due_case"].number in result.output
    assert world["erased"].pseudonym in result.output and world["erased"].invoice_number in result.output
    assert "1 erasures waiting, 0 due, 0 deleted; 5 records kept" in result.output


def test_the_report_page_runs_a_fixed_number_of_statements(world, as_role, count_queries):
    client = as_role("admin")
    with count_queries() as few:
        assert client.get("/retention").status_code == 200
    ended = datetime(world["year"] - 12, 3, 1, 12, tzinfo=UTC)
    for _n in range(3):
        closed_case("closed", ended=ended, documents=2)
    db.session.commit()
    with count_queries() as many:
        assert client.get("/retention").status_code == 200

    assert len(many) == len(few)
