"""The audit of a stored bill: `billing.audit` (pure) fed with the hospital's resident tariff, the case's stay and
the programme's codes, and each finding put in words finance can repeat to the hospital.

`audit_lines` runs the audit over a bill's raw lines; `audited_values` are the columns of a bill line it sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects import postgresql

from backoffice.billing import audit
from backoffice.billing.models import BillLine, TariffItem
from backoffice.cases.models import Case
from backoffice.collector import collector_paused
from backoffice.config import settings
from backoffice.directory.programmes import split_tariff_codes
from backoffice.extensions import db
from backoffice.logistics.stay import stay_of

CODE_CHUNK = 5000  # codes per statement when reading the tariff items a bill uses (SQLite allows 32,766 parameters)


def stay_margin_days() -> int:
    return settings().bill_stay_margin_days


def rounding_tolerance() -> Decimal:
    """The difference per line read as rounding, ok with rounding (BILL_ROUNDING_TOLERANCE, 0.01 unless configured)."""
    return settings().bill_rounding_tolerance


def programme_codes(text: str | None) -> frozenset[str] | None:
    """The codes of a programme's `tariff_codes` (separated by commas, semicolons, spaces or new lines); None when it
    lists none, which skips the check."""
    codes = frozenset(split_tariff_codes(text))
    return codes or None


def case_stay(case: Case) -> tuple[date, date] | None:
    """The case's stay (`logistics.stay.stay_of`) as the audit reads it: (admission, discharge), or None."""
    stay = stay_of(case)
    return (stay.admission_on, stay.discharge_on) if stay else None


_ITEMS = TariffItem.__table__
_COLUMNS = (
    _ITEMS.c.code,
    _ITEMS.c.resident_price,
    _ITEMS.c.currency,
    _ITEMS.c.valid_from,
    _ITEMS.c.valid_to,
    _ITEMS.c.id,
)
# Table columns, not the ORM's: rows come back as plain tuples, and each statement is compiled once and cached. The
# codes go in as one array on PostgreSQL (`code = ANY(...)`: one parameter, the server's index finds them), and
# expanded into IN (...) on SQLite, which has no arrays.
_OF_CODES = {
    "postgresql": select(*_COLUMNS).where(
        _ITEMS.c.import_id == bindparam("import_id"),
        _ITEMS.c.code == any_(bindparam("codes", type_=postgresql.ARRAY(String))),
    ),
    "sqlite": select(*_COLUMNS).where(
        _ITEMS.c.import_id == bindparam("import_id"), _ITEMS.c.code.in_(bindparam("codes", expanding=True))
    ),
}


def tariff_index(import_id: int, codes: Iterable[str]) -> dict[str, list[audit.TariffVersion]]:
    """The versions of the bill's codes in one tariff import, indexed for the audit: only those codes are read (one
    statement per CODE_CHUNK codes, as plain columns), never the whole tariff, however large."""
    wanted = sorted({code for code in codes if code})
    connection = db.session.connection()
    statement = _OF_CODES[connection.dialect.name]
    version = audit.TariffVersion
    with collector_paused():  # a version and a row per item, no cycle: see `collector`
        return audit.index_tariff(
            version(*row)
            for start in range(0, len(wanted), CODE_CHUNK)
            for row in connection.execute(
                statement, {"import_id": import_id, "codes": wanted[start : start + CODE_CHUNK]}
            ).all()
        )


@dataclass
class AuditContext:
    """What the audit of a case's bill is checked against besides the tariff."""

    stay: tuple[date, date] | None
    margin: int
    programme_name: str
    codes: frozenset[str] | None
    tolerance: Decimal = Decimal(0)


def audit_context(case: Case) -> AuditContext:
    programme = case.programme
    return AuditContext(
        stay=case_stay(case),
        margin=stay_margin_days(),
        programme_name=programme.name if programme else "",
        codes=programme_codes(programme.tariff_codes) if programme else None,
        tolerance=rounding_tolerance(),
    )


def _read(raw: audit.RawLine) -> audit.BillLine | None:
    try:
        return audit.read_line(raw)
    except audit.UnreadableLine:
        return None


def _reason(
    result: audit.LineResult,
    line: audit.BillLine | None,
    index: dict[str, list[audit.TariffVersion]],
    first_of: dict[tuple, int],
    context: AuditContext,
) -> str:
    """Why a line has its status, in words finance can repeat to the hospital."""
    status = result.status
    if status == audit.INVALID or line is None:
        return result.reason or ""
    if status == audit.DUPLICATE:
        return f"Same date, code, quantity, unit price and currency as line {first_of.get(line.duplicate_key, '?')}."
    if status == audit.CREDIT:
        return "A credit: the hospital gives this amount back; it lowers the bill's total."
    if status == audit.UNKNOWN_CODE:
        return f"The resident tariff has no code {line.code}."
    if status == audit.NO_VALID_TARIFF:
        return f"No resident price of {line.code} is valid on {line.date.isoformat()}."
    version = result.version
    if status == audit.CURRENCY_MISMATCH:
        valid = audit.version_on(index.get(line.code, []), line.date)
        return f"Billed in {line.currency}; the resident price is in {valid.currency if valid else '?'}."
    if status == audit.OUTSIDE_STAY and context.stay:
        first, last = context.stay
        return (
            f"Dated {line.date.isoformat()}, outside the stay {first.isoformat()} to {last.isoformat()} "
            f"(± {context.margin} days)."
        )
    if status == audit.NOT_IN_PROGRAMME:
        return f"{line.code} is not among the items of the programme {context.programme_name}."
    if status == audit.OK_ROUNDING and version is not None and result.difference is not None:
        return (
            f"OK with rounding: {result.difference.amount:+} {line.currency} from the resident price "
            f"{_price_text(version.price)} {version.currency} x {line.quantity.normalize():f} "
            f"(tolerated up to {context.tolerance} per line)"
        )
    if status in (audit.OVERCHARGED, audit.BELOW_TARIFF) and version is not None:
        return (
            f"unit price {_price_text(line.unit_price)} {line.currency}, "
            f"resident price {_price_text(version.price)} {version.currency}"
        )
    return ""


def _price_text(price: Decimal) -> str:
    """A unit price as people write it: at least the cents, more decimals only when the price has them."""
    cents = price.quantize(Decimal("0.01"))
    return f"{cents:,}" if cents == price else f"{price.normalize():,}"


def audit_lines(raws: list[audit.RawLine], import_id: int, context: AuditContext):
    """Run the audit and yield, per line, (result, the line as read or None, the reason in words)."""
    parsed = [_read(raw) for raw in raws]
    index = tariff_index(import_id, (line.code for line in parsed if line is not None))
    result = audit.audit_bill(
        raws,
        index,
        stay=context.stay,
        stay_margin_days=context.margin,
        programme_codes=context.codes,
        rounding_tolerance=context.tolerance,
    )
    first_of: dict[tuple, int] = {}
    for line_result, line in zip(result.lines, parsed, strict=True):
        if line is not None and line_result.status != audit.INVALID:
            first_of.setdefault(line.duplicate_key, line_result.line)
    for line_result, line in zip(result.lines, parsed, strict=True):
        yield line_result, line, _reason(line_result, line, index, first_of, context)


def audited_values(result: audit.LineResult, line: audit.BillLine | None, reason: str) -> dict:
    """The columns of a bill line that the audit sets (not the raw text, not the decision)."""
    return {
        "service_on": line.date if line else None,
        "quantity": line.quantity if line else None,
        "unit_price": line.unit_price if line else None,
        "currency": line.currency if line else None,
        "status": result.status,
        "reason": reason[:300],
        "charged": result.charged.amount if result.charged is not None else None,
        "expected": result.expected.amount if result.expected is not None else None,
        "tariff_item_id": result.version.item_id if result.version is not None and result.priced else None,
    }


def apply_result(row: BillLine, result: audit.LineResult, line: audit.BillLine | None, reason: str) -> None:
    for name, value in audited_values(result, line, reason).items():
        setattr(row, name, value)


def raw_of(row: BillLine) -> audit.RawLine:
    return audit.RawLine(
        row=row.position + 1,
        line_no=row.line_no,
        date=row.raw_date,
        code=row.code,
        description=row.description,
        quantity=row.raw_quantity,
        unit_price=row.raw_unit_price,
        currency=row.raw_currency,
    )
