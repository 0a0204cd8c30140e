"""The one CSV writer (backoffice.csvfile): no text cell can start a formula, whatever separator a spreadsheet uses."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from backoffice.csvfile import csv_text, safe_text

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("Clinic;=cmd|' /C calc'!A0;", "Clinic;'=cmd|' /C calc'!A0;"),
        ("a,+49 30 1234", "a,'+49 30 1234"),
        ("tab\t@SUM(A1)", "tab\t'@SUM(A1)"),
        ("line\r\n-2+3", "line\r\n'-2+3"),
        ("pipe| =HYPERLINK()", "pipe| '=HYPERLINK()"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("Al-Mansouri", "Al-Mansouri"),
        ("C-2026-00175", "C-2026-00175"),
    ],
)
def test_every_place_a_cell_could_start_is_neutralised(text, safe):
    assert safe_text(text) == safe


def test_numbers_stay_numbers_and_text_parses_back():
    body = csv_text([["name", "amount"], ["=evil", Decimal("-5.00")], ["Ann", 3]])
    assert body.endswith("\r\n")
    assert list(csv.reader(io.StringIO(body))) == [["name", "amount"], ["'=evil", "-5.00"], ["Ann", "3"]]
