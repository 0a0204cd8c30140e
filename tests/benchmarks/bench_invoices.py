"""Invoicing: issuing a 40-line invoice against WeasyPrint rendering the same HTML bare, and downloading an issued
invoice's PDF.

Issuing is `issuing.issue_invoice` and the commit, as the issue button does: the draft claimed, checked again, its
number taken from the series' counter row, the PDF rendered through the app's renderer (printed data, the template,
WeasyPrint with the static-files-only URL fetcher), archived (temporary file, fsync, rename), the audit rows written.
Each run issues a draft of its own: final invoices of 39 approved bill lines and the coordination fee. The baseline
is the same invoice's HTML made with `render_template` and printed by `weasyprint.HTML(string=...).write_pdf()` with
WeasyPrint's default URL fetcher (same base URL, so the same stylesheet and fonts load). The three run in turn, one
run each per round, so that other work on the machine weighs on all of them alike.

Downloading is GET /invoices/<number>.pdf as finance through the test client (the archived bytes, checked against
their SHA-256), against reading the archived file bare; `archive.read_pdf` alone sits between the two. Where the staff
route is not registered the download is measured through `archive.read_pdf` only, and the report says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from flask import render_template
from weasyprint import HTML
from weasyprint.urls import path2url

from backoffice.billing.models import BillLine, HospitalBill, TariffImport
from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.invoicing import finals, invoices, issuing, queries
from backoffice.invoicing.printing import TEMPLATE, printed_invoice, render_invoice_pdf
from backoffice.pdf import document_context
from backoffice.storage import archive
from tests.benchmarks.timing import Timing, report
from tests.factories import make_hospital
from tests.helpers import login_as
from tests.invoicing.factories import make_invoicing_case

LINES = 40  # 39 bill lines and the coordination fee
WARMUP, REPEAT = 3, 20
SERVICES = (
    ("SC-CONS", "Specialist consultation", "95.00"),
    ("SC-LAB1", "Laboratory panel: blood count, HbA1c, C-peptide", "186.90"),
    ("SC-LEUK", "Leukocytapheresis", "2950.00"),
    ("SC-CRYO", "Cryopreservation of stem cells, per bag", "410.00"),
    ("SC-COND", "Conditioning therapy", "3400.00"),
    ("SC-INF", "Thawed-cell infusion", "2100.00"),
    ("SC-WARD", "Ward bed day", "438.00"),
    ("SC-MRI", "MRI scan", "610.00"),
    ("SC-PHYS", "Physiotherapy session", "62.50"),
    ("SC-OUTP", "Outpatient examination", "140.00"),
)


def approved_bill(case, tariff_import_id: int, lines: int) -> HospitalBill:
    """An approved bill of `lines` accepted lines over five weeks, at the prices charged (no tariff items)."""
    bill = HospitalBill(
        case_id=case.id,
        hospital_id=case.hospital_id,
        reference=f"BENCH-{case.id}",
        received_on=date(2026, 11, 2),
        status="approved",
        tariff_import_id=tariff_import_id,
    )
    db.session.add(bill)
    db.session.flush()
    first_day = date(2026, 9, 28)
    for position in range(1, lines + 1):
        code, description, price = SERVICES[position % len(SERVICES)]
        quantity = Decimal(1 + position % 3)
        db.session.add(
            BillLine(
                bill_id=bill.id,
                position=position,
                line_no=position,
                raw_date="",
                code=code,
                description=description,
                raw_quantity=str(quantity),
                raw_unit_price=price,
                raw_currency="EUR",
                service_on=first_day + timedelta(days=position),
                quantity=quantity,
                unit_price=Decimal(price),
                currency="EUR",
                status="ok",
                charged=quantity * Decimal(price),
                expected=None,
                tariff_item_id=None,
                decision="accepted",
            )
        )
    db.session.flush()
    return bill


def final_drafts(count: int) -> list[int]:
    """`count` draft final invoices of LINES lines each, one per case (a case has one final invoice)."""
    hospital = make_hospital("BEN-INV")
    tariff = TariffImport(hospital_id=hospital.id, filename="tariff.csv", sha256="0" * 64, item_count=0)
    db.session.add(tariff)
    db.session.flush()
    ids = []
    for _ in range(count):
        case = make_invoicing_case(hospital=hospital, estimate="90000.00")
        approved_bill(case, tariff.id, LINES - 1)
        draft, notes = finals.create_final_draft(case.id, actor_id=None)
        assert notes == [] and len(draft.lines) == LINES
        ids.append(draft.id)
    db.session.commit()
    return ids


def interleaved(actions: dict[str, Callable[[], object]], *, repeat: int, warmup: int) -> list[Timing]:
    """Like `measure`, one run of each action in turn: a machine busy with other work slows them all alike."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for round_number in range(warmup + repeat):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            if round_number >= warmup:
                samples[name].append(time.perf_counter() - start)
    return [Timing(name, values) for name, values in samples.items()]


def test_issuing_a_40_line_invoice_and_downloading_it(app, users):
    drafts = iter(final_drafts(1 + WARMUP + REPEAT))
    numbers: list[str] = []

    def issue():
        invoice = issuing.issue_invoice(next(drafts), actor_id=None)
        db.session.commit()
        numbers.append(invoice.number)

    issue()  # the invoice the renderers print
    invoice = invoices.get_invoice(queries.issued_by_number(numbers[-1]).id)
    case_number = db.session.get(Case, invoice.case_id).number
    printed = printed_invoice(invoice, case_number=case_number)
    document = document_context("en")  # what render_pdf gives a document's template beside its data
    base_url = path2url(str(Path(app.static_folder).resolve()))  # as backoffice.pdf.render_pdf

    def bare_weasyprint():
        html = render_template(TEMPLATE, invoice=printed, **document)
        return HTML(string=html, base_url=base_url).write_pdf()

    pdf = bare_weasyprint()
    print(
        f"\n{LINES}-line final invoice {invoice.number} ({invoice.total} {invoice.currency}): {len(pdf) / 1024:.0f} KiB"
    )
    report(
        f"issuing a {LINES}-line invoice (render + archive + numbering) against WeasyPrint bare",
        *interleaved(
            {
                "baseline: template + WeasyPrint bare": bare_weasyprint,
                "render_template alone (the HTML)": lambda: render_template(TEMPLATE, invoice=printed, **document),
                "render_invoice_pdf (the app's renderer)": lambda: render_invoice_pdf(invoice, case_number=case_number),
                f"issue_invoice + commit ({LINES} lines)": issue,
            },
            repeat=REPEAT,
            warmup=WARMUP,
        ),
    )

    path = archive.archive_root() / invoice.pdf_filename
    print(f"numbers issued in the run: {numbers[0]} .. {numbers[-1]}")
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == list(range(1, len(numbers) + 1))

    downloads = {
        "baseline: read the archived file": path.read_bytes,
        "archive.read_pdf (read + SHA-256)": lambda: archive.read_pdf(invoice.pdf_filename, invoice.pdf_sha256),
    }
    url = f"/invoices/{invoice.number}.pdf"
    if "invoicing.download_invoice_pdf" in app.view_functions:
        client = app.test_client()
        login_as(client, users["finance"])
        first = client.get(url)
        assert first.status_code == 200 and first.data == path.read_bytes(), first.status_code

        def download():
            assert client.get(url).status_code == 200

        downloads["GET /invoices/<number>.pdf as finance"] = download
    else:
        print(f"\nnote: GET {url} is not registered in this app; the download is measured through archive.read_pdf")
    report(
        f"downloading an issued invoice's PDF ({path.stat().st_size / 1024:.0f} KiB)",
        *interleaved(downloads, repeat=300, warmup=10),
    )
