"""E-invoice bills: a generated 10,000-line CII bill audited against a generated 100,000-item resident tariff.

Two comparisons, each against a baseline timed in the same run (wall-clock p50 of repeated runs in one process, the
garbage collector on, as the command runs):
1. the whole audit of the XML bill (parsed safely - no DOCTYPE, entities or network, libxml2's size and depth limits -
   read into a document, checked against the hospital and its own totals, turned into bill lines, only the bill's
   codes loaded from the tariff, every line audited) against parsing the same XML alone with lxml's default parser
   (goal: at most 2x);
2. the audit's own time (loading the bill's codes from the database and auditing every line) against the dict-lookup
   baseline of bench_audit.py: a dict of the tariff's 100,000 rows built and the bill's codes looked up in it (goal: at
   most 2x).
Beside each, the parts of the whole: the safe parse alone, reading the document, the bill's lines and checks, loading
the codes, the audit alone, the whole `flask bills audit --json` command. Then the SQL statements that load the codes
(one SELECT per `findings.CODE_CHUNK` codes: an IN list on SQLite, `= ANY(array)` on PostgreSQL).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from lxml import etree

from backoffice.billing.audit import TariffVersion, audit_bill
from backoffice.billing.bills import findings
from backoffice.billing.bills.bill_file import read_bill
from backoffice.billing.bills.cli import bills_cli
from backoffice.billing.tariffs import importing
from backoffice.billing.tariffs.current import current_import_id
from backoffice.einvoice import safe_xml
from backoffice.einvoice.reading import read_document
from backoffice.extensions import db
from tests.benchmarks.bench_audit import BILL_LINES, TARIFF_ITEMS, generated_tariff
from tests.benchmarks.timing import measure, report
from tests.billing.einvoice_files import HOSPITAL_VAT_ID, CiiLine, cii_bill
from tests.factories import make_hospital
from tests.helpers import change_settings

MAX_BYTES = 50 * 1024 * 1024


def generated_cii_bill(rng: random.Random, versions, lines: int) -> bytes:
    """Mostly priced lines (some overcharged x1.30, some below), unknown codes, dates before any version."""
    codes = list(versions)
    rows = []
    for n in range(1, lines + 1):
        kind = rng.random()
        code = rng.choice(codes)
        day = date(2025, 6, 1) + timedelta(days=rng.randrange(365))
        price = next(p for p, start, end in reversed(versions[code]) if start <= day)
        quantity = rng.randrange(1, 6)
        if kind < 0.02:
            code = f"X{n:06d}"
        elif kind < 0.04:
            day = date(2024, 6, 1)
        elif kind < 0.20:
            price = (price * Decimal("1.30")).quantize(Decimal("0.01"))
        elif kind < 0.25:
            price = (price * Decimal("0.90")).quantize(Decimal("0.01"))
        rows.append(CiiLine(str(n), code, str(quantity), f"{price:f}", f"{price * quantity:f}", day.strftime("%Y%m%d")))
    return cii_bill(rows)


def cpu_p50(action, repeat: int) -> float:
    """The median CPU time of this process over `repeat` runs (time.process_time): what the code itself costs, which
    other processes on a shared machine do not inflate as they do the wall clock; a PostgreSQL server's is not in it."""
    action()
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        action()
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def test_audit_of_a_10000_line_cii_bill(app, count_queries, tmp_path, monkeypatch):
    change_settings(monkeypatch, app, bill_max_mb=MAX_BYTES // (1024 * 1024))  # the XML is 11.7 MB
    if "bills" not in app.cli.commands:
        app.cli.add_command(bills_cli)
    runner = app.test_cli_runner()
    rng = random.Random(2026)
    tariff_csv, versions = generated_tariff(rng)
    hospital = make_hospital("BEN-EIN")
    hospital.vat_id = HOSPITAL_VAT_ID
    db.session.commit()
    importing.import_tariff(hospital.id, tariff_csv, "tariff.csv", actor_id=None)
    db.session.commit()
    import_id = current_import_id(hospital.id)

    xml = generated_cii_bill(rng, versions, BILL_LINES)
    path = tmp_path / "bill.xml"
    path.write_bytes(xml)
    print(f"\n{BILL_LINES:,}-line CII bill: {len(xml) / 1e6:.1f} MB")

    def parse_alone():
        return etree.fromstring(xml)

    def whole_audit():
        bill = read_bill(xml, hospital, max_bytes=MAX_BYTES)
        index = findings.tariff_index(import_id, {line.code for line in bill.lines})
        db.session.rollback()
        return audit_bill(bill.lines, index)

    lines = read_bill(xml, hospital, max_bytes=MAX_BYTES).lines
    codes = {line.code for line in lines}
    rows = [
        TariffVersion(code, price, "EUR", valid_from, valid_to)
        for code, found in versions.items()
        for price, valid_from, valid_to in found
    ]

    def dict_baseline():
        prices = {version.code: version.price for version in rows}
        return [prices.get(line.code) for line in lines]

    def audit_own_time():
        index = findings.tariff_index(import_id, codes)
        db.session.rollback()
        return audit_bill(lines, index)

    index = findings.tariff_index(import_id, codes)
    db.session.rollback()

    def load_codes():
        findings.tariff_index(import_id, codes)
        db.session.rollback()

    def command(file):
        result = runner.invoke(args=["bills", "audit", "BEN-EIN", str(file), "--json"])
        assert result.exit_code == 0, result.output
        return result

    result = whole_audit()
    print("statuses:", ", ".join(f"{status} {count}" for status, count in result.counts.items()))
    parse = measure("baseline: lxml parse of the XML alone", parse_alone, repeat=10, warmup=2)
    whole = measure("whole audit of the CII bill", whole_audit, repeat=5, warmup=1)
    report(
        f"e-invoice bill audit: {BILL_LINES:,}-line CII bill against parsing it",
        parse,
        measure("safe parse alone (safe_xml.parse)", lambda: safe_xml.parse(xml, max_bytes=MAX_BYTES), repeat=10),
        measure("safe parse + read into a Document", lambda: read_document(xml, max_bytes=MAX_BYTES), repeat=5),
        measure("read_bill (document, checks, lines)", lambda: read_bill(xml, hospital, max_bytes=MAX_BYTES), repeat=5),
        whole,
    )
    baseline = measure("baseline: dict of the rows + lookups", dict_baseline, repeat=10, warmup=2)
    own = measure("audit: load the bill's codes + audit_bill", audit_own_time, repeat=5, warmup=1)
    report(
        f"e-invoice bill audit's own time: {BILL_LINES:,} lines against {TARIFF_ITEMS:,} tariff items",
        baseline,
        own,
        measure("load the bill's codes (CODE_CHUNK each)", load_codes, repeat=5, warmup=1),
        measure("audit_bill alone (index loaded before)", lambda: audit_bill(lines, index), repeat=5, warmup=1),
        measure("flask bills audit --json (whole command)", lambda: command(path), repeat=3, warmup=0),
    )
    with count_queries() as statements:
        findings.tariff_index(import_id, codes)
    db.session.rollback()
    first, second = whole.p50 / parse.p50, own.p50 / baseline.p50
    print(
        f"\nratios (p50): whole audit / parse alone = {first:.1f}x (goal 2x: {'met' if first <= 2 else 'not met'}); "
        f"audit's own time / dict baseline = {second:.1f}x (goal 2x: {'met' if second <= 2 else 'not met'})"
    )
    whole_cpu, parse_cpu = cpu_p50(whole_audit, 5), cpu_p50(parse_alone, 10)
    own_cpu, baseline_cpu = cpu_p50(audit_own_time, 5), cpu_p50(dict_baseline, 10)
    print(
        f"CPU time of this process (p50 ms): whole audit {whole_cpu * 1000:.0f} / parse alone {parse_cpu * 1000:.0f} = "
        f"{whole_cpu / parse_cpu:.1f}x; audit's own time {own_cpu * 1000:.0f} / dict baseline "
        f"{baseline_cpu * 1000:.0f} = {own_cpu / baseline_cpu:.1f}x (without a PostgreSQL server's own time)"
    )
    print(f"SQL statements loading {len(codes):,} codes: {len(statements)} (CODE_CHUNK {findings.CODE_CHUNK})")
    assert len(result.lines) == BILL_LINES
