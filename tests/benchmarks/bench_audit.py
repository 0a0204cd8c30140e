"""The bill audit: a generated 10,000-line bill against a generated 100,000-item resident tariff.

The tariff is imported through `billing.tariffs.importing.import_tariff` (the app's own import: CSV parsed and
checked, bulk INSERTs in chunks), and that import's duration is printed. The baseline is a plain dict lookup of the
bill's codes over the same tariff rows (building the dict included, as the audit builds its index); beside it: the
pure audit, the audit with an index built beforehand, reading the CSV, loading the current tariff (as columns, and as
ORM rows through `tariffs.current.current_tariff` for comparison), and the whole `flask bills audit --json` command
for this bill and for a 100-line one (each loads only its own codes). Then the SQL statements the command sends for
bills of 100 and 10,000 lines (one SELECT per `findings.CODE_CHUNK` codes of the bill).
"""

from __future__ import annotations

import json
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from backoffice.billing.audit import TariffVersion, audit_bill, index_tariff
from backoffice.billing.bills import findings
from backoffice.billing.bills.cli import bills_cli
from backoffice.billing.bills.csv_file import HEADER, read_bill_csv
from backoffice.billing.models import TariffItem
from backoffice.billing.tariffs import current as current_tariffs
from backoffice.billing.tariffs import importing
from backoffice.billing.tariffs.current import current_import_id
from backoffice.extensions import db
from tests.benchmarks.timing import measure, report
from tests.factories import make_hospital

TARIFF_ITEMS = 100_000
BILL_LINES = 10_000
TWO_VERSION_CODES = 10_000  # 10,000 codes with two versions, 80,000 with one: 100,000 items


def current_tariff_versions(hospital_id: int) -> list[TariffVersion]:
    """The whole current tariff in one SELECT of plain columns: what the command read before it loaded only the
    bill's codes, kept as a comparison."""
    query = select(
        TariffItem.code,
        TariffItem.resident_price,
        TariffItem.currency,
        TariffItem.valid_from,
        TariffItem.valid_to,
        TariffItem.id,
    ).where(TariffItem.import_id == current_import_id(hospital_id))
    return [TariffVersion(*row) for row in db.session.execute(query)]


def generated_tariff(rng: random.Random) -> tuple[bytes, dict[str, list[tuple[Decimal, date, date | None]]]]:
    rows = ["code,description,resident_price,currency,valid_from,valid_to"]
    versions: dict[str, list[tuple[Decimal, date, date | None]]] = {}
    codes = TARIFF_ITEMS - TWO_VERSION_CODES
    for n in range(codes):
        code = f"C{n:06d}"
        price = Decimal(rng.randrange(100, 900_000)) / 100
        if n < TWO_VERSION_CODES:
            later = (price * Decimal("1.04")).quantize(Decimal("0.01"))
            versions[code] = [(price, date(2025, 1, 1), date(2025, 12, 31)), (later, date(2026, 1, 1), None)]
        else:
            versions[code] = [(price, date(2025, 1, 1), None)]
        for resident_price, valid_from, valid_to in versions[code]:
            rows.append(f"{code},item {code},{resident_price},EUR,{valid_from},{valid_to or ''}")
    assert len(rows) == TARIFF_ITEMS + 1
    return ("\n".join(rows) + "\n").encode(), versions


def generated_bill(rng: random.Random, versions, lines: int) -> bytes:
    """Mostly priced lines (some overcharged x1.30, some below), with unknown codes, dates before any version,
    currency mismatches, duplicates and a few unreadable rows, as a real bill might have."""
    codes = list(versions)
    rows = [HEADER]
    previous = ""
    for n in range(1, lines + 1):
        kind = rng.random()
        code = rng.choice(codes)
        day = date(2025, 6, 1) + timedelta(days=rng.randrange(365))
        price = next(p for p, start, end in reversed(versions[code]) if start <= day)
        quantity = rng.randrange(1, 6)
        currency = "EUR"
        if kind < 0.02:
            code = f"X{n:06d}"
        elif kind < 0.04:
            day = date(2024, 6, 1)
        elif kind < 0.05:
            currency = "USD"
        elif kind < 0.20:
            price = (price * Decimal("1.30")).quantize(Decimal("0.01"))
        elif kind < 0.25:
            price = (price * Decimal("0.90")).quantize(Decimal("0.01"))
        row = f"{n},{day},{code},item {code},{quantity},{price},{currency}"
        if kind > 0.995 and previous:
            row = f"{n}," + previous.split(",", 1)[1]
        elif 0.99 < kind <= 0.995:
            row = f"{n},{day},{code},item,{quantity},12;50,{currency}"
        rows.append(row)
        previous = row
    return ("\n".join(rows) + "\n").encode()


def test_audit_of_a_10000_line_bill_against_a_100000_item_tariff(app, count_queries, tmp_path):
    if "bills" not in app.cli.commands:
        app.cli.add_command(bills_cli)
    runner = app.test_cli_runner()
    rng = random.Random(2026)
    tariff_csv, versions = generated_tariff(rng)
    hospital = make_hospital("BEN-AUD")
    db.session.commit()

    started = time.perf_counter()
    tariff_import = importing.import_tariff(hospital.id, tariff_csv, "tariff.csv", actor_id=None)
    db.session.commit()
    import_seconds = time.perf_counter() - started
    assert tariff_import.item_count == TARIFF_ITEMS
    print(
        f"\nimport of the {TARIFF_ITEMS:,}-item tariff ({len(tariff_csv) / 1e6:.1f} MB CSV) through "
        f"billing.tariffs.importing.import_tariff, commit included: {import_seconds:.2f} s"
    )

    bill_csv = generated_bill(rng, versions, BILL_LINES)
    path = tmp_path / "bill.csv"
    path.write_bytes(bill_csv)
    small = tmp_path / "small.csv"
    small.write_bytes(generated_bill(rng, versions, 100))

    tariff = current_tariff_versions(hospital.id)
    db.session.rollback()
    assert tariff is not None and len(tariff) == TARIFF_ITEMS
    lines = read_bill_csv(bill_csv)
    assert len(lines) == BILL_LINES
    index = index_tariff(tariff)

    def baseline():
        prices = {version.code: version.price for version in tariff}
        return [prices.get(line.code) for line in lines]

    def load_tariff():
        current_tariff_versions(hospital.id)
        db.session.rollback()

    small_codes = {line.code.strip() for line in read_bill_csv(small.read_bytes())}

    def load_small_tariff():
        findings.tariff_index(current_import_id(hospital.id), small_codes)
        db.session.rollback()

    def load_tariff_orm():
        current_tariffs.current_tariff(hospital.id)
        db.session.rollback()

    def command(file=path):
        result = runner.invoke(args=["bills", "audit", "BEN-AUD", str(file), "--json"])
        assert result.exit_code == 0, result.output
        return result

    result = audit_bill(lines, tariff)
    print("statuses:", ", ".join(f"{status} {count}" for status, count in result.counts.items()))
    print("surcharge coefficient:", result.surcharge_coefficient, "(median ratio", result.median_ratio, ")")
    report(
        f"bill audit: {BILL_LINES:,} lines against {TARIFF_ITEMS:,} tariff items",
        measure("baseline: dict of the rows + lookups", baseline, repeat=10, warmup=2),
        measure("audit_bill (index built inside)", lambda: audit_bill(lines, tariff), repeat=10, warmup=2),
        measure("audit_bill (index built before)", lambda: audit_bill(lines, index), repeat=10, warmup=2),
        measure("index_tariff alone", lambda: index_tariff(tariff), repeat=10, warmup=2),
        measure("read_bill_csv (10,000 rows)", lambda: read_bill_csv(bill_csv), repeat=10, warmup=2),
        measure("load current tariff (columns, 2 SELECTs)", load_tariff, repeat=5, warmup=1),
        measure("load the 100 codes of a 100-line bill", load_small_tariff, repeat=10, warmup=2),
        measure("tariffs.current.current_tariff (ORM rows)", load_tariff_orm, repeat=5, warmup=1),
        measure("flask bills audit --json (whole command)", command, repeat=5, warmup=1),
        measure("the command, a 100-line bill", lambda: command(small), repeat=10, warmup=2),
    )

    sent = {}
    for name, file in (("100 lines", small), (f"{BILL_LINES:,} lines", path)):
        with count_queries() as statements:
            output = json.loads(command(file).stdout)
        sent[name] = len(statements)
        assert len(output["lines"]) in (100, BILL_LINES)
    print(
        "\nSQL statements sent by `flask bills audit` (the hospital, its current import, the items of the bill's codes:"
    )
    print(f"one SELECT per {findings.CODE_CHUNK} codes)")
    for name, count in sent.items():
        print(f"  {name:<20} {count}")
    assert sent["100 lines"] == 3
