"""The audit of a hospital bill against the hospital's resident tariff: pure functions, no Flask, no database.

Every bill line gets exactly one status, the first that applies in this order:

1. `invalid`: the line cannot be read; `reason` says which column and why. The rest of the bill is still audited.
2. `duplicate`: same date, code, quantity, unit price and currency as an earlier readable line (the earlier line
   keeps its own status). Values are compared as read, so quantity `2` and `2.0` are the same quantity.
   `credit`: a negative unit price, the hospital giving money back (a refund of an unused day); it lowers the bill's
   total and is not priced against the tariff.
3. `unknown_code`: the tariff has no item with this code.
4. `no_valid_tariff`: the code exists, but no version is valid on the line's date (`valid_to` is inclusive).
5. `currency_mismatch`: the line's currency is not the currency of the version valid on its date.
6. With a case attached (in the app): `outside_stay` (dated before admission or after discharge, beyond a margin
   for pre- and post-treatment examinations), then `not_in_programme` (code not among the programme's items).
7. Otherwise `overcharged`, `below_tariff` or `ok`, comparing `charged = round_half_up(unit_price x quantity, 2)`
   (or the line's own amount where the bill states one: an e-invoice's line net amount, BT-131) with
   `expected = round_half_up(resident_price x quantity, 2)`; a difference of at most `rounding_tolerance`
   (BILL_ROUNDING_TOLERANCE in the app; none unless given) is `ok_rounding`, ok with rounding (3 x 12.35 billed
   against a resident price of 12.345).

Lines of steps 6 and 7 are *priced*: they carry `charged`, `expected` and the difference. Duplicates and lines of
steps 3 to 5 are *unpriced*: their charged amount is summed per currency in `unpriced`, the money in question.
Credits are summed apart in `credit` (a negative amount). A bill's whole total is `Totals.total`.

What a readable line is, and the line as read, are `line_reading`'s (`read_line`); every status is decided here, in
one order, by `audit_bill`, with the totals and the ratio that order needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from operator import attrgetter

from backoffice.billing.line_reading import BillLine, RawLine, UnreadableLine, read_line
from backoffice.collector import collector_paused
from backoffice.money import MAX_AMOUNT, Money, round_half_up

INVALID = "invalid"
DUPLICATE = "duplicate"
UNKNOWN_CODE = "unknown_code"
NO_VALID_TARIFF = "no_valid_tariff"
CURRENCY_MISMATCH = "currency_mismatch"
OUTSIDE_STAY = "outside_stay"
NOT_IN_PROGRAMME = "not_in_programme"
OVERCHARGED = "overcharged"
BELOW_TARIFF = "below_tariff"
OK_ROUNDING = "ok_rounding"
OK = "ok"
CREDIT = "credit"

# In the order the checks apply.
STATUSES = (
    INVALID,
    DUPLICATE,
    CREDIT,
    UNKNOWN_CODE,
    NO_VALID_TARIFF,
    CURRENCY_MISMATCH,
    OUTSIDE_STAY,
    NOT_IN_PROGRAMME,
    OVERCHARGED,
    BELOW_TARIFF,
    OK_ROUNDING,
    OK,
)
PRICED = frozenset({OUTSIDE_STAY, NOT_IN_PROGRAMME, OVERCHARGED, BELOW_TARIFF, OK_ROUNDING, OK})
UNPRICED = frozenset({DUPLICATE, UNKNOWN_CODE, NO_VALID_TARIFF, CURRENCY_MISMATCH})

# A hospital applying a foreign-patient coefficient shows up as a systematic ratio, not as a few bad lines.
SURCHARGE_THRESHOLD = Decimal("1.05")
CENT_PLACES = 2
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class TariffVersion:
    """One version of one code of a resident tariff: valid from a date until a date (inclusive) or open-ended."""

    code: str
    price: Decimal
    currency: str
    valid_from: date
    valid_to: date | None = None
    item_id: int | None = None  # the tariff item it was read from, when it came from the database

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class LineResult:
    """The audit of one line. `charged` is set on every readable line; `expected` and `version` (the tariff version
    that priced it) only on priced lines."""

    line: int
    status: str
    source: RawLine
    reason: str | None = None
    charged: Money | None = None
    expected: Money | None = None
    version: TariffVersion | None = None

    @property
    def priced(self) -> bool:
        return self.status in PRICED

    @property
    def difference(self) -> Money | None:
        if self.charged is None or self.expected is None:
            return None
        return self.charged - self.expected


@dataclass(slots=True)
class Totals:
    """One currency of a bill: sums over the priced lines, and the charged amount of the unpriced ones."""

    currency: str
    charged: Decimal = Decimal("0.00")
    expected: Decimal = Decimal("0.00")
    overcharge: Decimal = Decimal("0.00")
    unpriced: Decimal = Decimal("0.00")
    priced_lines: int = 0
    unpriced_lines: int = 0
    credit: Decimal = Decimal("0.00")  # negative: what the hospital's credit lines give back
    credit_lines: int = 0

    @property
    def total(self) -> Decimal:
        """The bill's whole total in this currency: priced, unpriced and credit lines."""
        return self.charged + self.unpriced + self.credit


@dataclass(frozen=True, slots=True)
class AuditResult:
    lines: list[LineResult]
    totals: dict[str, Totals]
    surcharge_coefficient: Decimal | None
    median_ratio: Decimal | None = None  # charged/expected over the priced lines, shown or not
    counts: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- the tariff


def index_tariff(tariff: Iterable[TariffVersion]) -> dict[str, list[TariffVersion]]:
    """The tariff by code, each code's versions ordered by `valid_from`: built once per audit."""
    by_code: dict[str, list[TariffVersion]] = {}
    for version in tariff:
        versions = by_code.get(version.code)
        if versions is None:
            by_code[version.code] = [version]
        else:
            versions.append(version)
    for versions in by_code.values():
        if len(versions) > 1:
            versions.sort(key=attrgetter("valid_from"))
    return by_code


def version_on(versions: Sequence[TariffVersion], day: date) -> TariffVersion | None:
    """The version valid on `day`; should versions overlap, the one that started last."""
    for at in range(len(versions) - 1, -1, -1):  # no reversed(): one object fewer per line for the collector
        version = versions[at]
        if version.valid_from <= day and (version.valid_to is None or day <= version.valid_to):
            return version
    return None


def _money(amount: Decimal, currency: str) -> Money:
    """Money of an amount of a read line (its currency checked): checked again only when it is out of range, which
    raises `MoneyError` as `Money` does."""
    return Money.checked(amount, currency) if abs(amount) < MAX_AMOUNT else Money(amount, currency)


# ---------------------------------------------------------------------------------------------- the audit


def audit_bill(
    lines: Iterable[RawLine],
    tariff: Iterable[TariffVersion] | Mapping[str, Sequence[TariffVersion]],
    *,
    stay: tuple[date, date | None] | None = None,
    stay_margin_days: int = 0,
    programme_codes: Iterable[str] | None = None,
    rounding_tolerance: Decimal = Decimal(0),
) -> AuditResult:
    """Audit a bill's lines against a resident tariff (a list of versions, or `index_tariff` of one).

    `stay` is the case's admission and discharge dates (discharge None while the patient is in hospital);
    `stay_margin_days` widens it on both sides for pre- and post-treatment examinations. `programme_codes` are the
    codes of the programme the patient agreed to. Both checks apply only to lines that would otherwise be priced.
    `rounding_tolerance` is the difference per line, in either direction, read as rounding (`ok_rounding`).
    """
    with collector_paused():  # 10,000 lines are some 60,000 objects and no cycle: see `collector`
        return _audit(lines, tariff, stay, stay_margin_days, programme_codes, rounding_tolerance)


def _audit(
    lines: Iterable[RawLine],
    tariff: Iterable[TariffVersion] | Mapping[str, Sequence[TariffVersion]],
    stay: tuple[date, date | None] | None,
    stay_margin_days: int,
    programme_codes: Iterable[str] | None,
    rounding_tolerance: Decimal,
) -> AuditResult:
    raws = list(lines)
    read: list[BillLine | str] = []
    for raw in raws:
        try:
            read.append(read_line(raw))
        except UnreadableLine as problem:
            read.append(str(problem))
    if isinstance(tariff, Mapping):
        index = tariff
    else:  # only the bill's codes: a 100,000-item tariff is not sorted for a bill of twenty lines
        codes = {line.code for line in read if isinstance(line, BillLine)}
        index = index_tariff(version for version in tariff if version.code in codes)
    first_day = last_day = None
    if stay is not None:
        margin = timedelta(days=stay_margin_days)
        first_day = stay[0] - margin
        last_day = stay[1] + margin if stay[1] is not None else None
    programme = frozenset(code.strip() for code in programme_codes) if programme_codes is not None else None

    results: list[LineResult] = []
    add = results.append
    seen: set[tuple] = set()
    for raw, line in zip(raws, read):  # noqa: B905 - as long as each other
        number = raw.number
        if type(line) is str:
            add(LineResult(number, INVALID, raw, reason=line))
            continue
        currency, day = line.currency, line.date
        stated = line.charged if line.charged is not None else line.unit_price * line.quantity
        charged = _money(stated.quantize(_CENT, rounding=ROUND_HALF_UP), currency)
        key = line.duplicate_key
        if key in seen:
            add(LineResult(number, DUPLICATE, raw, charged=charged))
            continue
        seen.add(key)
        if line.unit_price < 0:
            add(LineResult(number, CREDIT, raw, charged=charged))
            continue
        versions = index.get(line.code)
        if not versions:
            add(LineResult(number, UNKNOWN_CODE, raw, charged=charged))
            continue
        version = version_on(versions, day)
        if version is None:
            add(LineResult(number, NO_VALID_TARIFF, raw, charged=charged))
            continue
        if version.currency != currency:
            add(LineResult(number, CURRENCY_MISMATCH, raw, charged=charged))
            continue
        resident = (version.price * line.quantity).quantize(_CENT, rounding=ROUND_HALF_UP)
        if abs(resident) >= MAX_AMOUNT:
            reason = "quantity x resident price is too large for an amount"
            add(LineResult(number, INVALID, raw, reason=reason))
            continue
        amount = charged.amount
        if first_day is not None and (day < first_day or (last_day is not None and day > last_day)):
            status = OUTSIDE_STAY
        elif programme is not None and line.code not in programme:
            status = NOT_IN_PROGRAMME
        elif amount == resident:
            status = OK
        elif abs(amount - resident) <= rounding_tolerance:
            status = OK_ROUNDING
        else:
            status = OVERCHARGED if amount > resident else BELOW_TARIFF
        expected = Money.checked(resident, currency)
        add(LineResult(number, status, raw, charged=charged, expected=expected, version=version))

    median = median_ratio(results)
    coefficient = median if median is not None and median >= SURCHARGE_THRESHOLD else None
    return AuditResult(
        lines=results,
        totals=bill_totals(results),
        surcharge_coefficient=coefficient,
        median_ratio=median,
        counts=status_counts(results),
    )


def bill_totals(results: Iterable[LineResult]) -> dict[str, Totals]:
    """Per currency (in alphabetical order): charged, expected and overcharge over the priced lines, unpriced."""
    totals: dict[str, Totals] = {}
    for result in results:
        if result.charged is None:
            continue
        currency = result.charged.currency
        total = totals.get(currency)
        if total is None:
            total = totals[currency] = Totals(currency)
        if result.expected is not None:
            charged, expected = result.charged.amount, result.expected.amount
            total.priced_lines += 1
            total.charged += charged
            total.expected += expected
            if charged > expected and result.status != OK_ROUNDING:
                total.overcharge += charged - expected
        elif result.status == CREDIT:
            total.credit_lines += 1
            total.credit += result.charged.amount
        elif result.status in UNPRICED:
            total.unpriced_lines += 1
            total.unpriced += result.charged.amount
    return dict(sorted(totals.items()))


def median_ratio(results: Iterable[LineResult]) -> Decimal | None:
    """The median of charged/expected over the priced lines (mean of the middle two for an even count), rounded
    half-up to two decimals; None without a priced line. Lines whose resident amount is zero have no ratio."""
    with localcontext() as context:
        context.prec = 28
        ratios = sorted(
            r.charged.amount / r.expected.amount
            for r in results
            if r.charged is not None and r.expected is not None and r.expected.amount > 0
        )
        if not ratios:
            return None
        middle = len(ratios) // 2
        median = ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2
        return round_half_up(median, CENT_PLACES)


def status_counts(results: Iterable[LineResult]) -> dict[str, int]:
    """How many lines have each status, in the order of the checks; statuses no line has are left out."""
    counts = dict.fromkeys(STATUSES, 0)
    for result in results:
        counts[result.status] += 1
    return {status: count for status, count in counts.items() if count}
