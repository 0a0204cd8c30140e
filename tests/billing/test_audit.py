"""The bill audit's rules, as pure functions: one status per line, in the order of the checks, totals, coefficient."""

from __future__ import annotations

import ast
import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from backoffice.billing import audit
from backoffice.billing.audit import RawLine, TariffVersion, audit_bill, index_tariff, version_on
from backoffice.money import Money

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

_rows = itertools.count(2)


def line(
    code="A1",
    quantity="1",
    unit_price="100.00",
    *,
    day="2026-03-10",
    currency="EUR",
    line_no=None,
    error=None,
) -> RawLine:
    return RawLine(
        row=next(_rows),
        line_no=line_no,
        date=day,
        code=code,
        description=f"item {code}",
        quantity=quantity,
        unit_price=unit_price,
        currency=currency,
        error=error,
    )


def version(code="A1", price="100.00", currency="EUR", valid_from="2025-01-01", valid_to=None) -> TariffVersion:
    return TariffVersion(
        code,
        Decimal(price),
        currency,
        date.fromisoformat(valid_from),
        date.fromisoformat(valid_to) if valid_to else None,
    )


TARIFF = [
    version("A1", "100.00"),
    version("B2", "50.00"),
    version("OLD", "10.00", valid_to="2025-06-30"),
    version("USD1", "80.00", currency="USD"),
]


def statuses(lines, tariff=TARIFF, **options) -> list[str]:
    return [result.status for result in audit_bill(lines, tariff, **options).lines]


def only(lines, tariff=TARIFF, **options):
    (result,) = audit_bill(lines, tariff, **options).lines
    return result


# ---------------------------------------------------------------------------------------------- each status


def test_line_at_resident_price_is_ok_with_its_amounts():
    result = only([line("A1", "2", "100.00")])
    assert result.status == "ok"
    assert (result.charged, result.expected, result.difference) == (
        Money("200.00", "EUR"),
        Money("200.00", "EUR"),
        Money("0.00", "EUR"),
    )


def test_a_priced_line_names_the_tariff_version_that_priced_it():
    tariff = [
        version("V", "90.00", valid_to="2025-12-31"),
        TariffVersion("V", Decimal(100), "EUR", date(2026, 1, 1), None, 7),
    ]
    assert only([line("V")], tariff=tariff).version.item_id == 7
    assert only([line("ZZ9")], tariff=tariff).version is None


def test_bill_line_above_resident_price_is_overcharged():
    result = only([line("A1", "2", "130.00")])
    assert result.status == "overcharged"
    assert result.difference == Money("60.00", "EUR")


def test_bill_line_below_resident_price_is_below_tariff():
    result = only([line("A1", "1", "99.99")])
    assert result.status == "below_tariff"
    assert result.difference == Money("-0.01", "EUR")


def test_code_missing_from_the_tariff_is_unknown_code_without_a_price_comparison():
    result = only([line("ZZ9")])
    assert result.status == "unknown_code"
    assert result.expected is None and result.difference is None and not result.priced


def test_code_without_a_version_on_the_line_date_is_no_valid_tariff():
    assert statuses([line("OLD", day="2026-03-10")]) == ["no_valid_tariff"]


def test_line_in_another_currency_than_the_tariff_is_currency_mismatch():
    assert statuses([line("A1", currency="USD"), line("USD1", unit_price="80.00", currency="USD")]) == [
        "currency_mismatch",
        "ok",
    ]


def test_same_date_code_quantity_price_and_currency_as_an_earlier_line_is_a_duplicate():
    assert statuses([line("A1"), line("A1"), line("A1")]) == ["ok", "duplicate", "duplicate"]


@pytest.mark.parametrize(
    "different",
    [
        {"day": "2026-03-11"},
        {"code": "B2"},
        {"quantity": "2"},
        {"unit_price": "100.01"},
        {"currency": "USD"},
    ],
)
def test_a_line_differing_in_one_of_the_five_values_is_not_a_duplicate(different):
    values = {"code": "A1", "quantity": "1", "unit_price": "100.00", "day": "2026-03-10", "currency": "EUR"} | different
    assert "duplicate" not in statuses([line("A1"), line(**values)])


def test_duplicates_compare_values_not_spelling():
    assert statuses([line("A1", "2", "100"), line(" A1 ", "2.0", "100.00", currency="eur")]) == ["ok", "duplicate"]


def test_a_bill_without_problems_has_no_findings():
    result = audit_bill([line("A1"), line("B2", unit_price="50.00")], TARIFF)
    assert result.counts == {"ok": 2}
    assert result.surcharge_coefficient is None


# ---------------------------------------------------------------------------------------------- invalid lines


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"day": "2026-13-45"}, "date '2026-13-45' is not a date (use YYYY-MM-DD)"),
        ({"day": "2026-02-30"}, "date '2026-02-30' is not a date"),
        ({"day": "10.03.2026"}, "date '10.03.2026' is not a date"),
        ({"day": "20260310"}, "date '20260310' is not a date"),
        ({"day": ""}, "date is missing"),
        ({"quantity": "-2"}, "quantity '-2' is not a positive number"),
        ({"quantity": "0"}, "quantity '0' is not a positive number"),
        ({"quantity": "two"}, "quantity 'two' is not a number"),
        ({"unit_price": "12,0x"}, "unit_price '12,0x' is not a number"),
        ({"unit_price": "12,50"}, "unit_price '12,50' is not a number"),
        ({"unit_price": "1,234.50"}, "unit_price '1,234.50' is not a number"),
        ({"unit_price": "1e3"}, "unit_price '1e3' is not a number"),
        ({"unit_price": "NaN"}, "unit_price 'NaN' is not a number"),
        ({"unit_price": "Infinity"}, "unit_price 'Infinity' is not a number"),
        ({"unit_price": "1.00005"}, "unit_price '1.00005' has more than 4 decimals"),
        ({"unit_price": "\u0661\u0662"}, "is not a number"),  # Arabic-Indic digits are not read as 12
        ({"unit_price": ""}, "unit_price is missing"),
        ({"code": "  "}, "code is missing"),
        ({"code": "C" * 41}, "code has more than 40 characters"),
        ({"currency": ""}, "currency is missing"),
        ({"currency": "ZZZ"}, "currency 'ZZZ' is not an ISO 4217 code"),
        ({"unit_price": "999999999999", "quantity": "2"}, "too large"),
    ],
)
def test_unreadable_line_is_invalid_with_the_reason(values, reason):
    result = only([line(**values)])
    assert result.status == "invalid"
    assert reason in result.reason
    assert result.charged is None and result.expected is None


def test_a_line_whose_resident_amount_cannot_be_an_amount_is_invalid_not_an_error():
    result = only([line("BIG", "9999999", "0")], tariff=[version("BIG", "999999.00")])
    assert (result.status, result.reason) == ("invalid", "quantity x resident price is too large for an amount")


def test_a_charged_amount_that_rounds_to_the_limit_is_invalid_not_an_error():
    result = only([line("A1", "1", "999999999999.9999")])
    assert (result.status, result.reason) == ("invalid", "unit_price x quantity is too large for an amount")


def test_invalid_line_names_every_unreadable_column():
    result = only([line(day="2026-13-45", quantity="-2", unit_price="12,0x", currency="")])
    assert result.reason.split("; ") == [
        "date '2026-13-45' is not a date (use YYYY-MM-DD)",
        "quantity '-2' is not a positive number",
        "unit_price '12,0x' is not a number (use digits and a dot, such as 1234.50)",
        "currency is missing",
    ]


def test_row_the_file_reader_could_not_split_is_invalid_with_its_reason():
    result = only([line(error="the row has 5 values, the header 7")])
    assert (result.status, result.reason) == ("invalid", "the row has 5 values, the header 7")


def test_the_rest_of_the_bill_is_audited_after_an_invalid_line():
    assert statuses([line(quantity="x"), line("A1"), line("ZZ9")]) == ["invalid", "ok", "unknown_code"]


def test_decimal_quantities_are_read():
    result = only([line("A1", "1.5", "100.00")])
    assert (result.status, result.charged) == ("ok", Money("150.00", "EUR"))


def test_zero_unit_price_is_read_and_below_tariff():
    assert statuses([line("A1", unit_price="0"), line("B2", unit_price="-0.00")]) == ["below_tariff", "below_tariff"]


def test_lower_case_currency_is_read_as_its_code():
    assert only([line("A1", currency="eur")]).charged == Money("100.00", "EUR")


# ---------------------------------------------------------------------------------------------- order of the checks


def test_an_invalid_line_is_not_an_earlier_line_for_duplicates():
    assert statuses([line("A1", day="2026-02-30"), line("A1")]) == ["invalid", "ok"]


def test_a_duplicate_of_an_unknown_code_is_a_duplicate():
    assert statuses([line("ZZ9"), line("ZZ9")]) == ["unknown_code", "duplicate"]


def test_a_duplicate_of_a_currency_mismatch_is_a_duplicate():
    assert statuses([line("A1", currency="USD"), line("A1", currency="USD")]) == ["currency_mismatch", "duplicate"]


def test_the_earlier_line_keeps_its_own_status():
    assert statuses([line("A1", unit_price="130.00"), line("A1", unit_price="130.00")]) == ["overcharged", "duplicate"]


def test_no_valid_tariff_comes_before_currency_mismatch():
    assert statuses([line("OLD", currency="USD")]) == ["no_valid_tariff"]


STAY = (date(2026, 3, 1), date(2026, 3, 20))


def test_line_dated_outside_the_stay_is_outside_stay_with_its_price_comparison():
    result = only([line("A1", unit_price="120.00", day="2026-02-27")], stay=STAY)
    assert result.status == "outside_stay"
    assert (result.charged, result.expected) == (Money("120.00", "EUR"), Money("100.00", "EUR"))


def test_the_stay_margin_covers_pre_and_post_treatment_examinations():
    lines = [line("A1", day="2026-02-27"), line("B2", unit_price="50.00", day="2026-03-23")]
    assert statuses(lines, stay=STAY, stay_margin_days=2) == ["ok", "outside_stay"]
    assert statuses(lines, stay=STAY, stay_margin_days=3) == ["ok", "ok"]


def test_a_stay_without_discharge_has_no_end():
    assert statuses([line("A1", day="2026-12-31")], stay=(date(2026, 3, 1), None)) == ["ok"]


def test_code_outside_the_programme_is_not_in_programme_with_its_price_comparison():
    result = only([line("B2", unit_price="55.00")], programme_codes={"A1"})
    assert (result.status, result.difference) == ("not_in_programme", Money("5.00", "EUR"))


def test_outside_stay_comes_before_not_in_programme():
    assert statuses([line("B2", day="2026-04-30")], stay=STAY, programme_codes={"A1"}) == ["outside_stay"]


def test_stay_and_programme_apply_only_to_lines_that_would_be_priced():
    lines = [line("ZZ9", day="2026-04-30"), line("OLD", day="2026-04-30"), line("A1", currency="USD", day="2026-04-30")]
    assert statuses(lines, stay=STAY, programme_codes=set()) == ["unknown_code", "no_valid_tariff", "currency_mismatch"]


# ---------------------------------------------------------------------------------------------- versions and dates

VERSIONS = [
    version("V", "100.00", valid_from="2025-01-01", valid_to="2025-12-31"),
    version("V", "104.00", valid_from="2026-01-01", valid_to="2026-06-30"),
    version("V", "110.00", valid_from="2026-08-01"),
]


@pytest.mark.parametrize(
    ("day", "status", "expected"),
    [
        ("2024-12-31", "no_valid_tariff", None),
        ("2025-01-01", "ok", "100.00"),
        ("2025-12-31", "ok", "100.00"),  # valid_to is inclusive
        ("2026-01-01", "below_tariff", "104.00"),  # the next version starts the day after
        ("2026-06-30", "below_tariff", "104.00"),
        ("2026-07-15", "no_valid_tariff", None),  # a gap between versions
        ("2026-08-01", "below_tariff", "110.00"),
        ("2031-01-01", "below_tariff", "110.00"),  # open-ended
    ],
)
def test_the_version_valid_on_the_line_date_prices_it(day, status, expected):
    result = only([line("V", unit_price="100.00", day=day)], tariff=VERSIONS)
    assert result.status == status
    assert (result.expected.amount if result.expected else None) == (Decimal(expected) if expected else None)


def test_the_version_currency_decides_a_mismatch():
    versions = [version("V", "100.00", "USD", "2025-01-01", "2025-12-31"), version("V", "95.00", "EUR", "2026-01-01")]
    assert statuses([line("V", day="2025-06-01"), line("V", day="2026-06-01")], tariff=versions) == [
        "currency_mismatch",
        "overcharged",
    ]


def test_tariff_is_indexed_by_code_with_versions_in_date_order():
    index = index_tariff(reversed(VERSIONS))
    assert [v.price for v in index["V"]] == [Decimal("100.00"), Decimal("104.00"), Decimal("110.00")]
    assert version_on(index["V"], date(2026, 7, 15)) is None
    assert audit_bill([line("V", day="2025-05-05")], index).lines[0].status == "ok"


# ---------------------------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("quantity", "unit_price", "charged"),
    [
        ("1", "0.125", "0.13"),
        ("1", "2.675", "2.68"),  # 2.67 with a binary float
        ("1", "1.005", "1.01"),
        ("1.5", "33.33", "50.00"),  # 49.995
        ("3", "0.3335", "1.00"),  # 1.0005
        ("0.25", "0.1", "0.03"),  # 0.025
    ],
)
def test_line_amounts_are_rounded_half_up_to_the_cent_with_decimals(quantity, unit_price, charged):
    result = only([line("R", quantity, unit_price)], tariff=[version("R", unit_price)])
    assert result.charged.amount == Decimal(charged)
    assert result.expected.amount == Decimal(charged)
    assert isinstance(result.charged.amount, Decimal)
    assert result.status == "ok"


def test_amounts_are_compared_after_rounding():
    # 0.125 and 0.1251 both round to 0.13: the hospital charged what the tariff allows.
    assert statuses([line("R", "1", "0.1251")], tariff=[version("R", "0.125")]) == ["ok"]
    assert statuses([line("R", "1", "0.1351")], tariff=[version("R", "0.125")]) == ["overcharged"]


# ---------------------------------------------------------------------------------------------- totals


def test_totals_per_currency_over_priced_lines_and_unpriced_money():
    tariff = [*TARIFF, version("U2", "10.00", "USD")]
    lines = [
        line("A1", "2", "130.00"),  # overcharged by 60
        line("B2", "1", "40.00"),  # below tariff by 10: not an overcharge
        line("A1", "1", "100.00", day="2026-03-11"),  # ok
        line("A1", "2", "130.00"),  # duplicate: 260 unpriced
        line("ZZ9", "3", "10.00"),  # unknown: 30 unpriced
        line("OLD", "1", "5.55"),  # no valid tariff: 5.55 unpriced
        line("A1", "1", "99.00", currency="USD"),  # currency mismatch: 99 USD unpriced
        line("U2", "1", "12.00", currency="USD"),  # overcharged by 2 USD
        line("A1", "x", "999.00"),  # invalid: in no total
    ]
    totals = audit_bill(lines, tariff).totals
    assert list(totals) == ["EUR", "USD"]
    eur, usd = totals["EUR"], totals["USD"]
    assert (eur.charged, eur.expected, eur.overcharge, eur.unpriced) == (
        Decimal("400.00"),
        Decimal("350.00"),
        Decimal("60.00"),
        Decimal("295.55"),
    )
    assert (eur.priced_lines, eur.unpriced_lines) == (3, 3)
    assert (usd.charged, usd.expected, usd.overcharge, usd.unpriced) == (
        Decimal("12.00"),
        Decimal("10.00"),
        Decimal("2.00"),
        Decimal("99.00"),
    )


def test_outside_stay_and_not_in_programme_lines_count_as_priced():
    lines = [line("A1", unit_price="150.00", day="2026-05-01"), line("B2", unit_price="50.00")]
    total = audit_bill(lines, TARIFF, stay=STAY, programme_codes={"A1"}).totals["EUR"]
    assert (total.charged, total.expected, total.overcharge, total.unpriced) == (
        Decimal("200.00"),
        Decimal("150.00"),
        Decimal("50.00"),
        Decimal("0.00"),
    )


def test_a_bill_of_invalid_lines_has_no_totals():
    result = audit_bill([line(quantity="0"), line(day="x")], TARIFF)
    assert result.totals == {}
    assert result.surcharge_coefficient is None and result.median_ratio is None


# ---------------------------------------------------------------------------------------------- surcharge coefficient


def priced(*ratios: str):
    """One line per ratio, each against a resident price of 100.00."""
    tariff = [version(f"C{i}", "100.00") for i in range(len(ratios))]
    lines = [line(f"C{i}", "1", str(Decimal(ratio) * 100)) for i, ratio in enumerate(ratios)]
    return audit_bill(lines, tariff)


def test_every_price_times_1_30_gives_a_surcharge_coefficient_of_1_30():
    tariff = [version(f"S{i}", f"{100 + 37 * i}.{i % 100:02d}") for i in range(40)]
    lines = [
        line(v.code, str(1 + i % 3), str((v.price * Decimal("1.30")).quantize(Decimal("0.0001"))))
        for i, v in enumerate(tariff)
    ]
    result = audit_bill(lines, tariff)
    assert result.surcharge_coefficient == Decimal("1.30")
    assert result.counts == {"overcharged": 40}


def test_coefficient_is_the_median_ratio_for_an_odd_count():
    assert priced("1.00", "1.40", "1.10", "1.20", "3.00").surcharge_coefficient == Decimal("1.20")


def test_coefficient_is_the_mean_of_the_two_middle_ratios_for_an_even_count():
    assert priced("1.00", "1.10", "1.20", "5.00").surcharge_coefficient == Decimal("1.15")


def test_the_median_is_rounded_half_up_to_two_decimals():
    assert priced("1.10", "1.115").surcharge_coefficient == Decimal("1.11")  # 1.1075
    assert priced("1.1", "1.11").surcharge_coefficient == Decimal("1.11")  # 1.105


def test_coefficient_of_exactly_1_05_is_shown():
    assert priced("1.05").surcharge_coefficient == Decimal("1.05")
    assert priced("1.00", "1.0998").surcharge_coefficient == Decimal("1.05")  # 1.0499 rounds to 1.05


def test_coefficient_below_1_05_is_not_shown():
    result = priced("1.00", "1.04", "1.20")
    assert result.surcharge_coefficient is None
    assert result.median_ratio == Decimal("1.04")


def test_a_few_bad_lines_do_not_make_a_coefficient():
    assert priced("1.00", "1.00", "1.00", "2.50", "3.00").surcharge_coefficient is None


def test_unpriced_lines_and_lines_with_zero_resident_price_have_no_ratio():
    tariff = [version("FREE", "0.00"), version("A1", "100.00")]
    lines = [line("FREE", unit_price="10.00"), line("ZZ9", unit_price="900.00"), line("A1", unit_price="130.00")]
    assert audit_bill(lines, tariff).surcharge_coefficient == Decimal("1.30")


# ---------------------------------------------------------------------------------------------- line numbers, purity


def test_line_number_is_the_bills_own_else_the_csv_row():
    lines = [line(line_no=7), RawLine(12, None, "2026-03-10", "A1", "", "2", "100.00", "EUR")]
    assert [result.line for result in audit_bill(lines, TARIFF).lines] == [7, 12]


def test_counts_follow_the_order_of_the_checks():
    result = audit_bill([line("A1"), line("ZZ9"), line(quantity="0"), line("A1")], TARIFF)
    assert list(result.counts.items()) == [("invalid", 1), ("duplicate", 1), ("unknown_code", 1), ("ok", 1)]


def test_the_audit_module_imports_neither_flask_nor_sqlalchemy():
    tree = ast.parse(Path(audit.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {name for name in imported if name.split(".")[0] in {"flask", "flask_sqlalchemy", "sqlalchemy"}}
