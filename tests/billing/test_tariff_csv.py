"""Reading tariff files: every problem listed with its row (header = row 1) and column, nothing half-read."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from backoffice.billing.tariffs.csv_file import (
    HEADER,
    MAX_LISTED_PROBLEMS,
    TariffFileError,
    TariffFileTooLarge,
    parse_tariff,
)

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

SAMPLE = Path(__file__).parent / "samples" / "tariffs.csv"
LIMIT = 20 * 1024 * 1024


def tariff_file(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


def problems_of(data: bytes, max_bytes: int = LIMIT) -> list[str]:
    with pytest.raises(TariffFileError) as refused:
        parse_tariff(data, max_bytes=max_bytes)
    return refused.value.problems


def test_the_sample_tariff_reads_cleanly():
    rows = parse_tariff(SAMPLE.read_bytes(), max_bytes=LIMIT)
    assert len(rows) == len(SAMPLE.read_text().splitlines()) - 1 == 340
    first = rows[0]
    assert (first.row, first.code, first.description) == (2, "T00000", "anaesthesia 0")
    assert (first.resident_price, first.currency) == (Decimal("1596.76"), "EUR")
    assert (first.valid_from, first.valid_to) == (date(2024, 1, 1), date(2025, 6, 30))
    assert rows[1].valid_to is None  # an empty valid_to is open-ended


def test_prices_keep_up_to_four_decimals_exactly():
    rows = parse_tariff(tariff_file("S1,Syringe,0.1234,EUR,2025-01-01,", "S2,Gauze,7,JPY,2025-01-01,"), max_bytes=LIMIT)
    assert [row.resident_price for row in rows] == [Decimal("0.1234"), Decimal("7")]


def test_a_byte_order_mark_blank_lines_and_padded_cells_are_accepted():
    data = b"\xef\xbb\xbf" + tariff_file(" T1 , ECG , 12.50 , eur , 2025-01-01 , ", "", "T2,CT,1,EUR,2025-01-01,", "")
    rows = parse_tariff(data, max_bytes=LIMIT)
    assert [(row.row, row.code, row.description, row.currency) for row in rows] == [
        (2, "T1", "ECG", "EUR"),
        (4, "T2", "CT", "EUR"),
    ]


def test_quoted_descriptions_may_hold_commas():
    rows = parse_tariff(tariff_file('T1,"Consultation, first visit",80.00,EUR,2025-01-01,'), max_bytes=LIMIT)
    assert rows[0].description == "Consultation, first visit"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "code,description,price,currency,valid_from,valid_to",
            "missing column resident_price; unknown column 'price'",
        ),
        ("code,description,resident_price,currency,valid_from", "missing column valid_to"),
        # Issue 14: a semicolon header is German Excel's and is read; a separator no spreadsheet uses is not.
        ("code|description|resident_price|currency|valid_from|valid_to", "missing columns"),
        ("T1,ECG,12.50,EUR,2025-01-01,", "missing columns code, description"),
    ],
)
def test_a_wrong_header_is_named_on_row_1(header, expected):
    problems = problems_of(tariff_file("T1,ECG,12.50,EUR,2025-01-01,", header=header))
    assert len(problems) == 1
    assert problems[0].startswith(f"row 1: the header must be `{HEADER}`")
    assert expected in problems[0]


def test_columns_may_come_in_another_order():
    header = "valid_from,valid_to,code,description,currency,resident_price"
    rows = parse_tariff(tariff_file("2025-01-01,,T1,ECG,EUR,12.50", header=header), max_bytes=LIMIT)
    assert (rows[0].code, rows[0].resident_price, rows[0].valid_from) == ("T1", Decimal("12.50"), date(2025, 1, 1))


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(data):
    assert problems_of(data) == [f"The file is empty: it needs the header row `{HEADER}` and at least one item."]


def test_a_header_without_items_is_refused():
    assert "has a header but no items" in problems_of(tariff_file())[0]


def test_a_file_that_is_not_utf8_names_the_row():
    data = tariff_file("T1,ECG,1,EUR,2025-01-01,", "T2,Caf\u00e9,1,EUR,2025-01-01,").decode().encode("latin-1")
    assert problems_of(data) == [
        "row 3: the file is not UTF-8 text (byte 0xe9 cannot be read); save it as “CSV UTF-8” and import it again."
    ]


def test_a_file_above_the_limit_is_refused_before_reading():
    with pytest.raises(TariffFileTooLarge) as refused:
        parse_tariff(b"x" * (2 * 1024 * 1024 + 1), max_bytes=2 * 1024 * 1024)
    assert refused.value.problems == ["The file is too large: a tariff file may have at most 2 MB."]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ('T1,ECG,"12,50",EUR,2025-01-01,', "row 2, resident_price: '12,50' has a comma"),
        ("T1,ECG,12,50,EUR,2025-01-01,", "row 2, resident_price: '12,50' has a comma, which splits the row into 7"),
        ("T1,ECG,1.23456,EUR,2025-01-01,", "row 2, resident_price: '1.23456' has more than 4 decimals"),
        ("T1,ECG,-5.00,EUR,2025-01-01,", "row 2, resident_price: '-5.00' is negative"),
        ("T1,ECG,abc,EUR,2025-01-01,", "row 2, resident_price: 'abc' is not a price"),
        ("T1,ECG,1e3,EUR,2025-01-01,", "row 2, resident_price: '1e3' is not a price"),
        ("T1,ECG,,EUR,2025-01-01,", "row 2, resident_price: empty"),
        ("T1,ECG,12.50,EUX,2025-01-01,", "row 2, currency: 'EUX' is not an ISO 4217 currency code"),
        ("T1,ECG,12.50,,2025-01-01,", "row 2, currency: empty"),
        ("T1,ECG,12.50,EUR,2026-13-45,", "row 2, valid_from: '2026-13-45' is not a date; write dates as YYYY-MM-DD"),
        ("T1,ECG,12.50,EUR,01.02.2025,", "row 2, valid_from: '01.02.2025' is not a date"),
        ("T1,ECG,12.50,EUR,,", "row 2, valid_from: empty"),
        ("T1,ECG,12.50,EUR,2025-01-01,2025-02-30", "row 2, valid_to: '2025-02-30' is not a date"),
        ("T1,ECG,12.50,EUR,2025-06-01,2025-05-31", "row 2, valid_to: 2025-05-31 is before valid_from 2025-06-01"),
        (",ECG,12.50,EUR,2025-01-01,", "row 2, code: empty"),
        ("T1,,12.50,EUR,2025-01-01,", "row 2, description: empty"),
        (f"{'T' * 41},ECG,12.50,EUR,2025-01-01,", "row 2, code: 41 characters; a code has at most 40"),
        (f"T1,{'d' * 301},12.50,EUR,2025-01-01,", "row 2, description: 301 characters; a description has at most 300"),
        ("T\x001,ECG,12.50,EUR,2025-01-01,", "row 2, code: contains a line break or control character (U+0000)"),
        ('T1,"ECG\nrest",12.50,EUR,2025-01-01,', "row 2, description: contains a line break or control character"),
        ("T1,ECG,12.50,EUR,2025-01-01", "row 2: 5 values, but the header has 6 columns"),
        ('T1,"ECG"x,12.50,EUR,2025-01-01,', "row 2: the CSV cannot be read past this row"),
    ],
)
def test_each_bad_value_is_named_by_row_and_column(row, expected):
    problems = problems_of(tariff_file(row))
    assert len(problems) == 1
    assert problems[0].startswith(expected), problems[0]


def test_every_problem_of_every_row_is_listed_in_row_order():
    problems = problems_of(
        tariff_file(
            "T1,ECG,12.50,EUR,2025-01-01,",
            "T2,,12;50,EUR,2026-13-45,",
            "T3,MRI,1.5,XXX,2025-01-01,",
        )
    )
    assert [problem.split(":")[0] for problem in problems] == [
        "row 3, description",
        "row 3, resident_price",
        "row 3, valid_from",
        "row 4, currency",
    ]


def test_overlapping_versions_of_a_code_name_both_rows():
    problems = problems_of(
        tariff_file(
            "T00001,Nursing hour,10,EUR,2025-01-01,",
            "T00002,Insulin pump check,2266.27,EUR,2025-01-01,2025-12-31",
            "T00003,ECG,1,EUR,2025-01-01,",
            "T00004,CT,1,EUR,2025-01-01,",
            "T00005,MRI,1,EUR,2025-01-01,",
            "T00006,Blood panel,1,EUR,2025-01-01,",
            "T00007,Anaesthesia,1,EUR,2025-01-01,",
            "T00002,Insulin pump check,2356.92,EUR,2025-06-01,",
        )
    )
    assert problems == [
        "rows 3 and 9: versions of T00002 overlap (2025-01-01..2025-12-31 and 2025-06-01..open)",
    ]


def test_versions_that_touch_do_not_overlap_because_valid_to_is_inclusive():
    rows = parse_tariff(
        tariff_file(
            "T1,ECG,10,EUR,2025-01-01,2025-12-31",
            "T1,ECG,11,EUR,2026-01-01,",
        ),
        max_bytes=LIMIT,
    )
    assert [(row.valid_from, row.valid_to) for row in rows] == [
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), None),
    ]


def test_a_version_starting_on_the_last_day_of_the_previous_one_overlaps():
    problems = problems_of(tariff_file("T1,ECG,10,EUR,2025-01-01,2025-12-31", "T1,ECG,11,EUR,2025-12-31,"))
    assert problems == ["rows 2 and 3: versions of T1 overlap (2025-01-01..2025-12-31 and 2025-12-31..open)"]


def test_a_version_inside_a_long_one_is_found_even_when_a_short_one_lies_between():
    problems = problems_of(
        tariff_file(
            "T1,ECG,10,EUR,2025-01-01,",
            "T1,ECG,11,EUR,2025-02-01,2025-02-28",
            "T1,ECG,12,EUR,2025-04-01,2025-04-30",
        )
    )
    assert problems == [
        "rows 2 and 3: versions of T1 overlap (2025-01-01..open and 2025-02-01..2025-02-28)",
        "rows 2 and 4: versions of T1 overlap (2025-01-01..open and 2025-04-01..2025-04-30)",
    ]


def test_a_repeated_row_is_named_a_duplicate():
    problems = problems_of(
        tariff_file("T1,ECG,10,EUR,2025-01-01,", "T2,CT,5,EUR,2025-01-01,", "T1,ECG,10,EUR,2025-01-01,")
    )
    assert problems == ["row 4: repeats row 2 (T1 from 2025-01-01); remove the duplicate row."]


def test_the_list_of_problems_is_cut_after_the_first_200():
    rows = [f"T{n},Item {n},{n},50,EUR,2025-01-01," for n in range(250)]
    with pytest.raises(TariffFileError) as refused:
        parse_tariff(tariff_file(*rows), max_bytes=LIMIT)
    assert refused.value.count == 250
    assert len(refused.value.problems) == MAX_LISTED_PROBLEMS + 1
    assert refused.value.problems[0].startswith("row 2, resident_price:")
    assert refused.value.problems[-2].startswith("row 201, resident_price:")
    assert refused.value.problems[-1] == "… and 50 more problems."


def german_excel(text: str) -> bytes:
    """As a German Excel saves "CSV (Trennzeichen-getrennt)": semicolons, decimal commas, CRLF, a byte-order mark."""
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()


def test_a_tariff_saved_by_german_excel_is_read_with_its_separator_and_decimal_commas():
    data = german_excel(
        "code;description;resident_price;currency;valid_from;valid_to\n"
        "T1;Zimmer, Einzelbett;1.234,56;EUR;01.01.2026;31.12.2026\n"
        "T2;Spritze;0,1234;EUR;2026-01-01;\n"
        "T3;Beratung;80;EUR;2026-01-01;\n"
    )
    rows = parse_tariff(data, max_bytes=LIMIT)
    assert [(row.code, row.description, row.resident_price, row.valid_from, row.valid_to) for row in rows] == [
        ("T1", "Zimmer, Einzelbett", Decimal("1234.56"), date(2026, 1, 1), date(2026, 12, 31)),
        ("T2", "Spritze", Decimal("0.1234"), date(2026, 1, 1), None),
        ("T3", "Beratung", Decimal("80"), date(2026, 1, 1), None),
    ]


def test_a_tariff_mixing_decimal_commas_and_points_is_refused_saying_which_it_found():
    data = german_excel(
        "code;description;resident_price;currency;valid_from;valid_to\n"
        "T1;Zimmer;1.234,56;EUR;2026-01-01;\n"
        "T2;Spritze;12.5;EUR;2026-01-01;\n"
    )
    [problem] = problems_of(data)
    assert problem == (
        "The file is separated by semicolons, but the amounts mix decimal commas (row 2, resident_price: '1.234,56') "
        "and decimal points (row 3, resident_price: '12.5'); save the file again with one convention."
    )
