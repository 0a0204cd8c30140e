"""An amount typed into a form is plain digits with a dot: nothing else Python's Decimal would read."""

from decimal import Decimal

import pytest

from backoffice.money import MoneyError, parse_money, to_decimal

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite


@pytest.mark.parametrize(
    "text", ["1e3", "1E3", "1_000", "\uff11\uff10", "\u0663", "NaN", "Infinity", "0x10", "1.2.3", "--1", ""]
)
def test_text_that_is_not_plain_digits_is_not_an_amount(text):
    with pytest.raises(MoneyError, match="not an amount"):
        to_decimal(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("1234.50", "1234.50"), (" 17 650.00 ", "17650.00"), ("-5", "-5"), ("+5", "5"), (".5", "0.5"), ("5.", "5")],
)
def test_plain_amounts_are_read_exactly(text, amount):
    assert parse_money(text, "EUR").amount == Decimal(amount)
