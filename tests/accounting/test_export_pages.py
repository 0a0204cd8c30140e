"""Finance's DATEV pages: a period chosen shows what an export would carry, the export is one POST, past exports
list what each carried, and each file downloads byte for byte as archived (logged); bad periods get a 4xx."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.accounting.models import DatevExport
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.accounting.factories import november
from tests.helpers import page_text

NOVEMBER = {"period_from": "2026-11-01", "period_to": "2026-11-30"}


def exported(client) -> DatevExport:
    response = client.post("/accounting/datev", data=NOVEMBER)
    assert response.status_code == 302, page_text(response)
    db.session.expire_all()
    return db.session.scalars(select(DatevExport).order_by(DatevExport.id.desc())).first()


def test_the_export_page_shows_what_the_period_would_carry(app, monkeypatch, as_role):
    november(monkeypatch)
    page = page_text(as_role("finance").get("/accounting/datev?from=2026-11-01&to=2026-11-30"))
    assert "New invoices and credit notes" in page and "Export 5 new bookings" in page
    assert re.search(r'stat-value">3<.*New invoices and credit notes', page, re.S)


def test_finance_exports_a_month_and_a_second_export_says_what_was_left_out(app, monkeypatch, as_role):
    client = as_role("finance")
    month = november(monkeypatch)
    first = exported(client)
    page = page_text(client.get(f"/accounting/datev/{first.id}"))
    assert "5 new bookings exported." in page
    assert month.final.number in page and first.sha256 in page
    refused = client.post("/accounting/datev", data=NOVEMBER)
    assert refused.status_code == 422
    assert "Nothing new to export for 01.11.2026 - 30.11.2026" in page_text(refused)
    listing = page_text(client.get("/accounting/datev?from=2026-11-01&to=2026-11-30"))
    assert "Nothing new to export for this period." in listing and "Earlier exports of this period" in listing
    assert "Frida Finance" in listing


def test_the_file_downloads_byte_identical_to_its_hash_and_the_download_is_logged(app, monkeypatch, as_role):
    client = as_role("finance")
    november(monkeypatch)
    export = exported(client)
    response = client.get(f"/accounting/datev/{export.id}/file")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert hashlib.sha256(response.data).hexdigest() == export.sha256 and len(response.data) == export.size
    assert response.data.startswith(b'"EXTF";700;21;"Buchungsstapel";13;')
    assert 'filename="EXTF_Buchungsstapel_20261101_20261130_00001.csv"' in response.headers["Content-Disposition"]
    logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "datev_export_downloaded"))
    assert logged.object_id == str(export.id)


@pytest.mark.parametrize(
    ("period_from", "period_to", "message"),
    [
        ("2026-11-30", "2026-11-01", "The period ends before it starts."),
        ("2026-11-31", "2026-11-30", "first day is not a date like 2026-11-01"),
        ("2026-11-01", "yesterday", "last day is not a date like 2026-11-30"),
        ("2026-01-01", "2027-06-30", "at most one calendar year"),
    ],
)
def test_bad_periods_are_refused_with_a_message_and_nothing_is_exported(app, as_role, period_from, period_to, message):
    client = as_role("finance")
    shown = client.get(f"/accounting/datev?from={period_from}&to={period_to}")
    assert shown.status_code == 400 and message in page_text(shown)
    posted = client.post("/accounting/datev", data={"period_from": period_from, "period_to": period_to})
    assert posted.status_code == 400 and message in page_text(posted)
    assert db.session.scalar(select(func.count()).select_from(DatevExport)) == 0


def test_an_export_that_does_not_exist_is_a_404(app, as_role):
    client = as_role("finance")
    assert client.get("/accounting/datev/999").status_code == 404
    assert client.get("/accounting/datev/999/file").status_code == 404


def test_the_export_pages_read_in_german(app, monkeypatch, as_german):
    client = as_german("finance")
    november(monkeypatch)
    page = page_text(client.get("/accounting/datev?from=2026-11-01&to=2026-11-30"))
    assert "Neue Rechnungen und Rechnungskorrekturen" in page and "5 neue Buchungen exportieren" in page
    response = client.post("/accounting/datev", data=NOVEMBER)
    assert "5 neue Buchungen exportiert." in page_text(client.get(response.headers["Location"]))


def test_the_export_pages_run_a_fixed_number_of_queries_whatever_the_exports(app, as_role, count_queries):
    client = as_role("finance")

    def statements(path: str) -> int:
        with count_queries() as sent:
            assert client.get(path).status_code == 200
        return len(sent)

    def add_exports(count: int) -> None:
        for _ in range(count):
            db.session.add(
                DatevExport(
                    period_from=date(2026, 11, 1),
                    period_to=date(2026, 11, 30),
                    chart="SKR03",
                    booking_count=1,
                    filename="2026/x.csv",
                    sha256="0" * 64,
                    size=1,
                    created_by_id=None,
                )
            )
        db.session.commit()

    add_exports(1)
    few = statements("/accounting/datev?from=2026-11-01&to=2026-11-30"), statements("/accounting/vat")
    add_exports(20)
    assert (statements("/accounting/datev?from=2026-11-01&to=2026-11-30"), statements("/accounting/vat")) == few
