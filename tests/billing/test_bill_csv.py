"""Reading a hospital's bill CSV: raw lines named by row, and clear refusals naming row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from backoffice.billing.bills.csv_file import BillFileError, read_bill_csv, read_bill_file

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

SAMPLES = Path(__file__).parent / "samples"
HEADER = "line,date,code,description,quantity,unit_price,currency"


def csv_bytes(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return newline.join([header, *rows, ""]).encode()


def refusal(data: bytes, **limits) -> str:
    with pytest.raises(BillFileError) as caught:
        read_bill_csv(data, **limits)
    return caught.value.message


def test_the_sample_bill_reads_into_one_raw_line_per_row():
    lines = read_bill_file((SAMPLES / "bill.csv").open("rb"))
    assert len(lines) == 84
    first, last = lines[0], lines[-1]
    assert (first.row, first.line_no, first.date, first.code, first.quantity, first.unit_price, first.currency) == (
        2,
        1,
        "2026-03-29",
        "T00188",
        "2",
        "6077.51",
        "EUR",
    )
    assert (last.row, last.line_no, last.unit_price) == (85, 84, "12,0x")  # a quoted value keeps its comma


def test_byte_order_mark_and_crlf_are_read():
    lines = read_bill_csv(b"\xef\xbb\xbf" + csv_bytes("1,2026-03-10,A1,x,1,10.00,EUR", newline="\r\n"))
    assert [(line.line_no, line.code, line.currency) for line in lines] == [(1, "A1", "EUR")]


def test_columns_are_read_by_name_in_any_order_and_case():
    header = " Currency ,UNIT_PRICE,quantity,description,code,date,line"
    (line,) = read_bill_csv(csv_bytes("EUR,10.00,3,x,A1,2026-03-10,5", header=header))
    assert (line.line_no, line.date, line.code, line.quantity, line.unit_price, line.currency) == (
        5,
        "2026-03-10",
        "A1",
        "3",
        "10.00",
        "EUR",
    )


def test_without_a_usable_line_number_a_line_is_numbered_by_its_row():
    lines = read_bill_csv(
        csv_bytes(",2026-03-10,A1,x,1,1,EUR", "abc,2026-03-10,A1,x,1,1,EUR", "0,2026-03-10,A,x,1,1,EUR")
    )
    assert [(line.line_no, line.number) for line in lines] == [(None, 2), (None, 3), (None, 4)]


def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_number():
    lines = read_bill_csv(csv_bytes("", "1,2026-03-10,A1,x,1,1,EUR", ",,,,,,", "2,2026-03-10,A2,x,1,1,EUR", ""))
    assert [line.row for line in lines] == [3, 5]


def test_a_row_with_a_wrong_number_of_values_becomes_an_invalid_line_not_a_file_error():
    lines = read_bill_csv(
        csv_bytes("1,2026-03-10,A1,1,1,EUR", "2,2026-03-10,A1,x,1,1,EUR,extra", "3,2026-03-10,A,x,1,1,EUR")
    )
    assert [line.error for line in lines] == [
        "the row has 6 values, the header 7",
        "the row has 8 values, the header 7",
        None,
    ]


def test_empty_trailing_cells_as_spreadsheets_export_them_are_ignored():
    (line,) = read_bill_csv(csv_bytes("1,2026-03-10,A1,x,1,1,EUR,,", header=HEADER + ",,"))
    assert line.error is None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "line,date,code,description,quantity,price,currency",
            "row 1, column 6: 'price' is not a bill column; the header must be " + HEADER,
        ),
        (
            "line,date,code,description,quantity,currency",
            "row 1: the column unit_price is missing; the header must be " + HEADER,
        ),
        ("line,date,code", "row 1: the columns description, quantity, unit_price, currency are missing"),
        (HEADER + ",discount", "row 1, column 8: 'discount' is not a bill column"),
        (HEADER + ",code", "row 1, column 8: the column code appears twice"),
        ("line,,date,code,description,quantity,unit_price,currency", "row 1, column 2: an empty name is not a bill"),
        # Issue 14: a semicolon header is read (German Excel); a header no separator splits is refused.
        ("line|date|code|description|quantity|unit_price|currency", "row 1, column 1: 'line|date|code|description"),
        ("1,2026-03-10,A1,x,1,10.00,EUR", "row 1, column 1: '1' is not a bill column"),
    ],
)
def test_a_wrong_header_is_refused_naming_row_and_column(header, message):
    assert message in refusal(csv_bytes("1,2026-03-10,A1,x,1,10.00,EUR", header=header))


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n \n"])
def test_an_empty_file_is_refused(data):
    assert refusal(data) == f"row 1: the file is empty; a bill starts with the header {HEADER}"


def test_a_header_without_lines_is_refused():
    assert refusal(csv_bytes()) == "row 2: the file has a header but no bill lines"


def test_a_file_larger_than_the_limit_is_refused_before_reading():
    data = csv_bytes("1,2026-03-10,A1,x,1,10.00,EUR")
    assert refusal(data, max_bytes=len(data) - 1).startswith("the file is larger than")
    assert len(read_bill_csv(data, max_bytes=len(data))) == 1


def test_read_bill_file_reads_no_more_than_the_limit(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024)
    with path.open("rb") as stream:
        with pytest.raises(BillFileError) as caught:
            read_bill_file(stream)
        assert stream.tell() == 10 * 1024 * 1024 + 1
    assert caught.value.message == "the file is larger than 10 MB; split the bill"


def test_more_lines_than_allowed_are_refused_naming_the_row():
    rows = [f"{n},2026-03-10,A1,x,1,10.00,EUR" for n in range(1, 5)]
    assert refusal(csv_bytes(*rows), max_lines=3) == "row 5: the bill has more than 3 lines; split it"
    assert len(read_bill_csv(csv_bytes(*rows), max_lines=4)) == 4


def test_bytes_that_are_not_utf8_are_refused_naming_row_and_column():
    data = csv_bytes("1,2026-03-10,A1,x,1,10.00,EUR", "2,2026-03-10,A2,Gebühr,1,10.00,EUR").replace(
        "ü".encode(), b"\xfc"
    )
    assert refusal(data) == "row 3, column description: the text is not UTF-8; save the file as CSV UTF-8"


def test_a_non_utf8_header_is_refused_naming_its_position():
    assert (
        refusal(b"line,d\xe4te" + csv_bytes()[9:])
        == "row 1, column 2: the text is not UTF-8; save the file as CSV UTF-8"
    )


def test_a_utf16_file_is_refused():
    assert refusal(csv_bytes("1,2026-03-10,A1,x,1,10.00,EUR").decode().encode("utf-16")) == (
        "row 1: the file is UTF-16; save it as CSV UTF-8"
    )


def test_broken_quoting_is_refused_naming_the_row():
    message = refusal(csv_bytes("1,2026-03-10,A1,x,1,10.00,EUR", '2,2026-03-10,A2,"x"y,1,10.00,EUR'))
    assert message.startswith("row 3: the CSV cannot be read (")


def test_a_bill_saved_by_german_excel_is_read_with_its_separator_and_decimal_commas():
    data = (
        "\ufeffline;date;code;description;quantity;unit_price;currency\r\n"
        "1;01.03.2026;T00053;Kryokonservierung, Beutel;1;8.467,34;EUR\r\n"
        "2;2026-03-02;T00056;Zweite;1,5;12,3456;EUR\r\n"
    ).encode()
    lines = read_bill_csv(data)
    assert [(line.date, line.code, line.description, line.quantity, line.unit_price) for line in lines] == [
        ("2026-03-01", "T00053", "Kryokonservierung, Beutel", "1", "8467.34"),
        ("2026-03-02", "T00056", "Zweite", "1.5", "12.3456"),
    ]


def test_a_bill_mixing_decimal_commas_and_points_is_refused_saying_which_it_found():
    data = (
        b"line;date;code;description;quantity;unit_price;currency\n"
        b"1;2026-03-01;A;x;1;12,50;EUR\n"
        b"2;2026-03-01;B;y;1;3.5;EUR\n"
    )
    with pytest.raises(BillFileError) as refused:
        read_bill_csv(data)
    assert refused.value.message == (
        "the amounts mix decimal commas (row 2, unit_price: '12,50') and decimal points (row 3, unit_price: '3.5'); "
        "save the file again with one convention (the file is separated by semicolons)"
    )
