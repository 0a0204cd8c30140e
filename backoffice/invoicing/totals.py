"""What an invoice adds up to: each line's net rounded half-up once, VAT per rate on the rate's net total.

A line's net amount is quantity x unit price rounded half-up to the currency's minor unit (cents for EUR). The VAT of
each rate is that rate's net total x rate, rounded half-up once (as EN 16931 computes the VAT category tax amount),
never a sum of per-line roundings: USD 3,366.44 at 19 % is USD 639.62, whatever lines make it up. Each line keeps its
share of its rate's VAT (`allocate`: in proportion to its net, the shares adding up to the cent), so sums of stored
lines and the printed table agree. An invoice in another currency than the base currency also states its VAT in the
base currency at the invoice's exchange rate (section 16(6) UStG asks for the VAT in euros).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from babel.numbers import get_currency_precision

from backoffice import vat
from backoffice.money import round_half_up

HUNDRED = Decimal(100)


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


def line_amounts(quantity: Decimal, unit_price: Decimal, vat_rate: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(net, tax) of one line on its own, each rounded half-up once to the currency's minor unit. On an invoice the
    line's tax is then its share of its rate's VAT (`apply_vat`)."""
    digits = minor_digits(currency)
    net = round_half_up(quantity * unit_price, digits)
    tax = round_half_up(net * vat_rate / HUNDRED, digits)
    return net, tax


def rate_tax(net: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The VAT of a rate's net total, rounded half-up once to the currency's minor unit."""
    return round_half_up(net * Decimal(rate) / HUNDRED, minor_digits(currency))


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """`total` split over `weights` in proportion, in the currency's minor units, the shares adding up to `total`
    exactly: each share rounded down, the units left over going to the largest remainders (the earlier line first)."""
    if not weights:
        return []
    unit = Decimal(1).scaleb(-minor_digits(currency))
    units = int((total / unit).to_integral_value())
    whole = sum(weights, Decimal(0))
    if whole == 0:
        return [total] + [Decimal(0) * unit] * (len(weights) - 1)
    exact = [Decimal(units) * weight / whole for weight in weights]
    shares = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
    left = units - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return [Decimal(share) * unit for share in shares]


VatKey = tuple[str, Decimal]  # (VAT category, rate in percent): one total on the invoice each


def vat_key(line) -> VatKey:
    return line.vat_category, Decimal(line.vat_rate)


def _key_order(key: VatKey) -> tuple[bool, Decimal, int]:
    """Untaxed categories first (exempt treatment above all), then the rates from the lowest."""
    return key[0] in vat.TAXED, key[1], vat.CATEGORIES.index(key[0])


def apply_vat(lines: Iterable, currency: str, fixed: Mapping[VatKey, Decimal] | None = None) -> None:
    """Set each line's `tax_amount` to its share of its category and rate's VAT: their net total x rate, rounded
    once, or the amount `fixed` gives for that (category, rate) (a credit note reversing the rest of a rate reverses
    the rest of its VAT). Untaxed categories carry none."""
    groups: dict[VatKey, list] = {}
    for line in lines:
        groups.setdefault(vat_key(line), []).append(line)
    for (category, rate), members in groups.items():
        if category not in vat.TAXED:
            tax = Decimal(0)
        elif fixed is not None and (category, rate) in fixed:
            tax = fixed[(category, rate)]
        else:
            tax = rate_tax(sum((line.net_amount for line in members), Decimal(0)), rate, currency)
        for line, share in zip(members, allocate(tax, [line.net_amount for line in members], currency), strict=True):
            line.tax_amount = share


def vat_in_base(tax: Decimal, exchange_rate: Decimal, base_currency: str) -> Decimal:
    """A VAT amount of an invoice in another currency, in the base currency: 1 base unit = `exchange_rate` units."""
    return round_half_up(tax / Decimal(exchange_rate), minor_digits(base_currency))


@dataclass(frozen=True, slots=True)
class RateTotal:
    """The lines of one VAT category and rate (percent), with the note printed for the category (its exemption
    reason), from the first line that carries one."""

    category: str
    rate: Decimal
    net: Decimal
    tax: Decimal
    note: str = ""

    @property
    def taxed(self) -> bool:
        return self.category in vat.TAXED

    @property
    def label(self) -> str:
        return vat.LABELS[self.category]

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
    def has_untaxed(self) -> bool:
        return any(not group.taxed for group in self.by_rate)


def invoice_totals(lines: Iterable, currency: str, deductions: Iterable[Decimal] = ()) -> InvoiceTotals:
    """Totals of lines that carry `net_amount`, `tax_amount`, `vat_category`, `vat_rate` and `vat_note` (rows or
    plain objects): one per category and rate, untaxed ones first."""
    groups: dict[VatKey, list] = {}
    for line in lines:
        sums = groups.setdefault(vat_key(line), [Decimal(0), Decimal(0), ""])
        sums[0] += line.net_amount
        sums[1] += line.tax_amount
        sums[2] = sums[2] or (getattr(line, "vat_note", "") or "")
    by_rate = [
        RateTotal(category=category, rate=rate, net=net, tax=tax, note=note)
        for (category, rate), (net, tax, note) in sorted(groups.items(), key=lambda item: _key_order(item[0]))
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
