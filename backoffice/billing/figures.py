"""The money figures of hospital bills, defined once here and used by the bill page, the case page, the dashboard,
the bill list, the savings report and the dispute letter (each amount shown by `format_amount`).

- **charged**: a bill's whole total per currency, every readable line: priced, unpriced (no resident price was
  compared with it: a duplicate, a code outside the tariff, no valid tariff, another currency) and credits (negative).
  `unpriced` is shown apart, as the part of the total nothing was checked against.
- **found**: what was disputed, per currency: on a disputed overcharged line the amount above the resident price, on
  any other disputed line its whole charged amount (`to_correct`). An unreadable line or a credit has no amount to
  find. Accepting a line, or leaving it undecided, never changes what was found.
- **recovered**: of what was found, what the corrected bill removed. Per currency and code, the charged amount of the
  bill where it was first disputed minus that of the chain's final bill, never below zero and never more than was
  found on that code; counted once the chain's final bill is approved or paid. A line the hospital moved to another
  currency is removed from the first currency (and charged anew in the other).

In a chain of corrections (`supersedes`), a code disputed again on a correction is found once, on the bill where it
was first disputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency
from sqlalchemy import BigInteger, case, type_coerce

from backoffice.billing import audit

ZERO = Decimal("0.00")
CENTS = Decimal("0.01")
DISPUTED = "disputed"
FINAL_STATUSES = ("approved", "paid")  # a chain whose last bill is one of these is settled
# The ISO code rather than a symbol: "$" is the dollar of a dozen countries, and a letter may mix currencies.
ISO_PATTERN = "\u00a4\u00a4\u00a0#,##0.00"


def to_correct(status: str, charged: Decimal | None, expected: Decimal | None) -> Decimal | None:
    """What a disputed line asks the hospital to take off: the amount above the resident price on an overcharged
    line, the whole charged amount otherwise; None when there is no amount (unreadable, or a credit)."""
    if charged is None or charged < 0:
        return None
    if status == audit.OVERCHARGED and expected is not None:
        return charged - expected
    return charged


def found_cents(model):
    """`to_correct` of a disputed line as a SQL expression in integer cents (0 for any other line), for sums."""
    charged = type_coerce(model.charged, BigInteger)
    expected = type_coerce(model.expected, BigInteger)
    disputed = (model.decision == DISPUTED) & model.charged.is_not(None) & (charged >= 0)
    return case(
        (disputed & (model.status == audit.OVERCHARGED) & model.expected.is_not(None), charged - expected),
        (disputed, charged),
        else_=0,
    )


@dataclass(slots=True)
class Figures:
    """One currency of a bill (or of a chain of bills): see the module for what each figure is."""

    currency: str
    charged: Decimal = ZERO
    unpriced: Decimal = ZERO
    found: Decimal = ZERO
    recovered: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class CodeSums:
    """One bill's lines of one code in one currency: what they charged and what was found on them."""

    charged: Decimal
    found: Decimal


# (currency, code) -> sums, per bill
Keyed = Mapping[tuple[str, str], CodeSums]


def line_figures(lines: Iterable) -> dict[str, Figures]:
    """A bill's figures per currency (alphabetical) from its lines (objects with status, charged, expected, currency
    and decision): charged, unpriced and found. Recovered is a chain's, see `chain_figures`."""
    result: dict[str, Figures] = {}
    for line in lines:
        if line.charged is None or not line.currency:
            continue
        figures = result.setdefault(line.currency, Figures(line.currency))
        figures.charged += line.charged
        if line.status in audit.UNPRICED:
            figures.unpriced += line.charged
        if line.decision == DISPUTED:
            figures.found += to_correct(line.status, line.charged, line.expected) or ZERO
    return dict(sorted(result.items()))


def keyed_sums(lines: Iterable) -> dict[tuple[str, str], CodeSums]:
    """A bill's lines summed per currency and code (see `recovered` in the module)."""
    sums: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for line in lines:
        if line.charged is None or not line.currency:
            continue
        charged, found = sums.get((line.currency, line.code), (ZERO, ZERO))
        found_here = (to_correct(line.status, line.charged, line.expected) or ZERO) if line.decision == DISPUTED else 0
        sums[(line.currency, line.code)] = (charged + line.charged, found + found_here)
    return {key: CodeSums(charged, found) for key, (charged, found) in sums.items()}


def chain_figures(chain: Sequence[tuple[str, Keyed]]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(found, recovered) per currency of a chain of bills: (status, the bill's `keyed_sums`) from the first bill to
    the last correction."""
    found: dict[str, Decimal] = {}
    origin: dict[tuple[str, str], CodeSums] = {}
    for _, keyed in chain:
        for key, sums in keyed.items():
            if sums.found > 0 and key not in origin:
                origin[key] = sums
                found[key[0]] = found.get(key[0], ZERO) + sums.found
    recovered: dict[str, Decimal] = {}
    if len(chain) > 1 and chain[-1][0] in FINAL_STATUSES:
        final = chain[-1][1]
        for key, sums in origin.items():
            removed = sums.charged - (final[key].charged if key in final else ZERO)
            amount = min(sums.found, max(removed, ZERO))
            if amount > 0:
                recovered[key[0]] = recovered.get(key[0], ZERO) + amount
    return found, recovered


def format_amount(amount: Decimal | None, currency: str | None, locale: str = "en") -> str:
    """A figure, line amount or total, to the currency's minor unit: EUR 1,596.76 (in German EUR 1.596,76). A dash
    when there is none."""
    if amount is None or not currency:
        return "—"
    return format_currency(amount, currency, ISO_PATTERN, locale=locale)
