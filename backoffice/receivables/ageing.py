"""The ageing report: what is left to pay on issued invoices, per currency, by how long it is overdue (not due yet,
1-30, 31-60, 61-90, over 90 days past the due date), and the invoices of each bucket.

Days are the operator's (`dbtypes.operator_today`): an invoice due on the 6th is one day overdue from midnight in
Frankfurt on the 7th, whatever UTC says. What is left is `invoicing.balances.left_to_pay`, the account's own rule
(payments, refunds, credit notes, deducted deposits, a deposit taken over by the final invoice). The report is one
aggregate statement and a bucket's invoices a fixed number, whatever the number of invoices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select, type_coerce

from backoffice.cases.models import Case
from backoffice.dbtypes import operator_today
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.invoicing.balances import left_cents, left_to_pay
from backoffice.invoicing.models import Invoice
from backoffice.money import Amount
from backoffice.patients.models import Patient
from backoffice.patients.restriction import not_erased
from backoffice.receivables.models import PaymentReminder

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    label: object  # lazy text: shown in the page's language
    first: int | None  # days overdue, inclusive; None: not due yet
    last: int | None  # None: open-ended


BUCKETS = (
    Bucket("current", _l("Not due"), None, None),
    Bucket("1-30", _l("1-30 days"), 1, 30),
    Bucket("31-60", _l("31-60 days"), 31, 60),
    Bucket("61-90", _l("61-90 days"), 61, 90),
    Bucket("over-90", _l("Over 90 days"), 91, None),
)
BUCKET_KEYS = tuple(bucket.key for bucket in BUCKETS)


class UnknownBucket(DomainError):
    status_code = 404


def bucket_of(days_overdue: int) -> str:
    """The bucket of an invoice `days_overdue` days past its due date (0 or less: not due)."""
    for bucket in BUCKETS[1:]:
        if days_overdue >= bucket.first and (bucket.last is None or days_overdue <= bucket.last):
            return bucket.key
    return "current"


def _bucket_condition(bucket: Bucket, today: date):
    """The invoices of `bucket` by their due date: overdue by d days means due_on = today - d."""
    if bucket.first is None:
        return (Invoice.due_on.is_(None)) | (Invoice.due_on >= today)
    condition = Invoice.due_on <= today - timedelta(days=bucket.first)
    if bucket.last is not None:
        condition = and_(condition, Invoice.due_on >= today - timedelta(days=bucket.last))
    return condition


@dataclass(slots=True)
class CurrencyAgeing:
    """What is open in one currency, per bucket (amount and number of invoices)."""

    currency: str
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKET_KEYS, ZERO))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKET_KEYS, 0))

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.amounts["current"]


def ageing_report(today: date | None = None) -> list[CurrencyAgeing]:
    """Every currency with something open, its buckets filled: one aggregate statement."""
    today = today or operator_today()
    balances = left_to_pay()
    left = left_cents(balances)
    columns = []
    for bucket in BUCKETS:
        inside = and_(left > 0, _bucket_condition(bucket, today))
        columns.append(type_coerce(func.sum(case((inside, left), else_=0)), Amount(scale=2)))
        columns.append(func.sum(case((inside, 1), else_=0)))
    rows = db.session.execute(
        select(Invoice.currency, *columns)
        .join(balances, balances.c.invoice_id == Invoice.id)
        .where(left > 0)
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    ).all()
    report = []
    for currency, *values in rows:
        ageing = CurrencyAgeing(currency)
        for index, bucket in enumerate(BUCKETS):
            ageing.amounts[bucket.key] = values[2 * index] or ZERO
            ageing.counts[bucket.key] = int(values[2 * index + 1] or 0)
        report.append(ageing)
    return report


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice of a bucket: what is left on it and how many days it is overdue."""

    invoice: Invoice
    case_number: str
    patient_name: str
    left: Decimal
    days_overdue: int
    reminders: tuple[int, ...]  # the levels already sent


def find_bucket(key: str) -> Bucket:
    for bucket in BUCKETS:
        if bucket.key == key:
            return bucket
    raise UnknownBucket(_("There is no ageing bucket %(key)s.", key=repr(key[:20])))


def bucket_invoices(
    key: str | None, currency: str | None = None, today: date | None = None, *, restricted: bool = False
) -> list[OpenInvoice]:
    """The open invoices of one bucket (every bucket: None) of one currency (or all), longest overdue first, each with
    the reminders already sent: two statements whatever their number.

    An erased patient's invoices are left out of this dunning list (no reminder goes to them); the ageing CSV asks
    for them too (`restricted`), under the pseudonym, so that it adds up to the report's totals, which count them
    (the books stay complete, `patients.restriction`)."""
    bucket = find_bucket(key) if key is not None else None
    today = today or operator_today()
    balances = left_to_pay()
    left = left_cents(balances)
    query = (
        select(Invoice, Case.number, Patient.name, balances.c.left)
        .join(balances, balances.c.invoice_id == Invoice.id)
        .join(Case, Case.id == Invoice.case_id)
        .join(Patient, Patient.id == Invoice.patient_id)
        .where(left > 0)
        .order_by(Invoice.currency, Invoice.due_on, Invoice.id)
    )
    if bucket is not None:
        query = query.where(_bucket_condition(bucket, today))
    if currency:
        query = query.where(Invoice.currency == currency)
    if not restricted:
        query = query.where(not_erased())
    rows = db.session.execute(query).all()
    sent: dict[int, list[int]] = {}
    if rows:
        for invoice_id, level in db.session.execute(
            select(PaymentReminder.invoice_id, PaymentReminder.level).where(
                PaymentReminder.invoice_id.in_([row[0].id for row in rows])
            )
        ):
            sent.setdefault(invoice_id, []).append(level)
    return [
        OpenInvoice(
            invoice,
            case_number,
            patient_name,
            left_amount,
            max((today - invoice.due_on).days, 0) if invoice.due_on else 0,
            tuple(sorted(sent.get(invoice.id, ()))),
        )
        for invoice, case_number, patient_name, left_amount in rows
    ]
