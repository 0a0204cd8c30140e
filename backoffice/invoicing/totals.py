"""What an invoice adds up to: each line rounded half-up once, then totals per VAT rate. Pure: no database.

A line's net amount is quantity x unit price rounded half-up to the currency's minor unit (cents for EUR), and its
tax is that net amount x rate rounded the same way, once. Totals are sums of those rounded figures, per rate (VAT
exempt lines apart, with the exemption printed), so the printed table always adds up to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import get_currency_precision

from backoffice.money import round_half_up

HUNDRED = Decimal(100)


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


def line_amounts(quantity: Decimal, unit_price: Decimal, vat_rate: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(net, tax) of one line, each rounded half-up once to the currency's minor unit."""
    digits = minor_digits(currency)
    net = round_half_up(quantity * unit_price, digits)
    tax = round_half_up(net * vat_rate / HUNDRED, digits)
    return net, tax


@dataclass(frozen=True, slots=True)
class RateTotal:
    """The lines of one VAT treatment: exempt, or taxed at `rate` percent."""

    rate: Decimal
    exempt: bool
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    currency: str
    by_rate: list[RateTotal] = field(default_factory=list)
    net: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    deductions: Decimal = Decimal(0)  # deposits paid, deducted on a final invoice

    @property
    def total(self) -> Decimal:
        return self.net + self.tax

    @property
    def balance(self) -> Decimal:
        """What the patient owes on this invoice once deposits are deducted; negative: a refund is due."""
        return self.total - self.deductions

    @property
    def has_exempt(self) -> bool:
        return any(group.exempt for group in self.by_rate)


def invoice_totals(lines: Iterable, currency: str, deductions: Iterable[Decimal] = ()) -> InvoiceTotals:
    """Totals of lines that carry `net_amount`, `tax_amount`, `vat_rate` and `vat_exempt` (rows or plain objects)."""
    groups: dict[tuple[bool, Decimal], list[Decimal]] = {}
    for line in lines:
        key = (bool(line.vat_exempt), Decimal(line.vat_rate))
        sums = groups.setdefault(key, [Decimal(0), Decimal(0)])
        sums[0] += line.net_amount
        sums[1] += line.tax_amount
    by_rate = [
        RateTotal(rate=rate, exempt=exempt, net=net, tax=tax)
        for (exempt, rate), (net, tax) in sorted(groups.items(), key=lambda item: (not item[0][0], item[0][1]))
    ]
    digits = minor_digits(currency)
    zero = round_half_up(Decimal(0), digits)
    return InvoiceTotals(
        currency=currency,
        by_rate=by_rate,
        net=sum((group.net for group in by_rate), zero),
        tax=sum((group.tax for group in by_rate), zero),
        deductions=sum(deductions, zero),
    )
