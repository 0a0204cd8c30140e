"""Lists of invoices for staff: the finance list (filters, search, one page), a case's invoices with their accounts,
and the credit notes of an invoice.

Each list runs a fixed number of SQL statements whatever the number of invoices, lines or payments: the rows with
their case number and patient name in one statement, then what credit notes took off and what was paid, per invoice,
in one aggregate statement each (`sources.credited_amounts`, `sources.paid_amounts`), and the running totals of the
drafts (not yet frozen on the row) in one more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Select, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import joinedload

from backoffice.cases.models import Case
from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.invoicing.accounts import Account, accounts_of
from backoffice.invoicing.balances import left_cents, left_to_pay
from backoffice.invoicing.list_filters import FilterError, InvoiceFilters
from backoffice.invoicing.models import KIND_LABELS, AccountCredit, Invoice, InvoiceLine
from backoffice.languages import N_
from backoffice.money import Amount
from backoffice.pagination import Page
from backoffice.patients.models import Patient
from backoffice.patients.restriction import not_erased

__all__ = ["FilterError", "InvoiceFilters"]  # the list's filters live in list_filters.py; read here as before

PAGE_SIZE = 50
ZERO = Decimal("0.00")

# How staff read an invoice's status (the bookkeeping words; the portal has the patient's own).
STATUS_LABELS = {
    "draft": N_("Draft"),
    "issued": N_("Issued, unpaid"),
    "partially_paid": N_("Partially paid"),
    "paid": N_("Paid"),
    "refund_due": N_("Refund due"),
    "credited": N_("Cancelled by credit note"),
    "settled": N_("Settled by the final invoice"),
}
CREDIT_NOTE_STATUS_LABELS = {"draft": N_("Draft"), "issued": N_("Issued")}


def status_label(invoice: Invoice) -> str:
    if invoice.is_credit_note:
        return CREDIT_NOTE_STATUS_LABELS.get(invoice.status, "Issued")
    return STATUS_LABELS.get(invoice.status, invoice.status)


@dataclass(frozen=True, slots=True)
class InvoiceEntry:
    """One invoice or credit note as a list shows it.

    `total` is the frozen total of an issued document, or what a draft's lines add up to now. `account` is where an
    issued invoice stands (None for drafts and credit notes: a credit note is settled with the invoice it corrects).
    `days_overdue`: how many of the operator's days an invoice with something left is past its due date (0: not).
    """

    invoice: Invoice
    case_number: str
    patient_name: str
    total: Decimal
    account: Account | None
    days_overdue: int = 0

    @property
    def outstanding(self) -> Decimal | None:
        return None if self.account is None else self.account.outstanding

    @property
    def status_label(self) -> str:
        return status_label(self.invoice)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.invoice.kind]


def days_overdue(due_on: date | None, left: Decimal | None, today: date) -> int:
    """Days past the due date of an invoice with something left to pay, counted in the operator's day (0: not)."""
    if due_on is None or left is None or left <= 0 or due_on >= today:
        return 0
    return (today - due_on).days


def _rows() -> Select:
    return (
        select(Invoice, Case.number, Patient.name)
        .join(Case, Case.id == Invoice.case_id)
        .join(Patient, Patient.id == Invoice.patient_id)
    )


def _conditions(filters: InvoiceFilters, balances, today: date, *, restricted: bool = False) -> list:
    # An erased patient's documents are in no list, its totals or its CSV: they are restricted to the books (the
    # journal, revenue, ageing totals and the DATEV export count them; `patients.restriction`). `restricted`: those
    # documents only, to say how many the list leaves out.
    conditions = [~not_erased() if restricted else not_erased()]
    if filters.status:
        conditions.append(Invoice.status == filters.status)
    if filters.kind:
        conditions.append(Invoice.kind == filters.kind)
    if filters.currency:
        conditions.append(Invoice.currency == filters.currency)
    if filters.open_only or filters.overdue:
        conditions.append(left_cents(balances) > 0)
    if filters.overdue:
        conditions.append(Invoice.due_on < today)
    day = Invoice.due_on if filters.period == "due" else Invoice.issue_date
    if filters.date_from:
        conditions.append(day >= filters.date_from)
    if filters.date_to:
        conditions.append(day <= filters.date_to)
    if filters.q:
        conditions.append(
            or_(
                func.upper(Invoice.number).contains(filters.q.upper(), autoescape=True),
                func.lower(Patient.name).contains(filters.q.lower(), autoescape=True),
                func.lower(Invoice.bill_to_name).contains(filters.q.lower(), autoescape=True),
            )
        )
    return conditions


def _draft_totals(draft_ids: Sequence[int]) -> dict[int, Decimal]:
    """What each draft's lines add up to now (VAT included), in one aggregate statement."""
    if not draft_ids:
        return {}
    rows = db.session.execute(
        select(InvoiceLine.invoice_id, func.sum(InvoiceLine.net_amount), func.sum(InvoiceLine.tax_amount))
        .where(InvoiceLine.invoice_id.in_(draft_ids))
        .group_by(InvoiceLine.invoice_id)
    ).all()
    return {invoice_id: (net or ZERO) + (tax or ZERO) for invoice_id, net, tax in rows}


def _entries(rows: Sequence[tuple[Invoice, str, str]], today: date | None = None) -> list[InvoiceEntry]:
    """Entries with their totals and accounts, computed in bulk: at most four statements for any number of rows."""
    today = today or operator_today()
    invoices = [row[0] for row in rows]
    accounts = accounts_of(invoices)
    drafts = _draft_totals([invoice.id for invoice in invoices if invoice.is_draft])
    entries = []
    for invoice, case_number, patient_name in rows:
        if invoice.is_draft:
            total = drafts.get(invoice.id, ZERO)
        else:
            total = invoice.total if invoice.total is not None else ZERO
        account = accounts.get(invoice.id)
        late = days_overdue(invoice.due_on, account.outstanding if account else None, today)
        entries.append(InvoiceEntry(invoice, case_number, patient_name, total, account, late))
    return entries


def _filtered(query: Select, filters: InvoiceFilters, today: date) -> Select:
    balances = left_to_pay()
    query = query.join(Patient, Patient.id == Invoice.patient_id).outerjoin(
        balances, balances.c.invoice_id == Invoice.id
    )
    return query.where(*_conditions(filters, balances, today))


def list_invoices(filters: InvoiceFilters) -> Page[InvoiceEntry]:
    """One page of invoices and credit notes, newest first (drafts by when they were made, the others by when they
    were issued). Five statements at most whatever the number of invoices: a count, the rows, and `_entries`."""
    today = operator_today()
    total = db.session.scalar(_filtered(select(func.count(Invoice.id)).select_from(Invoice), filters, today)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    rows = db.session.execute(
        _filtered(select(Invoice, Case.number, Patient.name).join(Case, Case.id == Invoice.case_id), filters, today)
        .order_by(func.coalesce(Invoice.issued_at, Invoice.created_at).desc(), Invoice.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page(items=_entries(rows, today), page=page, pages=pages, total=total, per_page=PAGE_SIZE)


def restricted_count(filters: InvoiceFilters) -> int:
    """How many documents the filters select that the list leaves out as erased patients' (one statement), so that
    finance, whose books count them, is not left wondering."""
    today = operator_today()
    balances = left_to_pay()
    query = (
        select(func.count(Invoice.id))
        .select_from(Invoice)
        .join(Patient, Patient.id == Invoice.patient_id)
        .outerjoin(balances, balances.c.invoice_id == Invoice.id)
        .where(*_conditions(filters, balances, today, restricted=True))
    )
    return db.session.scalar(query) or 0


def all_invoices(filters: InvoiceFilters) -> list[InvoiceEntry]:
    """Every invoice the filters select (the list's CSV), in the list's order: four statements whatever their number."""
    today = operator_today()
    rows = db.session.execute(
        _filtered(
            select(Invoice, Case.number, Patient.name).join(Case, Case.id == Invoice.case_id), filters, today
        ).order_by(func.coalesce(Invoice.issued_at, Invoice.created_at).desc(), Invoice.id.desc())
    ).all()
    return _entries(rows, today)


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    """What the listed documents add up to in one currency (never across currencies): the issued invoices' totals,
    the issued credit notes' totals, and what is left to pay on the invoices that are open."""

    currency: str
    documents: int
    invoiced: Decimal
    credited: Decimal
    left: Decimal


def list_totals(filters: InvoiceFilters) -> list[CurrencyTotal]:
    """The totals per currency of every document the filters select (all pages), in one aggregate statement."""
    today = operator_today()
    balances = left_to_pay()
    issued = Invoice.status != "draft"
    cents = type_coerce(Invoice.total, BigInteger)
    left = left_cents(balances)

    def amount(expression):
        return type_coerce(func.coalesce(func.sum(expression), 0), Amount(scale=2))

    query = (
        select(
            Invoice.currency,
            func.count(Invoice.id),
            amount(case((and_(issued, Invoice.kind != "credit_note"), cents), else_=0)),
            amount(case((and_(issued, Invoice.kind == "credit_note"), cents), else_=0)),
            amount(case((left > 0, left), else_=0)),
        )
        .select_from(Invoice)
        .join(Patient, Patient.id == Invoice.patient_id)
        .outerjoin(balances, balances.c.invoice_id == Invoice.id)
        .where(*_conditions(filters, balances, today))
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    )
    return [CurrencyTotal(*row) for row in db.session.execute(query).all()]


def invoices_of_case(case_id: int) -> list[InvoiceEntry]:
    """The case's invoices and credit notes in the order they were made, each with its account. Four statements at
    most whatever their number."""
    rows = db.session.execute(_rows().where(Invoice.case_id == case_id).order_by(Invoice.id)).all()
    return _entries(rows)


@dataclass(frozen=True, slots=True)
class RefundDue:
    """What is due back to the patient in one currency, from its two sources, never mixed across currencies.

    `on_invoices`: issued invoices below zero (credit notes or deductions beyond what was paid, see
    `accounts.Account.outstanding`); `credit`: the case's credit (paid beyond what was open) not yet refunded or applied
    to another invoice. Both are owed to the patient until finance pays them back or sets the credit against an
    invoice, so "refund due" is their sum wherever it is shown (case account, case page, portal)."""

    currency: str
    on_invoices: Decimal
    credit: Decimal

    @property
    def total(self) -> Decimal:
        return self.on_invoices + self.credit


def refunds_due(accounts: Iterable[Account], credit: Iterable[CreditBalance]) -> dict[str, RefundDue]:
    """The one definition of "refund due", per currency: invoices below zero plus the credit held (see `RefundDue`).
    Only currencies where something is due."""
    on_invoices: dict[str, Decimal] = {}
    for account in accounts:
        if account.outstanding < 0:
            on_invoices[account.currency] = on_invoices.get(account.currency, ZERO) - account.outstanding
    held: dict[str, Decimal] = {}
    for balance in credit:
        held[balance.currency] = held.get(balance.currency, ZERO) + balance.amount
    due = {
        currency: RefundDue(currency, on_invoices.get(currency, ZERO), held.get(currency, ZERO))
        for currency in sorted(set(on_invoices) | set(held))
    }
    return {currency: refund for currency, refund in due.items() if refund.total > 0}


@dataclass(frozen=True, slots=True)
class CaseAccount:
    """Where a case stands with the patient in one currency, over its issued invoices and its credit.

    `invoiced` counts each invoice less the deposits it deducts, so a deposit and the final invoice that deducts it
    are not counted twice; `outstanding` is what is open on them, `refund` what is owed back (`RefundDue`: invoices
    below zero and the case's credit)."""

    currency: str
    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    outstanding: Decimal
    refund: RefundDue

    @property
    def refund_due(self) -> Decimal:
        return self.refund.total


def case_accounts(entries: Sequence[InvoiceEntry], credit: Sequence[CreditBalance]) -> list[CaseAccount]:
    """The account summary of a case, per currency (one in practice: a case's invoices share its currency)."""
    sums: dict[str, list[Decimal]] = {}
    accounts = [entry.account for entry in entries if entry.account is not None]
    for account in accounts:
        row = sums.setdefault(account.currency, [ZERO, ZERO, ZERO, ZERO])
        row[0] += account.total - account.deducted - account.superseded
        row[1] += account.credited
        row[2] += account.paid
        if account.outstanding > 0:
            row[3] += account.outstanding
    due = refunds_due(accounts, credit)
    for currency in due:
        sums.setdefault(currency, [ZERO, ZERO, ZERO, ZERO])
    return [
        CaseAccount(currency, *values, refund=due.get(currency) or RefundDue(currency, ZERO, ZERO))
        for currency, values in sorted(sums.items())
    ]


def credit_notes_of(invoice_id: int) -> list[Invoice]:
    """The credit notes (drafts included) that correct an invoice, oldest first. One statement."""
    return list(
        db.session.scalars(select(Invoice).where(Invoice.credited_invoice_id == invoice_id).order_by(Invoice.id))
    )


# ---------------------------------------------------------------------------------------------- a case's credit


@dataclass(frozen=True, slots=True)
class CreditBalance:
    """What the operator holds for the patient of a case in one currency."""

    currency: str
    amount: Decimal


def credit_balances(case_id: int) -> list[CreditBalance]:
    """The case's credit per currency, only where some is left (one statement)."""
    rows = db.session.execute(
        select(AccountCredit.currency, func.sum(AccountCredit.amount))
        .where(AccountCredit.case_id == case_id)
        .group_by(AccountCredit.currency)
        .order_by(AccountCredit.currency)
    ).all()
    return [CreditBalance(currency, amount) for currency, amount in rows if amount and amount > 0]


def credit_balances_of_cases(case_ids: list[int]) -> dict[int, list[CreditBalance]]:
    """The credit of several cases (a patient's portal), per case and currency, in one statement."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(AccountCredit.case_id, AccountCredit.currency, func.sum(AccountCredit.amount))
        .where(AccountCredit.case_id.in_(case_ids))
        .group_by(AccountCredit.case_id, AccountCredit.currency)
        .order_by(AccountCredit.case_id, AccountCredit.currency)
    ).all()
    result: dict[int, list[CreditBalance]] = {}
    for case_id, currency, amount in rows:
        if amount and amount > 0:
            result.setdefault(case_id, []).append(CreditBalance(currency, amount))
    return result


def open_for_credit(entries: Sequence[InvoiceEntry], credit: Sequence[CreditBalance]) -> list[Invoice]:
    """The case's invoices the credit can be applied to: open, and in a currency the credit holds (never across
    currencies)."""
    held = {balance.currency for balance in credit}
    return [
        entry.invoice
        for entry in entries
        if entry.account is not None and entry.account.outstanding > 0 and entry.invoice.currency in held
    ]


def credit_statement(case_id: int) -> list[AccountCredit]:
    """Every step of the case's credit, oldest first (one statement)."""
    return list(
        db.session.scalars(
            select(AccountCredit)
            .options(joinedload(AccountCredit.payment))
            .where(AccountCredit.case_id == case_id)
            .order_by(AccountCredit.id)
        )
    )


def case_invoices_panel(case_id: int) -> dict:
    """What the case page's invoices panel shows: `case_invoices` (the entries), `case_credit` (the credit per
    currency) and `case_refunds` (what is due back to the patient per currency, `refunds_due`)."""
    entries = invoices_of_case(case_id)
    credit = credit_balances(case_id)
    accounts = [entry.account for entry in entries if entry.account is not None]
    return {
        "case_invoices": entries,
        "case_credit": credit,
        "case_refunds": list(refunds_due(accounts, credit).values()),
    }
