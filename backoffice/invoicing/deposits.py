"""Deposit invoices: an amount or a share of the case's accepted offer, asked before the treatment. The deposits of a
case (less what credit notes took back) never ask for more than the accepted offer, and none is asked once a final
invoice stands. The offer's first instalment makes a deposit draft when the patient accepts (`offer_answers`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice.cases import states
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case
from backoffice.extensions import db
from backoffice.invoicing import sources
from backoffice.invoicing.conversion import in_invoice_currency
from backoffice.invoicing.drafts import append_line, new_draft, retax
from backoffice.invoicing.finals import final_in_force
from backoffice.invoicing.invoices import InvoiceError, parse_amount, record_invoice_event, shown_label
from backoffice.invoicing.models import Invoice
from backoffice.invoicing.totals import invoice_totals, minor_digits
from backoffice.logistics.stay import planned_stay_of
from backoffice.money import round_half_up
from backoffice.offers.operations import accepted_offer
from backoffice.patients.restriction import refuse_changes

HUNDRED = Decimal(100)


def estimate_in(case: Case, invoice: Invoice) -> Decimal:
    """What the patient accepted to pay (the accepted offer's total, with the options chosen) in the invoice's
    currency (converted when the offer is in the base currency)."""
    offer = accepted_offer(case.id)
    if offer is None:
        raise InvoiceError(
            _(
                "Case %(number)s has no accepted offer yet: a deposit is an amount or a share of the accepted offer.",
                number=case.number,
            )
        )
    converted, _source_price, _source_currency = in_invoice_currency(offer.accepted_total, offer.currency, invoice)
    return round_half_up(converted, 2)


def deposits_so_far(
    case_id: int, currency: str, *, exclude_id: int | None = None, issued_only: bool = False
) -> Decimal:
    """What the case's deposit invoices ask for (drafts included unless `issued_only`), less their credit notes."""
    query = (
        select(Invoice)
        .where(Invoice.case_id == case_id, Invoice.kind == "deposit", Invoice.currency == currency)
        .options(selectinload(Invoice.lines))
    )
    if issued_only:
        query = query.where(Invoice.status != "draft")
    if exclude_id is not None:
        query = query.where(Invoice.id != exclude_id)
    deposits = list(db.session.scalars(query))
    asked = sum((invoice_totals(deposit.lines, currency).total for deposit in deposits), Decimal(0))
    credited = sources.credited_amounts([deposit.id for deposit in deposits if not deposit.is_draft])
    return asked - sum(credited.values(), Decimal(0))


def _programme_label(case: Case) -> str:
    return case.programme.name if case.programme is not None else case.requested_treatment


def create_deposit_draft(
    case_id: int,
    *,
    actor_id: int | None,
    amount: str | Decimal | None = None,
    share_percent: str | Decimal | None = None,
    exchange_rate: str | Decimal | None = None,
    exchange_rate_on: date | None = None,
    description: str | None = None,
    due_on: date | None = None,
) -> Invoice:
    """A draft deposit invoice for an amount or a share of the accepted offer; together with the case's other
    deposits (less what credit notes took back) it never asks for more than the accepted offer. `description`
    replaces the line's usual words; `due_on` (an instalment's) is kept at issue when it is not past."""
    case = get_case(case_id)
    refuse_changes(case.patient)  # an erased patient gets no new invoice
    if case.state in ("new", "cancelled"):
        raise InvoiceError(
            _(
                "Case %(number)s is %(state)s: there is nothing to invoice.",
                number=case.number,
                state=states.shown(case.state).lower(),
            )
        )
    _refuse_after_final(case)
    has_amount = amount not in (None, "")
    has_share = share_percent not in (None, "")
    if has_amount == has_share:
        raise InvoiceError(_("Enter either the deposit's amount or its share of the accepted offer, not both."))
    invoice = new_draft(case, "deposit", actor_id, exchange_rate, exchange_rate_on)
    estimate = estimate_in(case, invoice)
    if has_share:
        share = parse_amount(share_percent, _("share of the accepted offer"))
        if share > HUNDRED:
            raise InvoiceError(_("A deposit is at most 100 % of the accepted offer."))
        value = round_half_up(estimate * share / HUNDRED, minor_digits(invoice.currency))
        description = (
            description or f"Deposit ({share.normalize():f} % of the accepted offer) for {_programme_label(case)}"
        )
    else:
        value = parse_amount(amount, _("deposit amount"), scale=minor_digits(invoice.currency))
        description = description or f"Deposit for {_programme_label(case)}"
    if due_on is not None:
        invoice.due_on = due_on
    _check_deposit_limit(case, invoice, value, estimate)
    # The planned treatment: a deposit is asked before the hospital confirms (the final invoice uses `stay_of`).
    planned = planned_stay_of(case)
    if planned is not None:
        invoice.service_from, invoice.service_to = planned.admission_on, planned.discharge_on
    append_line(
        invoice,
        sources.LineDraft(
            kind="deposit",
            description=description[:300],
            quantity=Decimal(1),
            unit_price=value,
            currency=invoice.currency,
        ),
    )
    retax(invoice)
    db.session.flush()
    record_invoice_event(
        invoice, case, actor_id, "draft_created", f"Draft deposit invoice of {value} {invoice.currency}"
    )
    return invoice


def _check_deposit_limit(case: Case, invoice: Invoice, value: Decimal, estimate: Decimal, *, issued_only=False):
    earlier = deposits_so_far(case.id, invoice.currency, exclude_id=invoice.id, issued_only=issued_only)
    if earlier + value > estimate:
        left = max(estimate - earlier, Decimal(0))
        raise InvoiceError(
            _(
                "Deposits would come to %(total)s %(currency)s, above the accepted offer of %(estimate)s "
                "%(currency)s; at most %(left)s %(currency)s is left for a deposit.",
                total=earlier + value,
                estimate=estimate,
                left=left,
                currency=invoice.currency,
            )
        )


def _refuse_after_final(case: Case) -> None:
    """Once a final invoice stands, the patient is billed there: a deposit now would ask for the money twice."""
    final = final_in_force(case.id)
    if final is not None and not final.is_draft:
        raise InvoiceError(
            _(
                "Case %(number)s has %(invoice)s: a deposit now would bill the patient twice. "
                "Correct the final invoice with a credit note instead.",
                number=case.number,
                invoice=shown_label(final),
            )
        )


def check_deposit_at_issue(invoice: Invoice) -> None:
    """Issuing a deposit re-checks the accepted offer against the deposits issued meanwhile, and that no final
    invoice was issued meanwhile."""
    case = get_case(invoice.case_id)
    _refuse_after_final(case)
    total = invoice_totals(invoice.lines, invoice.currency).total
    _check_deposit_limit(case, invoice, total, estimate_in(case, invoice), issued_only=True)
