"""Malformed and hostile e-invoices (XML and PDF bombs, XXE, truncated files, wrong roots, flipped bytes, another
seller) uploaded as a hospital bill and handed to `flask bills audit`: never a 5xx or a crash, a refusal stores
nothing (no bill, no line, no archived file), and the command exits 0 or 2."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select

from backoffice.billing.bills.cli import bills_cli
from backoffice.billing.models import BillLine, HospitalBill
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.extensions import db
from backoffice.storage.archive import archive_root
from tests.billing.einvoice_files import HOSPITAL_VAT_ID, SAMPLES
from tests.factories import make_case, make_hospital
from tests.tools.fuzz.einvoices import malformed_einvoice

EXAMPLES = 60


@pytest.fixture
def clinic_case():
    hospital = make_hospital("FRA-SCF")
    hospital.vat_id = HOSPITAL_VAT_ID
    import_tariff(hospital.id, (SAMPLES / "tariffs.csv").read_bytes(), "tariffs.csv", None)
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    return case


def stored() -> tuple:
    root = archive_root()
    files = len(list(root.rglob("bill-*"))) if root.exists() else 0
    return (
        db.session.scalar(select(func.count()).select_from(HospitalBill)),
        db.session.scalar(select(func.count()).select_from(BillLine)),
        files,
    )


def test_malformed_e_invoice_uploads_are_refused_with_a_4xx_and_store_nothing(as_role, clinic_case):
    client = as_role("finance")
    references = iter(range(1, 10_000))

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(malformed_einvoice())
    def upload(payload):
        content, how = payload
        before = stored()
        form = {"reference": f"F-{next(references)}", "received_on": "", "file": (io.BytesIO(content), "bill.xml")}
        response = client.post(f"/billing/cases/{clinic_case.id}/bills/new", data=form)
        assert response.status_code < 500, how
        db.session.expire_all()
        if response.status_code >= 400:
            assert stored() == before, how

    upload()


def test_malformed_e_invoices_make_the_command_exit_0_or_2(app, clinic_case, tmp_path):
    if "bills" not in app.cli.commands:
        app.cli.add_command(bills_cli)
    runner = app.test_cli_runner()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(malformed_einvoice())
    def audit(payload):
        content, how = payload
        path = tmp_path / "bill"
        path.write_bytes(content)
        result = runner.invoke(args=["bills", "audit", "FRA-SCF", str(path), "--json"])
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        assert not crashed and result.exit_code in (0, 2), f"{how}: {result.output}"
        assert "root:x:" not in result.output

    audit()
